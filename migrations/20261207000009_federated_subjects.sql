-- Federated credentials (no certificate): the subject the portal's issuer signs tokens for, one
-- per Microsoft link. A subject with no account is pending (shown on the link form, discarded
-- a day after it was made unless Connect uses it); renewal_of is a switch waiting for Verify and
-- switch (from a certificate, or a rotation), one at a time per account. Subjects are unique
-- across organizations: whoever holds a link's subject can sign in as its app.
CREATE TABLE federated_subjects (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    account_id      INTEGER REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    renewal_of      INTEGER REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    service         TEXT    NOT NULL CHECK (service IN ('azure', 'm365', 'entra')),
    subject         TEXT    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL
);
CREATE INDEX federated_subjects_organization ON federated_subjects(organization_id, account_id);
CREATE UNIQUE INDEX federated_subjects_one_switch ON federated_subjects(renewal_of) WHERE renewal_of IS NOT NULL;
