-- Your account and organization settings. A session belongs to its user's `session_epoch` at
-- sign-in; a changed or reset password moves the epoch on, which ends every older session on
-- every replica, cached or not (the epoch is read with the user on every request). Each
-- session row names its user, so deleting a user's last organization removes their sessions.
-- Forgot password: single-use links valid an hour (tokens stored as hashes), and the requests
-- per client address, for throttling.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_id INTEGER;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE password_resets (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);
CREATE TABLE password_reset_requests (
    id          INTEGER PRIMARY KEY,
    client_addr TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX password_reset_requests_addr ON password_reset_requests(client_addr, created_at);
