//! AWS STS for tests: the real one (moto, started on a free port) and a small stub that answers
//! in STS's own XML for what moto cannot do (refuse a role, require the External ID, answer
//! from another account, or not answer in time).
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Router};
use xops::integrations::aws::sts::AwsSettings;

/// The Xops platform's own credentials: any strings do for moto and the stub.
pub fn fake_platform_credentials() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIAPLATFORMTEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "platform-secret");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::remove_var("AWS_PROFILE");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    });
}

/// A moto server on a free loopback port, with the trust-policy guard in front of its STS
/// (`end2end/doubles/sts-guard.mjs`: AssumeRole needs an External ID, as for a role the Xops
/// template made), both stopped (by process id) when dropped.
pub struct Moto {
    pub url: String,
    /// STS as the portal reaches it: through the guard.
    pub sts_url: String,
    child: Child,
    guard: Child,
}

/// Starts `program` with `args` and waits until it answers `probe` (a path of its own) on
/// `port`. None if it exited first or another server answers there: a free port can be taken by
/// another test between `free_port` and the program binding it, and that test's server would
/// otherwise stand in for this one.
pub fn start_on(program: &str, args: &[&str], port: u16, probe: &str) -> Option<Child> {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program} ({e}); scripts/setup.sh --for-tests installs it"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if !matches!(child.try_wait(), Ok(None)) {
            return None;
        }
        match http_status(port, probe) {
            Some(200) => return Some(child),
            // Another server: it does not know this program's own path.
            Some(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => {}
        }
        assert!(Instant::now() < deadline, "{program} did not start within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The HTTP status of GET `path` on the loopback `port`, or None if nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

impl Moto {
    pub fn start() -> Moto {
        let program = std::env::var("XOPS_MOTO_SERVER")
            .unwrap_or_else(|_| format!("{}/target/tools/moto/bin/moto_server", env!("CARGO_MANIFEST_DIR")));
        let guard_script = format!("{}/end2end/doubles/sts-guard.mjs", env!("CARGO_MANIFEST_DIR"));
        // A port taken by another test meanwhile: start again on other ports.
        for _ in 0..5 {
            let (port, guard_port) = (free_port(), free_port());
            let Some(mut child) = start_on(&program, &["-H", "127.0.0.1", "-p", &port.to_string()], port, "/moto-api/") else {
                continue;
            };
            let url = format!("http://127.0.0.1:{port}");
            let Some(guard) = start_on("node", &[&guard_script, &guard_port.to_string(), &url], guard_port, "/_guard/healthz") else {
                let _ = child.kill();
                let _ = child.wait();
                continue;
            };
            return Moto { url, sts_url: format!("http://127.0.0.1:{guard_port}"), child, guard };
        }
        panic!("moto and its guard could not start on free ports five times");
    }

    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            sts_endpoint: Some(self.sts_url.clone()),
            organizations_endpoint: Some(self.url.clone()),
            principal_arn: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// Makes `role` assumable without the External ID: a trust policy without the condition.
    pub async fn open_role(&self, role: &str) {
        self.guard("open", role).await
    }

    /// Tells the guard what to do with `role`: "deny" (a missing role), "allow" (undo), "hold"
    /// (keep its AssumeRole waiting) or "release" (let every held one go on).
    pub async fn guard(&self, what: &str, role: &str) {
        reqwest::Client::new()
            .post(format!("{}/_guard/{what}", self.sts_url))
            .body(serde_json::json!({ "role": role }).to_string())
            .send()
            .await
            .expect("the guard answers");
    }

    /// AWS Organizations as the platform's moto account (the organization's management account).
    pub async fn organizations(&self) -> aws_sdk_organizations::Client {
        fake_platform_credentials();
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        let config = aws_sdk_organizations::config::Builder::from(&base).endpoint_url(&self.url).build();
        aws_sdk_organizations::Client::from_conf(config)
    }
}

impl Moto {
    /// Makes the platform's moto account an AWS Organization's management account with one
    /// new member account, and returns that member's id.
    pub async fn create_member_account(&self) -> String {
        let orgs = self.organizations().await;
        let _ = orgs.create_organization().send().await;
        let created = orgs
            .create_account()
            .email("member@example.com")
            .account_name("Member")
            .send()
            .await
            .expect("moto creates the member account");
        created.create_account_status().and_then(|s| s.account_id()).expect("the new account's id").to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        for child in [&mut self.guard, &mut self.child] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How the stub's customer role behaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// Assumable only with an External ID (as the Xops template makes it).
    RequiresExternalId,
    /// Not assumable at all (missing role, wrong trust policy or External ID: AWS cannot tell).
    Denied,
    /// Assumable, but the credentials belong to another account.
    OtherAccount(String),
    /// Never answers in time.
    Silent,
}

pub const STUB_PRINCIPAL: &str = "arn:aws:iam::999999999999:role/XopsPlatform";
const ASSUMED_KEY: &str = "ASIASTUBASSUMED";

pub struct StubSts {
    pub url: String,
    pub role: Arc<Mutex<Role>>,
    /// How many requests the stub has answered (or begun to).
    pub calls: Arc<std::sync::atomic::AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for StubSts {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl StubSts {
    pub async fn start(role: Role) -> StubSts {
        let role = Arc::new(Mutex::new(role));
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let router = Router::new().route("/", post(answer)).with_state((role.clone(), calls.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        StubSts { url, role, calls, server }
    }

    pub fn set(&self, role: Role) {
        *self.role.lock().expect("stub lock") = role;
    }

    pub fn settings(&self, timeout: Duration) -> AwsSettings {
        AwsSettings {
            sts_endpoint: Some(self.url.clone()),
            organizations_endpoint: Some(self.url.clone()),
            principal_arn: Some(STUB_PRINCIPAL.into()),
            timeout,
        }
    }
}

async fn answer(
    State((role, calls)): State<(Arc<Mutex<Role>>, Arc<std::sync::atomic::AtomicUsize>)>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let role = role.lock().expect("stub lock").clone();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    if role == Role::Silent {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    match field("Action").as_str() {
        "AssumeRole" => {
            let arn = field("RoleArn");
            let allowed = match &role {
                Role::RequiresExternalId => !field("ExternalId").is_empty(),
                Role::Denied | Role::Silent => false,
                Role::OtherAccount(_) => true,
            };
            if !allowed {
                return error(
                    "AccessDenied",
                    &format!("User: {STUB_PRINCIPAL} is not authorized to perform: sts:AssumeRole on resource: {arn}"),
                );
            }
            let account = arn.split(':').nth(4).unwrap_or_default().to_string();
            xml(format!(
                "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
                 <AccessKeyId>{ASSUMED_KEY}{account}</AccessKeyId><SecretAccessKey>stub-secret</SecretAccessKey>\
                 <SessionToken>stub-session-token</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>\
                 <AssumedRoleUser><AssumedRoleId>AROASTUB:xops-verification</AssumedRoleId>\
                 <Arn>arn:aws:sts::{account}:assumed-role/Xops/xops-verification</Arn></AssumedRoleUser></AssumeRoleResult>\
                 <ResponseMetadata><RequestId>stub-1</RequestId></ResponseMetadata></AssumeRoleResponse>"
            ))
        }
        "GetCallerIdentity" => {
            // The account of the assumed credentials is in their access key id.
            let mut account = auth
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').next())
                .and_then(|key| key.strip_prefix(ASSUMED_KEY))
                .unwrap_or("999999999999")
                .to_string();
            if let Role::OtherAccount(other) = &role {
                account = other.clone();
            }
            xml(format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:sts::{account}:assumed-role/Xops/xops-verification</Arn><UserId>AROASTUB:xops</UserId>\
                 <Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>stub-2</RequestId>\
                 </ResponseMetadata></GetCallerIdentityResponse>"
            ))
        }
        other => error("InvalidAction", &format!("The stub does not do {other}")),
    }
}

fn xml(body: String) -> axum::response::Response {
    (StatusCode::OK, [("content-type", "text/xml")], body).into_response()
}

fn error(code: &str, message: &str) -> axum::response::Response {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code>\
         <Message>{message}</Message></Error><RequestId>stub-3</RequestId></ErrorResponse>"
    );
    (StatusCode::FORBIDDEN, [("content-type", "text/xml")], body).into_response()
}
