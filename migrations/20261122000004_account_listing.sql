-- Lists show management accounts first, then by name, a page at a time: this index serves
-- each page straight from its order, whatever the organization's size.
CREATE INDEX cloud_accounts_listing ON cloud_accounts(organization_id, provider, kind DESC, name);
