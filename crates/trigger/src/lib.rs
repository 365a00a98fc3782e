//! pai-trigger: cron schedules that fire pipeline runs: slots, catch-up, concurrency policies, an injectable clock.
