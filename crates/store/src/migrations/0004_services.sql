-- online services and their versions (issue 6). `desired` and
-- `current_version` are what the operator asked for; `state` and `reason`
-- are what the serving process last observed. `generation` grows with
-- every change of the desired state, so a reconciler retries a failed
-- load only after something changed.
CREATE TABLE services (
    name TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    desired TEXT NOT NULL CHECK (desired IN ('running', 'stopped')),
    current_version INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    generation INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE service_versions (
    service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    spec TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (service, version)
);
