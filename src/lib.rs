//! The Xops integrations portal: one crate, rendered on the server (`ssr`) and hydrated in the
//! browser (`hydrate`).
// The views nest deep enough to pass the default limit when compiled for the browser.
#![recursion_limit = "256"]
pub mod accounts;
pub mod app;
pub mod auth;
pub mod domain;
pub mod error;
pub mod health;
pub mod home;
pub mod integrations;
pub mod layout;
pub mod onboarding;
pub mod settings;
pub mod support;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod net;
#[cfg(feature = "ssr")]
pub mod notify;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets browser tests (and curious people) tell a hydrated page from server HTML alone.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
