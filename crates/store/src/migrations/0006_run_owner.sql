-- The process that runs a run: host name, pid and that process's start
-- time (a token that tells a reused pid apart). A `running` run whose
-- owner is gone is marked `abandoned`.
ALTER TABLE runs ADD COLUMN owner_host TEXT;
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE runs ADD COLUMN owner_started TEXT;
CREATE INDEX runs_state ON runs(state);
