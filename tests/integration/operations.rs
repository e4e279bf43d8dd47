//! What an operator running replicas relies on: the readiness check, and a start on
//! PostgreSQL that refuses a master key only one replica would have.
use crate::common::{expect_status, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn readyz_answers_while_the_database_does() {
    let app = TestApp::spawn().await;
    assert_eq!(expect_status(app.get(&app.client, "/readyz").await, StatusCode::OK).await, "ready");
    assert_eq!(expect_status(app.get(&app.client, "/healthz").await, StatusCode::OK).await, "ok");
    // The database gone (its pool closed): not ready, while the process itself is healthy.
    app.close_database().await;
    expect_status(app.get(&app.client, "/readyz").await, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(expect_status(app.get(&app.client, "/healthz").await, StatusCode::OK).await, "ok");
}

#[test]
fn on_postgresql_the_portal_will_not_start_without_a_shared_master_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xops"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "postgres://xops@127.0.0.1:1/xops")
        .output()
        .expect("the server binary runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("On PostgreSQL, set XOPS_MASTER_KEY") && said.contains("others cannot open"), "{said}");
}

/// SIGTERM, as a load balancer draining a replica sends it: no new connections, and a request
/// already in flight still gets its answer before the process exits.
#[test]
fn sigterm_drains_requests_in_flight_then_exits() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let origin = format!("http://127.0.0.1:{port}");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_xops"))
        .env("DATABASE_URL", format!("sqlite://{}/xops.db?mode=rwc", dir.path().display()))
        .env("XOPS_ADDR", format!("127.0.0.1:{port}"))
        .env("XOPS_PUBLIC_URL", &origin)
        .env("XOPS_MASTER_KEY_FILE", dir.path().join("key").join("master.key"))
        .env("XOPS_MAIL_DIR", dir.path().join("mail"))
        .env("XOPS_DRAIN_SECONDS", "10")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the server listens");

    // A sign-in whose body is still on its way when SIGTERM comes.
    let body = "email=ada%40example.com&password=not+the+password";
    let mut request = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        request,
        "POST /api/sign_in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "no new connections while draining");

    request.write_all(body[10..].as_bytes()).unwrap();
    let mut answer = String::new();
    request.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "the request in flight was answered: {answer}");
    let status = server.wait().unwrap();
    assert!(status.success(), "then the process exits cleanly: {status}");
}
