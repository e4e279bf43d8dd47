-- Renew certificate: a new key pair made for an account (account_id stays NULL until Verify and
-- switch makes it the account's certificate; the current one keeps working meanwhile). One at a
-- time per account.
ALTER TABLE certificates ADD COLUMN renewal_of BIGINT REFERENCES cloud_accounts(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX certificates_one_renewal ON certificates(renewal_of) WHERE renewal_of IS NOT NULL;
