-- API tokens (Organization settings → API tokens): the SHA-256 of each secret, never the
-- secret, with a visible prefix to tell them apart; the secret sealed under the master key only
-- until it is shown once (erased then, or after ten minutes). A token acts with no more than its
-- creator's current role, and not at all once they are no longer a member.
CREATE TABLE api_tokens (
    id               INTEGER PRIMARY KEY,
    organization_id  INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    name             TEXT NOT NULL,
    prefix           TEXT NOT NULL,
    token_hash       BLOB NOT NULL UNIQUE,
    scope            TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    allowed_networks TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER,
    revoked_at       INTEGER,
    last_used_at     INTEGER,
    last_used_from   TEXT,
    secret_sealed    BLOB,
    secret_nonce     BLOB,
    secret_key_id    TEXT
);
CREATE INDEX api_tokens_organization ON api_tokens(organization_id, revoked_at);
-- Idempotency-Key (mutations of /api/v1): per token (by its hash) and key, the request's hash
-- and, once it ran, its answer, kept 24 hours: a retry with the same key and request gets that
-- answer again, with another request 422, and while the first still runs 409.
CREATE TABLE api_idempotency (
    token_hash   BLOB NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (token_hash, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);
-- API rate limits: requests per token (by the hash of what was presented) per minute.
CREATE TABLE api_rate (
    token_hash   BLOB NOT NULL,
    window_start INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    PRIMARY KEY (token_hash, window_start)
);
