CREATE TABLE model_versions (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    class TEXT NOT NULL,
    formats TEXT NOT NULL,
    created_at TEXT NOT NULL,
    lineage TEXT NOT NULL,
    metrics TEXT NOT NULL,
    copied_from TEXT,
    PRIMARY KEY (project, name, version)
);
CREATE TABLE export_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    objects TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL
);
