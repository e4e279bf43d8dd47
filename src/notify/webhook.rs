//! Webhooks: which URLs may receive them (SSRF rules), the signature, and one delivery.
use std::net::SocketAddr;
use std::time::Duration;

use crate::error::AppError;

/// Where webhooks may go besides public https URLs (`XOPS_WEBHOOK_ALLOW_LOOPBACK_HTTP`,
/// `XOPS_WEBHOOK_ALLOW_PRIVATE`); both off in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// http:// to a loopback address (a receiver on the same machine, as in tests).
    pub allow_loopback_http: bool,
    /// Private and other non-public addresses (a receiver inside your network); never loopback,
    /// unspecified or link-local (cloud metadata), whatever this says.
    pub allow_private: bool,
    /// How long a receiver may take to answer (`XOPS_WEBHOOK_TIMEOUT_SECONDS`); one that let a
    /// message time out gets a third of it until it answers in time again.
    pub timeout: Duration,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        WebhookPolicy { allow_loopback_http: false, allow_private: false, timeout: Duration::from_secs(10) }
    }
}

pub const FIELD: &str = "url";

/// A webhook URL as typed: https (or http to loopback when allowed), a host, no credentials.
pub fn parse_url(raw: &str, policy: WebhookPolicy) -> Result<url::Url, AppError> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|_| AppError::invalid(FIELD, "Enter a full URL, like https://hooks.example.com/xops."))?;
    if raw.len() > 2000 {
        return Err(AppError::invalid(FIELD, "That URL is longer than 2,000 characters."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(FIELD, "Leave credentials out of the URL: Xops signs each message instead."));
    }
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => Ok(url),
        "http" if policy.allow_loopback_http && is_loopback_host(host) => Ok(url),
        "http" => Err(AppError::invalid(FIELD, "Webhooks are sent over https only: use an https:// URL.")),
        _ => Err(AppError::invalid(FIELD, "Enter an https:// URL.")),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|a| crate::net::effective(a).is_loopback())
}

/// Resolves the URL's host and returns the address to connect to, refusing any host that
/// resolves to an address the outbound rule refuses (`net::outbound_allowed`): checked at every
/// delivery, and the connection made to the checked address, so a DNS answer cannot change
/// between the two.
pub async fn allowed_address(url: &url::Url, policy: WebhookPolicy) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    crate::net::resolve_outbound(host, port, policy.allow_private, policy.allow_loopback_http)
        .await
        .map_err(|why| format!("{why}; webhooks go to public addresses only"))
}

/// `X-Xops-Signature`: `sha256=` and the hex HMAC-SHA256 of the body under the webhook's secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is never reached.
        Err(_) => return String::new(),
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("sha256={}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Why a POST got no answer.
#[derive(Debug)]
pub enum PostError {
    TimedOut,
    Failed(String),
}

/// POSTs `body` to `url` at `addr`; Ok with the status for any answer within `timeout`, Err if
/// none came. Redirects are not followed (one could lead inside the network).
pub async fn post(
    url: &url::Url,
    addr: SocketAddr,
    body: &str,
    signature: &str,
    event: &str,
    timeout: Duration,
) -> Result<u16, PostError> {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .resolve(&host, addr)
        .build()
        .map_err(|e| PostError::Failed(e.to_string()))?;
    let answer = client
        .post(url.clone())
        .header("content-type", "application/json")
        .header("user-agent", "Xops-Webhooks/1")
        .header("x-xops-event", event)
        .header("x-xops-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| if e.is_timeout() { PostError::TimedOut } else { PostError::Failed(format!("could not connect: {e}")) })?;
    Ok(answer.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_unless_loopback_http_is_allowed() {
        let strict = WebhookPolicy::default();
        assert!(parse_url("https://hooks.example.com/x", strict).is_ok());
        assert!(parse_url("http://hooks.example.com/x", strict).is_err());
        assert!(parse_url("http://127.0.0.1:9000/x", strict).is_err());
        assert!(parse_url("https://user:pw@hooks.example.com/x", strict).is_err());
        assert!(parse_url("ftp://hooks.example.com/x", strict).is_err());
        assert!(parse_url("hooks.example.com", strict).is_err());
        let loopback = WebhookPolicy { allow_loopback_http: true, ..Default::default() };
        assert!(parse_url("http://127.0.0.1:9000/x", loopback).is_ok());
        assert!(parse_url("http://10.0.0.1/x", loopback).is_err());
    }

    #[tokio::test]
    async fn private_and_metadata_addresses_are_refused() {
        let strict = WebhookPolicy::default();
        for url in ["https://169.254.169.254/latest", "https://10.0.0.5/x", "https://127.0.0.1/x", "https://[::1]/x", "https://localhost/x"] {
            let url = url::Url::parse(url).unwrap();
            assert!(allowed_address(&url, strict).await.is_err(), "{url}");
        }
        let private = WebhookPolicy { allow_private: true, ..Default::default() };
        assert!(allowed_address(&url::Url::parse("https://10.0.0.5/x").unwrap(), private).await.is_ok());
        // The forms a live probe got through (issue 24), each refused.
        for url in ["https://[::ffff:127.0.0.1]/x", "https://0.0.0.0/x", "https://[::]/x", "https://169.254.169.254/x",
            "https://[fd00:ec2::254]/x", "https://127.0.0.1/x", "https://localhost/x"]
        {
            assert!(allowed_address(&url::Url::parse(url).unwrap(), private).await.is_err(), "{url} with private networks on");
        }
        for url in ["https://[::127.0.0.1]/x", "https://[64:ff9b::a9fe:a9fe]/x", "https://[2002:a9fe:a9fe::1]/x", "https://198.18.0.1/x"] {
            assert!(allowed_address(&url::Url::parse(url).unwrap(), strict).await.is_err(), "{url} in strict mode");
        }
    }

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
