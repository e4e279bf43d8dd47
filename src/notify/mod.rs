//! Notifications: when an account's status changes, or its certificate comes within 30, 14, 7
//! or 1 days of expiry, each of the organization's targets (email addresses, webhooks) gets one
//! message, written in the transaction of the change and delivered from a stored outbox with
//! retries.
pub mod deliver;
pub mod events;
pub mod store;
pub mod webhook;
