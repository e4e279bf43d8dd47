//! Starts the real app (router, middleware, sessions, migrations) on a free loopback port with
//! a fresh database, and drives it over HTTP like a browser that keeps cookies.
#![allow(dead_code)]

pub mod aws;
pub mod entra;
pub mod smtp;

use std::time::Duration;

use reqwest::header::{ACCEPT, LOCATION, ORIGIN};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use xops::server::Pool;
use xops::config::Config;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub url: String,
    /// The settings it was started with (to start another app on the same database).
    pub config: Config,
    pub pool: Pool,
    /// The app's state: tests run the scheduled checks through it at any time they choose.
    pub state: xops::server::AppState,
    pub client: Client,
    pub dir: tempfile::TempDir,
    /// The mail server the app sends to.
    pub mail: smtp::SmtpSink,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// The app with its settings changed by `configure` first (the endpoints of moto, a stub or
    /// the identity double, timeouts, the principal ...).
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        aws::fake_platform_credentials();
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let url = format!("http://{addr}");
        let database_url = fresh_database_url(dir.path()).await;
        let mail = smtp::SmtpSink::start().await;
        let mut config = Config {
            database_url: database_url.clone(),
            addr,
            public_url: url.clone(),
            issuer_url: url.clone(),
            site_root: dir.path().display().to_string(),
            session_idle: Duration::from_secs(30 * 60),
            session_max_age: Duration::from_secs(12 * 3600),
            second_factor_fresh: Duration::from_secs(5 * 60),
            api_requests_per_minute: 600,
            session_cache: xops::config::SessionCache::Notify,
            database_pool_size: xops::config::DEFAULT_POSTGRES_POOL_SIZE,
            // Tests' webhook receivers listen on loopback.
            webhooks: xops::notify::webhook::WebhookPolicy { allow_loopback_http: true, ..Default::default() },
            health: xops::config::HealthSettings {
                interval: Duration::from_secs(6 * 3600),
                concurrency: 8,
                org_sync_interval: Duration::from_secs(6 * 3600),
            },
            aws: Default::default(),
            microsoft: Default::default(),
            master_key: None,
            drain: Duration::from_secs(5),
            master_key_file: dir.path().join("master.key"),
            trusted_proxies: Vec::new(),
            connections: Default::default(),
            sign_ups_per_hour: 20,
            operators: vec!["operator@xops.example".into()],
            mail: xops::mail::transport::MailSettings {
                smtp_url: Some(mail.url()),
                folder: dir.path().join("mail"),
                timeout: Duration::from_secs(5),
                ..Default::default()
            },
        };
        configure(&mut config);
        // The app's own pool: what the test reads and writes is what the app sees.
        let pool = xops::server::connect(&config.database_url, config.database_pool_size).await.expect("test pool");
        let (router, state) = xops::startup::build_app_and_state(pool.clone(), config.clone()).await.expect("app builds");
        let serving = config.clone();
        let server = tokio::spawn(async move {
            let _ = xops::server::listen::serve(listener, router, &serving).await;
        });
        TestApp { url, config, pool, state, client: new_client(), dir, mail, server }
    }

    /// Another replica of this app: its own process-wide state (router, session layer, caches)
    /// on the same database with the same master key; `configure` as for `spawn_with`.
    pub async fn replica(&self, configure: impl FnOnce(&mut Config)) -> TestApp {
        let (database_url, master_key_file) = (self.config.database_url.clone(), self.config.master_key_file.clone());
        // The same mail server too: either replica may deliver what the other wrote.
        let mail = self.config.mail.clone();
        TestApp::spawn_with(move |c| {
            configure(c);
            c.database_url = database_url;
            c.master_key_file = master_key_file;
            c.mail = mail;
        })
        .await
    }

    /// Closes the app's database pool, as if the database went away.
    pub async fn close_database(&self) {
        self.pool.close().await;
    }

    /// A second browser: its own cookies.
    pub fn new_browser(&self) -> Client {
        new_client()
    }

    /// Calls a server function as the hydrated app does (no redirect follow, JSON errors).
    pub async fn call(&self, client: &Client, name: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(format!("{}/api/{name}", self.url))
            .header(ORIGIN, &self.url)
            .form(form)
            .send()
            .await
            .expect("request reaches the server")
    }

    /// Submits a form as a browser without JavaScript does.
    pub async fn submit(&self, client: &Client, name: &str, form: &[(&str, &str)], referer: &str) -> Response {
        client
            .post(format!("{}/api/{name}", self.url))
            .header(ORIGIN, &self.url)
            .header(ACCEPT, "text/html")
            .header(reqwest::header::REFERER, format!("{}{referer}", self.url))
            .form(form)
            .send()
            .await
            .expect("request reaches the server")
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(format!("{}{path}", self.url)).send().await.expect("request reaches the server")
    }

    /// Signs up as a person does: the form, then the link mailed to them, then the password.
    /// Returns the last answer (the form's, if it was refused).
    pub async fn sign_up(&self, client: &Client, organization: &str, email: &str) -> Response {
        let address = email.trim().to_lowercase();
        let before = self.mail.to(&address).len();
        let asked = self.request_sign_up(client, organization, email).await;
        if !asked.status().is_success() {
            return asked;
        }
        let token = self.sign_up_token(&address, before + 1).await;
        self.call(client, "confirm_sign_up", &[("token", &token), ("password", PASSWORD)]).await
    }

    /// The sign-up form alone.
    pub async fn request_sign_up(&self, client: &Client, organization: &str, email: &str) -> Response {
        self.call(client, "sign_up", &[("organization", organization), ("email", email)]).await
    }

    /// The token of the sign-up link in the `nth` mail to `address` (waiting for it to arrive).
    pub async fn sign_up_token(&self, address: &str, nth: usize) -> String {
        let mail = self.mail.wait_for(address, nth).await;
        let link = mail.link(&format!("{}/signup/confirm/", self.url)).unwrap_or_else(|| panic!("no sign-up link in {}", mail.body()));
        link.rsplit('/').next().unwrap_or_default().to_string()
    }

    pub async fn sign_in(&self, client: &Client, email: &str, password: &str) -> Response {
        self.call(client, "sign_in", &[("email", email), ("password", password)]).await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.expect("count query")
    }

    /// A connected account, written straight to the database (for tests about what follows linking).
    pub async fn insert_account(&self, org: i64, provider: &str, kind: &str, name: &str, external: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO cloud_accounts (organization_id, provider, kind, name, external_account_id, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'connected', 0, 0) RETURNING id",
        )
        .bind(org)
        .bind(provider)
        .bind(kind)
        .bind(name)
        .bind(external)
        .fetch_one(&self.pool)
        .await
        .expect("account inserted")
    }

    /// The organization `email` signed up (their first membership).
    pub async fn organization_id(&self, email: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT m.organization_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1 \
             ORDER BY m.created_at, m.organization_id LIMIT 1",
        )
            .bind(email)
            .fetch_one(&self.pool)
            .await
            .expect("user exists")
    }
}

fn new_client() -> Client {
    Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("http client")
}

/// A database of its own for one app: on PostgreSQL when the test command runs the suite there
/// (`XOPS_TEST_POSTGRES`: the admin URL of the cluster it started), else an SQLite file in `dir`.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let Some(admin) = std::env::var("XOPS_TEST_POSTGRES").ok().filter(|url| !url.is_empty()) else {
        return format!("sqlite://{}/xops.db?mode=rwc", dir.display());
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = format!("xops_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test cluster answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("a database for this test");
    let (server, _) = admin.rsplit_once('/').expect("the admin URL names a database");
    format!("{server}/{name}")
}

/// A free loopback port (aws.rs has it because examples/load.rs includes that file alone).
pub use aws::free_port;

/// The portal binary `bin` as a newcomer starts it: none of the test's own settings, the
/// working folder `work` (and its HOME), listening on `port`, and no instance metadata service
/// for the AWS SDK to wait for.
pub fn portal_process(bin: &std::path::Path, work: &std::path::Path, port: u16) -> std::process::Command {
    let mut command = std::process::Command::new(bin);
    for (name, _) in std::env::vars().filter(|(n, _)| {
        ["AWS_", "XOPS_", "LEPTOS_"].iter().any(|p| n.starts_with(p)) || n == "DATABASE_URL" || n == "RUST_LOG"
    }) {
        command.env_remove(name);
    }
    command
        .current_dir(work)
        .env("HOME", work)
        .env("XOPS_ADDR", format!("127.0.0.1:{port}"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    command
}

/// A process started by a test, stopped by its id when the test ends, pass or fail.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// For a test that measures or fills something of the whole process: it must be the only test
/// in it, as `cargo nextest run` makes every test (`cargo test` runs them as threads of one).
pub fn alone_in_this_process() {
    assert_eq!(
        std::env::var("NEXTEST_EXECUTION_MODE").as_deref(),
        Ok("process-per-test"),
        "this test must be alone in its process: run it with `cargo nextest run`"
    );
}

/// Whether this run of the suite is on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("XOPS_TEST_POSTGRES").is_ok_and(|url| !url.is_empty())
}

/// A sign-in as the hydrated app sends it, from the client a trusted proxy names (if any).
pub async fn sign_in_at(url: &str, client: &reqwest::Client, email: &str, password: &str, forwarded: Option<&str>) -> StatusCode {
    let mut req =
        client.post(format!("{url}/api/sign_in")).header(ORIGIN, url).form(&[("email", email), ("password", password)]);
    if let Some(addr) = forwarded {
        req = req.header("x-forwarded-for", addr);
    }
    req.send().await.expect("request reaches the server").status()
}

pub async fn sign_in_from(app: &TestApp, client: &reqwest::Client, email: &str, password: &str, forwarded: Option<&str>) -> StatusCode {
    sign_in_at(&app.url, client, email, password, forwarded).await
}

pub fn location(res: &Response) -> String {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub async fn expect_status(res: Response, status: StatusCode) -> String {
    let got = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(got, status, "body: {body}");
    body
}

/// The management account "Payer" as the tests link it.
pub const PAYER_ARN: &str = "arn:aws:iam::123456789012:role/XopsReadOnlyAccess";

/// Links Payer through the portal as `app`'s user.
pub async fn link_payer(app: &TestApp) {
    let form = [("kind", "management"), ("name", "Payer"), ("role_arn", PAYER_ARN)];
    let linked = app.call(&app.client, "link_aws_account", &form).await;
    assert!(location(&linked).contains("notice=linked-aws"), "{}", location(&linked));
}

/// An organization (Acme, ada@example.com) on an app that reaches `stub`, with Payer linked.
pub async fn linked_payer(stub: &aws::StubSts) -> TestApp {
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    link_payer(&app).await;
    app
}
