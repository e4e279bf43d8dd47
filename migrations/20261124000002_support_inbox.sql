-- The account a support request is about (a management account to delete), and who closed it.
ALTER TABLE support_requests ADD COLUMN account_id INTEGER REFERENCES cloud_accounts(id) ON DELETE SET NULL;
ALTER TABLE support_requests ADD COLUMN closed_at INTEGER;
ALTER TABLE support_requests ADD COLUMN closed_by TEXT;
