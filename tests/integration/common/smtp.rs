//! An SMTP server for tests: speaks enough SMTP for a real client (lettre) to deliver to it,
//! keeps what it receives, and can refuse service (421) to play a mail server that is down.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent: headers, blank line, body (CRLF lines, dots unstuffed).
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .split("\r\n\r\n")
            .next()?
            .split("\r\n")
            .find(|line| line.to_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_string())
    }

    /// The body, decoded from its transfer encoding.
    pub fn body(&self) -> String {
        let raw = self.data.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
        match self.header("Content-Transfer-Encoding").as_deref() {
            Some("quoted-printable") => decode_quoted_printable(raw),
            Some("base64") => {
                use base64::Engine;
                let compact: String = raw.split_whitespace().collect();
                String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(compact).unwrap_or_default())
                    .into_owned()
            }
            _ => raw.to_string(),
        }
        .replace("\r\n", "\n")
    }

    /// The first link in the body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let body = self.body();
        let at = body.find(prefix)?;
        Some(body[at..].split_whitespace().next()?.to_string())
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    refusing: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let refusing = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (received, arrived, refusing) = (received.clone(), arrived.clone(), refusing.clone());
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (received, arrived, refusing) = (received.clone(), arrived.clone(), refusing.clone());
                    tokio::spawn(async move {
                        if let Some(message) = session(stream, refusing.load(Ordering::SeqCst)).await {
                            received.lock().expect("sink lock").push(message);
                            arrived.notify_waiters();
                        }
                    });
                }
            }
        });
        SmtpSink { port, received, arrived, refusing, task }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// While on, every connection is answered "421 service not available" and closed.
    pub fn refuse(&self, on: bool) {
        self.refusing.store(on, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("sink lock").clone()
    }

    pub fn to(&self, address: &str) -> Vec<Received> {
        self.received().into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect()
    }

    /// Waits (at most 10 s) until `address` has received `count` messages; returns the last.
    pub async fn wait_for(&self, address: &str, count: usize) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            let got = self.to(address);
            if got.len() >= count {
                return got[count - 1].clone();
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{address} received {} messages, not {count}: {:?}", got.len(), self.received());
            }
        }
    }
}

/// One SMTP conversation; the message, if one was delivered.
async fn session(stream: TcpStream, refusing: bool) -> Option<Received> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if refusing {
        write.write_all(b"421 sink.test Service not available\r\n").await.ok()?;
        return None;
    }
    write.write_all(b"220 sink.test ESMTP\r\n").await.ok()?;
    let (mut from, mut to, mut message) = (String::new(), Vec::new(), None);
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await.ok()? == 0 {
            return message;
        }
        let command = line.trim_end().to_string();
        let upper = command.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command);
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.ok()?;
            let mut data = String::new();
            loop {
                let mut line = String::new();
                if lines.read_line(&mut line).await.ok()? == 0 {
                    return None;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            message = Some(Received { from: from.clone(), to: std::mem::take(&mut to), data });
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await.ok()?;
            return message;
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await.ok()?;
    }
}

fn address(command: &str) -> String {
    let start = command.find('<').map(|i| i + 1).unwrap_or(0);
    let end = command.rfind('>').unwrap_or(command.len());
    command.get(start..end).unwrap_or_default().to_lowercase()
}
