-- Azure, Microsoft 365 and Entra ID accounts sign in with a certificate made by the portal.
ALTER TABLE cloud_accounts ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
ALTER TABLE cloud_accounts ADD COLUMN domain TEXT NOT NULL DEFAULT '';

-- The private key is sealed (AES-256-GCM); only the certificate ever leaves the server.
-- A certificate with no account is pending: it is discarded a day after it was made.
CREATE TABLE certificates (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    account_id      INTEGER REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    service         TEXT    NOT NULL CHECK (service IN ('azure', 'm365', 'entra')),
    cert_pem        TEXT    NOT NULL,
    thumbprint      TEXT    NOT NULL,
    x5t_s256        TEXT    NOT NULL,
    not_after       INTEGER NOT NULL,
    sealed_key      BLOB    NOT NULL,
    key_nonce       BLOB    NOT NULL,
    key_id          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX certificates_organization ON certificates(organization_id, account_id);

CREATE TABLE azure_subscriptions (
    account_id      INTEGER NOT NULL REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    subscription_id TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    selected        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, subscription_id)
);
