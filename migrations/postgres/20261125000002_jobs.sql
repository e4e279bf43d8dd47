-- Periodic jobs, each run once per period across replicas (server/jobs.rs).
CREATE TABLE jobs (
    name        TEXT   PRIMARY KEY NOT NULL,
    next_run_at BIGINT NOT NULL,
    runs        BIGINT NOT NULL DEFAULT 0
);
