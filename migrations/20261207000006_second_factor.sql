-- Two-factor sign-in. An authenticator app (TOTP) per user: its secret sealed under the master
-- key, bound to the user; `last_step` is the last time step whose code was accepted, so no
-- code is accepted twice. Recovery codes are stored as hashes and spent once; a new set is
-- kept sealed for ten minutes to be shown once, then deleted. An organization may require a
-- second factor of every member.
CREATE TABLE authenticators (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed BLOB    NOT NULL,
    secret_nonce  BLOB    NOT NULL,
    secret_key_id TEXT    NOT NULL,
    confirmed_at  INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE TABLE recovery_codes (
    code_hash BLOB    PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);
CREATE TABLE recovery_codes_shown (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    codes_sealed BLOB    NOT NULL,
    codes_nonce  BLOB    NOT NULL,
    codes_key_id TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
ALTER TABLE organizations ADD COLUMN require_second_factor INTEGER NOT NULL DEFAULT 0;
-- Sessions signed out from Your account → Sessions, by their handle (a random name kept in the
-- session, never its id): checked with the user on every request, so the session ends at its
-- next request on every replica, whatever caches it; kept until it would have run out.
CREATE TABLE ended_sessions (
    handle     TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX ended_sessions_user ON ended_sessions(user_id);
-- Passkeys (WebAuthn): the library's record of each (public key, signature counter, backup
-- flags) as JSON, with its credential id, unique; a user's passkeys carry a random handle for
-- them (users.passkey_handle), never their id or email.
ALTER TABLE users ADD COLUMN passkey_handle TEXT;
CREATE UNIQUE INDEX users_passkey_handle ON users(passkey_handle);
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    credential_id BLOB    NOT NULL UNIQUE,
    passkey       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_user ON passkeys(user_id);
-- Passkey sign-ins started per client address, for throttling (each keeps a challenge in a
-- new session).
CREATE TABLE passkey_sign_in_requests (
    id          INTEGER PRIMARY KEY,
    client_addr TEXT   NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX passkey_sign_in_requests_addr ON passkey_sign_in_requests(client_addr, created_at);
