-- Teams: a person belongs to organizations through memberships, each with a role, instead of
-- to the one organization they signed up in (users.organization_id goes). Invitations bring
-- colleagues in.
--
-- SQLite cannot drop a column that holds a foreign key, so users is rebuilt. Migrations run in
-- a transaction, where foreign keys cannot be turned off, and dropping the old table sets the
-- references to it to NULL (audit_log.user_id, support_requests.user_id): they are kept aside
-- and put back once the new table has the name.
CREATE TABLE users_rebuilt (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    -- What colleagues see in Members; empty for those who signed up before teams.
    name            TEXT    NOT NULL DEFAULT '',
    password_hash   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);
INSERT INTO users_rebuilt (id, email, password_hash, created_at, last_sign_in_at)
    SELECT u.id, u.email, u.password_hash, u.created_at,
           (SELECT MAX(a.created_at) FROM audit_log a WHERE a.user_id = u.id AND a.action = 'sign_in')
    FROM users u;
CREATE TEMP TABLE owners_before_teams AS SELECT organization_id, id AS user_id, created_at FROM users;
CREATE TEMP TABLE audit_users AS SELECT id, user_id FROM audit_log WHERE user_id IS NOT NULL;
CREATE TEMP TABLE request_users AS SELECT id, user_id FROM support_requests WHERE user_id IS NOT NULL;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
UPDATE audit_log SET user_id = (SELECT k.user_id FROM audit_users k WHERE k.id = audit_log.id)
    WHERE id IN (SELECT id FROM audit_users);
UPDATE support_requests SET user_id = (SELECT k.user_id FROM request_users k WHERE k.id = support_requests.id)
    WHERE id IN (SELECT id FROM request_users);
CREATE TABLE memberships (
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
-- Everyone so far signed up their organization: its Owner.
INSERT INTO memberships (organization_id, user_id, role, created_at)
    SELECT organization_id, user_id, 'owner', created_at FROM owners_before_teams;
DROP TABLE owners_before_teams;
DROP TABLE audit_users;
DROP TABLE request_users;
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE invitations (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email           TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    -- SHA-256 of the link's token: the token itself is only in the mail and shown once.
    token_hash      BLOB    NOT NULL UNIQUE,
    -- The link sealed under the master key, for the inviter's page to show once (then erased).
    link_sealed     BLOB,
    link_nonce      BLOB,
    link_key_id     TEXT,
    invited_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    accepted_at     INTEGER,
    revoked_at      INTEGER
);
CREATE INDEX invitations_organization ON invitations(organization_id, created_at);
