-- online services and their versions (issue 6)
SELECT 1;
