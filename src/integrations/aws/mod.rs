//! AWS and EKS: a cross-account role with the organization's External ID.
pub mod link;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod sts;
#[cfg(feature = "ssr")]
pub mod template;
pub mod organization;
