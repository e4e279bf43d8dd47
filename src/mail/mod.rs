//! Mail the portal sends: sign-up confirmations and support requests. Each is written to an
//! outbox in the transaction that causes it and delivered from there, with retries.
pub mod outbox;
pub mod store;
pub mod transport;
