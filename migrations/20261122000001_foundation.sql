-- Organizations, their users, their connected cloud accounts, and what happened to them.
-- Times are unix seconds (UTC): sortable, compared in SQL, formatted by the app.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- The External ID every customer role must require from us (confused-deputy protection).
    external_id TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email           TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX users_organization ON users(organization_id);

CREATE TABLE cloud_accounts (
    id                  INTEGER PRIMARY KEY,
    organization_id     INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    provider            TEXT    NOT NULL CHECK (provider IN ('aws', 'eks', 'azure', 'm365', 'entra')),
    -- Provider-specific kind: 'management' or 'linked' for AWS; empty where there is one kind.
    kind                TEXT    NOT NULL DEFAULT '',
    name                TEXT    NOT NULL,
    -- The account as the provider knows it: AWS account id, Azure tenant id, ...
    external_account_id TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('connected', 'warning', 'failed')),
    status_message      TEXT    NOT NULL DEFAULT '',
    last_checked_at     INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (organization_id, provider, name)
);
CREATE INDEX cloud_accounts_organization ON cloud_accounts(organization_id, provider, name);

-- Who did what, when. Never a password, key or token.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    client_addr     TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX audit_log_organization ON audit_log(organization_id, created_at);

-- Failed sign-ins, for throttling by email and by client address.
CREATE TABLE failed_sign_ins (
    id           INTEGER PRIMARY KEY,
    email        TEXT    NOT NULL,
    client_addr  TEXT    NOT NULL,
    attempted_at INTEGER NOT NULL
);
CREATE INDEX failed_sign_ins_email ON failed_sign_ins(email, attempted_at);
CREATE INDEX failed_sign_ins_addr ON failed_sign_ins(client_addr, attempted_at);
