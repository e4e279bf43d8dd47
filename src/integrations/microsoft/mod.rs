//! Azure, Microsoft 365 and Microsoft Entra ID: an app registration that signs in with a
//! certificate made here (its private key sealed, never sent) or through a federated credential
//! that trusts the portal's issuer, verified before it is saved.
#[cfg(feature = "ssr")]
pub mod azure_store;
pub mod certificates;
pub mod federated;
#[cfg(feature = "ssr")]
pub mod federated_store;
#[cfg(feature = "ssr")]
pub mod groups;
#[cfg(feature = "ssr")]
pub mod identity;
pub mod link;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod refusals;
pub mod renewal;
#[cfg(feature = "ssr")]
pub mod sign_in;
#[cfg(feature = "ssr")]
pub mod store;
pub mod subscriptions;
pub mod switch;
#[cfg(feature = "ssr")]
pub mod waits;
