-- cron schedules, fires and leases (issue 7)
SELECT 1;
