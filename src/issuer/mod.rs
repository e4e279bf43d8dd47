//! The portal as an OpenID issuer: what lets a Microsoft app registration trust Xops through a
//! federated identity credential instead of an uploaded certificate. Signing keys (`keys`,
//! sealed in `store`) roll over on a schedule (`signing`); the discovery document and the JWKS
//! are served at the issuer URL or exported as files (`documents`).
pub mod documents;
pub mod keys;
pub mod signing;
pub mod store;
