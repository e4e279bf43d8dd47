-- An Azure account's management groups as Azure last showed them, which of them are selected
-- ("every subscription under it, including future ones"), and through which selected group a
-- subscription was connected ('' when the user checked it, or it is not connected).
CREATE TABLE azure_management_groups (
    account_id   BIGINT  NOT NULL REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    group_id     TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    selected     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, group_id)
);
ALTER TABLE azure_subscriptions ADD COLUMN via_group TEXT NOT NULL DEFAULT '';
