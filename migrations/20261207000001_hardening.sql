-- A webhook that keeps timing out is paused (and the organization is told), so one slow
-- receiver cannot hold deliveries for everyone.
ALTER TABLE notification_targets ADD COLUMN consecutive_timeouts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notification_targets ADD COLUMN paused_until INTEGER NOT NULL DEFAULT 0;

-- A known plaintext sealed under the master key: the portal refuses to start with any other key.
CREATE TABLE master_key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key_id      TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    nonce       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
