//! A flood of strangers' sign-ins cannot keep a person out whose browser signed in to their
//! account recently. Alone in its process (nextest runs each test in its own): the
//! password-hashing slots it fills are the process's, and would starve other tests' sign-ups.
use std::time::Duration;

use crate::common::{sign_in_at, sign_in_from, TestApp, PASSWORD};
use reqwest::StatusCode;

/// Issue 24: during a flood of sign-ins from many addresses, a legitimate sign-in got 503 once
/// in 5 tries. A browser that signed in to its account recently has hashing slots kept for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_browser_still_signs_in_during_a_flood_from_many_addresses() {
    crate::common::alone_in_this_process();
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec![xops::net::Cidr::parse("127.0.0.1").unwrap()]).await;
    app.sign_up(&app.new_browser(), "Acme", "ada@example.com").await;
    let ada = app.new_browser();
    assert!(sign_in_from(&app, &ada, "ada@example.com", PASSWORD, Some("198.51.100.7")).await.is_success());
    let mut flood = tokio::task::JoinSet::new();
    let stranger = app.new_browser();
    for i in 0..300 {
        let (url, client) = (app.url.clone(), stranger.clone());
        flood.spawn(async move {
            let from = format!("10.8.{}.{}", i / 250, i % 250 + 1);
            sign_in_at(&url, &client, &format!("nobody{i}@example.com"), "not the password", Some(&from)).await
        });
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for attempt in 0..5 {
        let status = sign_in_from(&app, &ada, "ada@example.com", PASSWORD, Some("198.51.100.7")).await;
        assert!(status.is_success(), "attempt {attempt} of a known browser during the flood: {status}");
    }
    let statuses = flood.join_all().await;
    assert!(statuses.iter().any(|s| *s == StatusCode::SERVICE_UNAVAILABLE), "the flood never filled the shared slots: the test proves nothing");
}
