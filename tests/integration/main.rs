//! Every integration test, in one test binary: one link instead of twenty-one (a fresh build
//! of the tests took minutes of linking, and gigabytes under target/). The tests run with
//! `cargo nextest run`, one process per test, so a test that measures or fills something of
//! the whole process (floods, known_browsers) is still alone in it.
mod common;

mod account;
mod accounts;
mod api;
mod api_microsoft;
mod api_organizations;
mod architecture;
mod audit_log;
mod auth;
mod aws;
mod azure_groups;
mod bad_input;
mod cli;
mod connections;
mod dialogs;
mod federated;
mod floods;
mod guide;
mod health;
mod image;
mod islands;
mod issuer;
mod known_browsers;
mod mail;
mod microsoft;
mod notifications;
mod openapi;
mod operations;
mod organizations;
mod passkeys;
mod replicas;
mod security;
mod sessions;
mod startup;
mod support;
mod teams;
mod terraform_doc;
mod two_factor;
mod write_locks;

// The allocator the server runs with (src/main.rs): glibc's per-thread arenas would keep each
// blocking thread's 19 MiB, and floods would measure the allocator instead of the server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
