//! A flood of password checks: memory stays bounded and pages keep answering. Alone in its
//! process (nextest runs each test in its own), because it reads the process's peak memory.
use crate::common::TestApp;

use reqwest::header::ORIGIN;
use reqwest::StatusCode;

/// The process's peak resident set (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM in /proc/self/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_sign_ins_stay_within_bounds() {
    crate::common::alone_in_this_process();
    // Each sign-in comes from its own client behind the proxy, so the per-address throttle
    // lets every one reach the password check (argon2id: ~19 MiB each).
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec![xops::net::Cidr::parse("127.0.0.1").unwrap()]).await;
    let mut flood = tokio::task::JoinSet::new();
    // One client for all (a client per request would itself take megabytes each, in this process).
    let client = app.new_browser();
    for i in 0..200 {
        let (url, client) = (app.url.clone(), client.clone());
        flood.spawn(async move {
            client
                .post(format!("{url}/api/sign_in"))
                .header(ORIGIN, &url)
                .header("x-forwarded-for", format!("10.9.{}.{}", i / 250, i % 250 + 1))
                .form(&[("email", format!("nobody{i}@example.com")), ("password", "not the password".into())])
                .send()
                .await
                .map(|r| r.status())
        });
    }
    // While the flood runs, a page still answers.
    let page = app.get(&app.new_browser(), "/signin").await;
    assert_eq!(page.status(), StatusCode::OK);
    let statuses: Vec<StatusCode> = flood.join_all().await.into_iter().map(|r| r.expect("an answer")).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let busy = statuses.iter().filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE).count();
    assert_eq!(checked + busy, 200, "only 'wrong password' or 'busy, try again': {statuses:?}");
    assert!(checked >= 8, "the slots do work: {checked} checked");
    let peak = peak_rss();
    assert!(peak < 300 * 1024 * 1024, "peak RSS {} MB", peak / (1024 * 1024));
}
