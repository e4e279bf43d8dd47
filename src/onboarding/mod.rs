//! First login: while the organization has no linked cloud account, sign-in and Home lead to
//! the "Select Your Preferred Cloud Service or Platform" page.
pub mod landing;
#[cfg(feature = "ssr")]
pub mod store;
