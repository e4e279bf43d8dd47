//! A management account's AWS Organization: read it (`sts::organizations`), keep it (store), show it as a
//! tree with exclusions (tree, pages), link its members in one run (runs), and read it again
//! on a schedule (sync).
pub mod actions;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod run_store;
#[cfg(feature = "ssr")]
pub mod runs;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod sync;
pub mod tree;
