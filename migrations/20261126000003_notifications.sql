-- Where an organization's notifications go: email addresses (sent through the mail outbox)
-- and webhooks (JSON, signed with a per-webhook secret, sealed under the master key and shown
-- once, within its first ten minutes).
CREATE TABLE notification_targets (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    address         TEXT NOT NULL,
    secret_sealed   BLOB,
    secret_nonce    BLOB,
    secret_key_id   TEXT,
    secret_shown    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    UNIQUE (organization_id, kind, address)
);

-- Each notification to each target, once per event (an account's status change, a certificate
-- reaching 30, 14, 7 or 1 days before expiry). Email ones point at their mail in the outbox;
-- webhook ones are delivered from here, retried with backoff, leased to one replica at a time.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    target_id       INTEGER NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
    event_key       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    mail_id         INTEGER REFERENCES outbox_mail(id) ON DELETE SET NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         INTEGER,
    gave_up_at      INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (target_id, event_key)
);
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX notifications_organization ON notifications(organization_id, id);
