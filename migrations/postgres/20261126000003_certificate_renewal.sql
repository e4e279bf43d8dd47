-- Renew certificate: a new key pair made for an account (account_id stays NULL until Verify and
-- switch makes it the account's certificate; the current one keeps working meanwhile). One at a
-- time per account.
ALTER TABLE certificates ADD COLUMN renewal_of BIGINT REFERENCES cloud_accounts(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX certificates_one_renewal ON certificates(renewal_of) WHERE renewal_of IS NOT NULL;

-- The smallest number of days before expiry (30, 14, 7, 1) the organization was told about, so
-- that each reminder is written once, not looked at again every minute.
ALTER TABLE certificates ADD COLUMN reminded_days BIGINT;
