-- Periodic jobs, each run once per period across replicas (server/jobs.rs).
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY NOT NULL,
    next_run_at INTEGER NOT NULL,
    runs        INTEGER NOT NULL DEFAULT 0
);
