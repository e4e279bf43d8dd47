-- Sign-ups per client address, for throttling: each one hashes a password (auth::throttle).
CREATE TABLE sign_ups (
    id          INTEGER PRIMARY KEY,
    client_addr TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX sign_ups_addr ON sign_ups(client_addr, created_at);
