-- The audit page: which account a row is about (kept after the account is deleted, with its
-- name then, so the trail still says which), and an index per filter that gives its rows
-- newest first by time (then id): every page, under any filter and date range, is one range
-- of one index, read from where the previous page ended.
ALTER TABLE audit_log ADD COLUMN account_id BIGINT;
ALTER TABLE audit_log ADD COLUMN account_name TEXT NOT NULL DEFAULT '';
DROP INDEX audit_log_organization;
CREATE INDEX audit_log_newest ON audit_log(organization_id, created_at, id);
CREATE INDEX audit_log_by_account ON audit_log(organization_id, account_id, created_at, id);
CREATE INDEX audit_log_by_user ON audit_log(organization_id, user_id, created_at, id);
CREATE INDEX audit_log_by_action ON audit_log(organization_id, action, created_at, id);
