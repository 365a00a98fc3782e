-- the usage ledger (issue 9): one row per metered request, append-only
CREATE TABLE usage_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    project TEXT NOT NULL,
    pipeline TEXT,
    run_id TEXT,
    node TEXT,
    operation TEXT NOT NULL,
    class TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed'))
);
CREATE INDEX usage_ledger_month ON usage_ledger(ts_ms, class);
CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger
BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END;
CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger
BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END;
