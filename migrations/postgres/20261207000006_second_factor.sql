-- Two-factor sign-in. An authenticator app (TOTP) per user: its secret sealed under the master
-- key, bound to the user; `last_step` is the last time step whose code was accepted, so no
-- code is accepted twice. Recovery codes are stored as hashes and spent once; a new set is
-- kept sealed for ten minutes to be shown once, then deleted. An organization may require a
-- second factor of every member.
CREATE TABLE authenticators (
    user_id       BIGINT  PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed BYTEA   NOT NULL,
    secret_nonce  BYTEA   NOT NULL,
    secret_key_id TEXT    NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);
CREATE TABLE recovery_codes (
    code_hash BYTEA   PRIMARY KEY,
    user_id   BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);
CREATE TABLE recovery_codes_shown (
    user_id      BIGINT  PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    codes_sealed BYTEA   NOT NULL,
    codes_nonce  BYTEA   NOT NULL,
    codes_key_id TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
ALTER TABLE organizations ADD COLUMN require_second_factor BIGINT  NOT NULL DEFAULT 0;
-- Sessions signed out from Your account → Sessions, by their handle (a random name kept in the
-- session, never its id): checked with the user on every request, so the session ends at its
-- next request on every replica, whatever caches it; kept until it would have run out.
CREATE TABLE ended_sessions (
    handle     TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ended_sessions_user ON ended_sessions(user_id);
