-- AWS and EKS accounts keep the role Xops assumes; one AWS account id is linked once per
-- organization and provider.
ALTER TABLE cloud_accounts ADD COLUMN role_arn TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX cloud_accounts_external_once ON cloud_accounts(organization_id, provider, external_account_id);

CREATE TABLE support_requests (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    subject         TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at      INTEGER NOT NULL
);
CREATE INDEX support_requests_organization ON support_requests(organization_id, created_at);
