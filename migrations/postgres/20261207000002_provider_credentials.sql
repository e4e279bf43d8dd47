-- The credentials a link keeps are each one provider's: their columns say whose.
ALTER TABLE cloud_accounts RENAME COLUMN role_arn TO aws_role_arn;
ALTER TABLE cloud_accounts RENAME COLUMN app_id TO microsoft_app_id;
ALTER TABLE cloud_accounts RENAME COLUMN domain TO m365_domain;
