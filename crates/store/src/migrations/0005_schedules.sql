-- cron schedules, fires and leases (issue 7)
-- one row per schedule (`pipeline/name`); last_slot_ms is the newest slot
-- decided (fired, queued, skipped or missed), in Unix milliseconds
CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    name TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    cron TEXT NOT NULL,
    timezone TEXT NOT NULL,
    last_slot_ms INTEGER NOT NULL,
    suspended INTEGER NOT NULL DEFAULT 0,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- one row per decided slot; a run of missed slots is one row (slot_ms the
-- first, until_ms the last, count of them)
CREATE TABLE schedule_fires (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule TEXT NOT NULL REFERENCES schedules(id),
    slot_ms INTEGER NOT NULL,
    slot TEXT NOT NULL,
    until_ms INTEGER,
    count INTEGER NOT NULL DEFAULT 1,
    trigger TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    holder TEXT NOT NULL,
    run_id TEXT,
    run_ids TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    decided_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    error TEXT,
    UNIQUE (schedule, slot_ms)
);
CREATE INDEX schedule_fires_state ON schedule_fires(state);
-- who may fire: one holder at a time, until expires_ms
CREATE TABLE schedule_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    acquired_at TEXT NOT NULL
);
