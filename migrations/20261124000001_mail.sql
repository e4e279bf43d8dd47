-- Mail waits here until it is delivered (mail::outbox): it is written in the same transaction
-- as what caused it, so nothing is lost when the mail server is down. The body is sealed under
-- the master key (a sign-up link is a credential) and erased once sent.
CREATE TABLE outbox_mail (
    id              INTEGER PRIMARY KEY,
    purpose         TEXT    NOT NULL,
    to_address      TEXT    NOT NULL,
    reply_to        TEXT,
    subject         TEXT    NOT NULL,
    body_sealed     BLOB,
    body_nonce      BLOB,
    key_id          TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER
);
CREATE INDEX outbox_mail_due ON outbox_mail(next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_mail_recipient ON outbox_mail(to_address, created_at);

-- A sign-up waits for its email to be confirmed: only the link's holder sets the password and
-- creates the organization. The link's token is stored as its SHA-256.
CREATE TABLE sign_up_requests (
    token_hash        BLOB    PRIMARY KEY,
    email             TEXT    NOT NULL,
    organization_name TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
);
CREATE INDEX sign_up_requests_email ON sign_up_requests(email);

-- The mail that carries a support request to the support team.
ALTER TABLE support_requests ADD COLUMN mail_id INTEGER REFERENCES outbox_mail(id);
