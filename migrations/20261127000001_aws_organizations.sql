-- A management account's AWS Organization as Xops last read it (aws_org_nodes: the root, the
-- organizational units and the accounts, with what the customer excluded), when it is read
-- again (the sync), and its "Link accounts" runs with each account's outcome.
CREATE TABLE aws_organizations (
    management_account_id INTEGER PRIMARY KEY REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    organization_id       INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    aws_organization_id   TEXT    NOT NULL DEFAULT '',
    first_read_at         INTEGER,
    read_at               INTEGER,
    read_error            TEXT    NOT NULL DEFAULT '',
    next_sync_at          INTEGER NOT NULL,
    auto_link             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX aws_organizations_next_sync ON aws_organizations(next_sync_at);

CREATE TABLE aws_org_nodes (
    management_account_id INTEGER NOT NULL REFERENCES aws_organizations(management_account_id) ON DELETE CASCADE,
    node_id       TEXT    NOT NULL,
    parent_id     TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('root', 'ou', 'account')),
    name          TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT '',
    -- '' follows the parent; an account can be 'included' under an excluded unit.
    exclusion     TEXT    NOT NULL DEFAULT '' CHECK (exclusion IN ('', 'excluded', 'included')),
    first_seen_at INTEGER NOT NULL,
    -- When a read no longer found it (left the organization); never deleted.
    gone_at       INTEGER,
    PRIMARY KEY (management_account_id, node_id)
);
-- A unit's accounts, a page at a time.
CREATE INDEX aws_org_nodes_by_parent ON aws_org_nodes(management_account_id, parent_id, name);

CREATE TABLE aws_link_runs (
    id                    INTEGER PRIMARY KEY,
    management_account_id INTEGER NOT NULL REFERENCES aws_organizations(management_account_id) ON DELETE CASCADE,
    started_at            INTEGER NOT NULL,
    started_by            TEXT    NOT NULL,
    finished_at           INTEGER,
    -- A replica that dies mid-run leaves it to another once this passes.
    lease_until           INTEGER NOT NULL
);
-- One run at a time per organization.
CREATE UNIQUE INDEX aws_link_runs_one_running ON aws_link_runs(management_account_id) WHERE finished_at IS NULL;

CREATE TABLE aws_link_items (
    run_id     INTEGER NOT NULL REFERENCES aws_link_runs(id) ON DELETE CASCADE,
    account_id TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    outcome    TEXT    NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'linked', 'warning', 'failed')),
    message    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, account_id)
);
-- A run's counts and its failures by name, without reading its other accounts.
CREATE INDEX aws_link_items_by_outcome ON aws_link_items(run_id, outcome, name);
