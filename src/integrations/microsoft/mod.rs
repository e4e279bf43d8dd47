//! Azure, Microsoft 365 and Microsoft Entra ID: an app registration that signs in with a
//! certificate made here (its private key sealed, never sent), verified before it is saved.
#[cfg(feature = "ssr")]
pub mod azure_store;
pub mod certificates;
#[cfg(feature = "ssr")]
pub mod groups;
#[cfg(feature = "ssr")]
pub mod identity;
pub mod link;
pub mod pages;
pub mod renewal;
#[cfg(feature = "ssr")]
pub mod store;
pub mod subscriptions;
