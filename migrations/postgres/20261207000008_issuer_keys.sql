-- The portal's own OpenID issuer (federated credentials): RSA signing keys, the private half
-- sealed under the master key (bound to its kid). Published from published_at, signing from
-- signs_from until the next key's signs_from; deleted a day after that.
CREATE TABLE issuer_keys (
    kid          TEXT    PRIMARY KEY,
    n            TEXT    NOT NULL,
    e            TEXT    NOT NULL,
    published_at BIGINT  NOT NULL,
    signs_from   BIGINT  NOT NULL,
    sealed_key   BYTEA   NOT NULL,
    key_nonce    BYTEA   NOT NULL,
    key_id       TEXT    NOT NULL
);
