CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    project TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    error TEXT,
    resumed_from TEXT
);
CREATE INDEX runs_started ON runs(started_at);
CREATE TABLE node_runs (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    component TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    ended_at TEXT,
    duration_ms INTEGER,
    error TEXT,
    outputs TEXT NOT NULL DEFAULT '[]',
    metrics TEXT,
    reused_from TEXT,
    PRIMARY KEY (run_id, node_id)
);
CREATE TABLE node_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX node_logs_run ON node_logs(run_id, node_id);
