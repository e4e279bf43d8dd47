//! Idle and half-sent connections (slowloris) cannot exhaust the server: one address holds at
//! most its share, the connection cap leaves room, and headers that do not arrive in time close
//! the connection, so `/healthz` and the sign-in page keep answering.
use std::net::SocketAddr;
use std::time::Duration;

use crate::common::TestApp;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connection from `from` (another loopback address) that sends half a request and waits.
async fn half_sent_request(from: &str, to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(format!("{from}:0").parse().expect("address")).expect("bind a loopback address");
    let mut stream = socket.connect(to).await.expect("connect");
    let _ = stream.write_all(b"GET /signin HTTP/1.1\r\nHost: portal\r\nX-Slow: ").await;
    stream
}

/// Whether the server closed the connection (EOF or reset) within `within`.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // An error response (408) before closing counts: read on to the close.
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

async fn answers(app: &TestApp, path: &str) -> StatusCode {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    client.get(format!("{}{path}", app.url)).send().await.map(|r| r.status()).expect("an answer within 20 s")
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let app = TestApp::spawn_with(|c| {
        c.connections.max_connections = 100;
        c.connections.per_address = 10;
        c.connections.header_timeout = Duration::from_secs(60);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(half_sent_request("127.0.0.2", app.config.addr).await);
    }
    let mut eleventh = half_sent_request("127.0.0.2", app.config.addr).await;
    assert!(closed_by_server(&mut eleventh, Duration::from_secs(5)).await, "the 11th connection of one address stayed open");
    // Everyone else is served at once, long before those headers time out.
    assert_eq!(answers(&app, "/healthz").await, StatusCode::OK);
    assert_eq!(answers(&app, "/signin").await, StatusCode::OK);
    drop(held);
}

#[tokio::test]
async fn connections_up_to_the_cap_are_closed_when_their_headers_do_not_arrive() {
    let app = TestApp::spawn_with(|c| {
        c.connections.max_connections = 30;
        c.connections.per_address = 10;
        c.connections.header_timeout = Duration::from_secs(2);
    })
    .await;
    let mut held = Vec::new();
    for from in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        for _ in 0..10 {
            held.push(half_sent_request(from, app.config.addr).await);
        }
    }
    // The cap is reached: a new connection waits until the header timeout frees a slot.
    assert_eq!(answers(&app, "/healthz").await, StatusCode::OK);
    assert_eq!(answers(&app, "/signin").await, StatusCode::OK);
    for stream in &mut held {
        assert!(closed_by_server(stream, Duration::from_secs(10)).await, "a half-sent request's connection stayed open");
    }
}
