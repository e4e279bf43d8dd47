-- Every verification of an account (its link, a Re-test, a scheduled check), kept per account
-- (the newest 50), and when the scheduler checks it next (server/jobs.rs spreads it).
CREATE TABLE account_checks (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES cloud_accounts(id) ON DELETE CASCADE,
    checked_at  INTEGER NOT NULL,
    reason      TEXT    NOT NULL CHECK (reason IN ('link', 'retest', 'scheduled', 'renewal')),
    status      TEXT    NOT NULL CHECK (status IN ('connected', 'warning', 'failed')),
    message     TEXT    NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX account_checks_by_account ON account_checks(account_id, id);

ALTER TABLE cloud_accounts ADD COLUMN next_check_at INTEGER NOT NULL DEFAULT 0;
UPDATE cloud_accounts SET next_check_at = COALESCE(last_checked_at, created_at) + 21600;
CREATE INDEX cloud_accounts_next_check ON cloud_accounts(next_check_at);

-- The newest 12 checks again, as "at,reason,status,ms" joined by ';' (oldest first): Home's
-- timelines read them with the account instead of ranking the history on every view.
ALTER TABLE cloud_accounts ADD COLUMN recent_checks TEXT NOT NULL DEFAULT '';
-- Home's counts and attention list.
CREATE INDEX cloud_accounts_status ON cloud_accounts(organization_id, status);
