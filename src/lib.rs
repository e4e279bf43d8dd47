//! The Xops integrations portal: one crate, rendered on the server (`ssr`); in the browser
//! (`hydrate`) only its islands (`islands.rs`) come to life.
// The views nest deep enough to pass the default limit when compiled for the browser.
#![recursion_limit = "256"]
pub mod accounts;
pub mod api;
pub mod app;
pub mod audit_log;
pub mod auth;
pub mod domain;
pub mod error;
pub mod health;
pub mod home;
pub mod integrations;
pub mod islands;
pub mod layout;
pub mod onboarding;
pub mod settings;
pub mod support;
pub mod teams;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod issuer;
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
    leptos::mount::hydrate_islands();
    // Lets browser tests (and curious people) tell a page whose islands are live from server
    // HTML alone. The loader hydrates the islands right after this returns, each in a microtask,
    // so a task queued now runs once they all are.
    let _ = leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
