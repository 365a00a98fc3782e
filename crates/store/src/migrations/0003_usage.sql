-- the usage ledger (issue 9)
SELECT 1;
