-- Sessions in our own table, with the same SQL on SQLite and PostgreSQL (auth/session_store.rs).
-- Sessions of the former store are not carried over: signed-in users sign in again once.
DROP TABLE IF EXISTS tower_sessions;
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
