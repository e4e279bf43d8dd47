-- A webhook that keeps timing out is paused (and the organization is told), so one slow
-- receiver cannot hold deliveries for everyone.
ALTER TABLE notification_targets ADD COLUMN consecutive_timeouts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notification_targets ADD COLUMN paused_until BIGINT NOT NULL DEFAULT 0;

-- A known plaintext sealed under the master key: the portal refuses to start with any other key.
CREATE TABLE master_key_check (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    key_id      TEXT NOT NULL,
    sealed      BYTEA NOT NULL,
    nonce       BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
