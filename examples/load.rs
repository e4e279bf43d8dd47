//! The load and crash run of `scripts/load.sh` (README "Load and crash"). It starts moto and the
//! release server (by process id, on free loopback ports, fresh database each phase), signs up
//! N organizations and drives one signed-in session each for the given time, mixing page views,
//! renames, support requests and AWS links verified against moto. Every write is written down
//! with what the client saw: acknowledged, refused (4xx) or unknown (5xx, no answer). Then the
//! database is checked against that ledger.
//!
//! Phase "steady": no 5xx, nothing unanswered, every acknowledged write there exactly once.
//! Phase "crash": the server is SIGKILLed halfway and restarted on the same database; every
//! acknowledged write is still there (an unanswered one may or may not be, never twice),
//! `PRAGMA integrity_check` is ok, sign-in works, and the sessions of before the crash are
//! still valid or cleanly sent to sign-in.
//!
//! With `--engine postgres` the phases run two replicas on one PostgreSQL database (a throwaway
//! cluster, `scripts/postgres.sh`), requests going round-robin between them; in "crash" one
//! replica is SIGKILLed halfway and not restarted: the other keeps serving every session.
//!
//! Usage: load --server target/release/xops [--seconds 60] [--sessions 200] [--phase both|steady|crash] [--engine sqlite|postgres]
#[allow(dead_code)]
#[path = "../tests/integration/common/aws.rs"]
mod aws;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{ACCEPT, LOCATION, ORIGIN};
use reqwest::{Client, StatusCode};

const PASSWORD: &str = "load run password";

struct Args {
    server: PathBuf,
    site_root: String,
    seconds: u64,
    sessions: usize,
    phases: Vec<&'static str>,
    postgres: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        server: PathBuf::from("target/release/xops"),
        site_root: "target/release/site".into(),
        seconds: 60,
        sessions: 200,
        phases: vec!["steady", "crash"],
        postgres: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{flag}: `{value}` is not a number"));
        match flag.as_str() {
            "--server" => args.server = value.clone().into(),
            "--site-root" => args.site_root = value.clone(),
            "--seconds" => args.seconds = number()?,
            "--engine" => {
                args.postgres = match value.as_str() {
                    "sqlite" => false,
                    "postgres" => true,
                    other => return Err(format!("--engine: `{other}` is not sqlite or postgres")),
                }
            }
            "--sessions" => args.sessions = usize::try_from(number()?).map_err(|e| e.to_string())?,
            "--phase" => {
                args.phases = match value.as_str() {
                    "both" => vec!["steady", "crash"],
                    "steady" => vec!["steady"],
                    "crash" => vec!["crash"],
                    other => return Err(format!("--phase: `{other}` is not both, steady or crash")),
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

/// The server under test: a child process on a fixed port, so that a restart keeps the URL.
struct Server {
    bin: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    url: String,
    child: Option<Child>,
}

impl Server {
    fn new(args: &Args, work: &std::path::Path, moto: &aws::Moto, database_url: &str, name: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let url = format!("http://127.0.0.1:{port}");
        let env = [
            ("DATABASE_URL", database_url.to_string()),
            ("XOPS_ADDR", format!("127.0.0.1:{port}")),
            ("XOPS_PUBLIC_URL", url.clone()),
            ("XOPS_MASTER_KEY_FILE", work.join("master.key").display().to_string()),
            ("LEPTOS_SITE_ROOT", args.site_root.clone()),
            ("AWS_ENDPOINT_URL", moto.url.clone()),
            // STS through the trust-policy guard: AssumeRole needs the External ID, as for a template role.
            ("AWS_ENDPOINT_URL_STS", moto.sts_url.clone()),
            ("AWS_ACCESS_KEY_ID", "AKIAPLATFORMLOAD".into()),
            ("AWS_SECRET_ACCESS_KEY", "platform-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("RUST_LOG", "warn".into()),
            // Every session signs up its own organization from this one address.
            ("XOPS_SIGN_UPS_PER_HOUR", "1000000".into()),
            // No SMTP server: sign-up links are read from the .eml files the server writes.
            ("XOPS_MAIL_DIR", work.join("mail").display().to_string()),
        ];
        Server {
            bin: args.server.clone(),
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            log: work.join(format!("{name}.log")),
            url,
            child: None,
        }
    }

    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("server log");
        let child = Command::new(&self.bin)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("AWS_PROFILE")
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e}); scripts/load.sh builds it", self.bin.display()));
        self.child = Some(child);
        let probe = Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = probe.get(format!("{}/healthz", self.url)).send().await {
                if res.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the server did not answer /healthz within 30 s: see {}", self.log.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown code runs, as in a power cut of the process.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as a deployment stops it; SIGKILL if it has not stopped after 10 s.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!("the server did not stop within 10 s of SIGTERM; killing it");
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Op {
    View,
    ReadFn,
    Rename,
    Support,
    Link,
}

const OPS: [Op; 5] = [Op::View, Op::ReadFn, Op::Rename, Op::Support, Op::Link];

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::View => "page view",
            Op::ReadFn => "read fn (workspace)",
            Op::Rename => "rename",
            Op::Support => "support request",
            Op::Link => "AWS link (moto)",
        }
    }
}

/// What the client saw of a request.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Acked,
    /// 4xx: the server said no, so nothing may have changed.
    Refused(u16),
    /// 5xx or no answer (refused connection, reset, timeout): it may or may not have happened.
    Unknown(Option<u16>),
}

#[derive(Default)]
struct Ledger {
    /// (account id, new name, outcome), in the order this session sent them.
    renames: Vec<(i64, String, Outcome)>,
    /// (subject, outcome).
    support: Vec<(String, Outcome)>,
    /// (AWS account id, name, outcome).
    links: Vec<(String, String, Outcome)>,
}

#[derive(Default)]
struct Stats {
    latencies_us: HashMap<Op, Vec<u64>>,
    /// (op, status or 0 for no answer) → count
    statuses: HashMap<(Op, u16), u64>,
    first_5xx: Vec<String>,
}

#[derive(Default)]
struct SessionReport {
    ledger: Ledger,
    stats: Stats,
    /// After the restart: a page came back signed in / the session was sent to sign-in.
    valid_after_restart: bool,
    expired_after_restart: bool,
    /// Pages after the restart that were neither (error pages, unexpected redirects).
    bad_after_restart: Vec<String>,
}

struct Shared {
    /// The replicas' addresses (one on SQLite), and which of them are up.
    urls: Vec<String>,
    alive: Vec<AtomicBool>,
    next: std::sync::atomic::AtomicUsize,
    /// Where the server writes its mail (XOPS_MAIL_DIR).
    mail_dir: std::path::PathBuf,
    deadline: Instant,
    restarted_at: OnceLock<Instant>,
    down: AtomicBool,
    /// Links in flight at once: moto answers ~100 STS calls a second on this kind of machine,
    /// and a queue there would time the links out (a 502 that says nothing about the portal).
    links: tokio::sync::Semaphore,
}

/// At most this many links in flight; a session that finds none free views a page instead.
const LINKS_IN_FLIGHT: usize = 8;

impl Shared {
    fn new(urls: &[String], mail_dir: &std::path::Path, deadline: Instant) -> Arc<Shared> {
        Arc::new(Shared {
            urls: urls.to_vec(),
            alive: urls.iter().map(|_| AtomicBool::new(true)).collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
            mail_dir: mail_dir.to_path_buf(),
            deadline,
            restarted_at: OnceLock::new(),
            down: AtomicBool::new(false),
            links: tokio::sync::Semaphore::new(LINKS_IN_FLIGHT),
        })
    }

    /// Round-robin over the replicas that are up: the load balancer in front of them.
    fn url(&self) -> &str {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let up: Vec<&String> = self.urls.iter().zip(&self.alive).filter(|(_, a)| a.load(Ordering::Relaxed)).map(|(u, _)| u).collect();
        let up = if up.is_empty() { self.urls.iter().collect() } else { up };
        up[n % up.len()]
    }
}

struct Session {
    index: usize,
    client: Client,
    email: String,
    shared: Arc<Shared>,
    accounts: Vec<i64>,
    report: SessionReport,
    counter: u64,
}

impl Session {
    /// Session `index`: user load{index}@example.com, its own organization and cookies.
    fn new(index: usize, shared: Arc<Shared>) -> Session {
        Session {
            index,
            client: new_client(),
            email: format!("load{index}@example.com"),
            shared,
            accounts: Vec::new(),
            report: SessionReport::default(),
            counter: 0,
        }
    }

    fn post(&self, name: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        // Each replica here has its own address, and takes only its own origin.
        let url = self.shared.url();
        self.client.post(format!("{url}/api/{name}")).header(ORIGIN, url).form(form)
    }

    /// Sends the request, times it and counts its status.
    async fn send(&mut self, op: Op, req: reqwest::RequestBuilder) -> (Outcome, Option<reqwest::Response>) {
        let started = Instant::now();
        let res = req.send().await;
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let stats = &mut self.report.stats;
        match res {
            Ok(res) => {
                let status = res.status().as_u16();
                stats.latencies_us.entry(op).or_default().push(us);
                *stats.statuses.entry((op, status)).or_default() += 1;
                if status >= 500 {
                    if stats.first_5xx.len() < 3 {
                        let body = res.text().await.unwrap_or_default();
                        stats.first_5xx.push(format!("{} {status}: {}", op.label(), body.chars().take(200).collect::<String>()));
                    }
                    return (Outcome::Unknown(Some(status)), None);
                }
                let outcome = if status >= 400 { Outcome::Refused(status) } else { Outcome::Acked };
                (outcome, Some(res))
            }
            Err(_) => {
                *stats.statuses.entry((op, 0)).or_default() += 1;
                // The server is down (the crash phase): do not spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                (Outcome::Unknown(None), None)
            }
        }
    }

    fn after_restart(&self, started: Instant) -> bool {
        self.shared.restarted_at.get().is_some_and(|at| started >= *at)
    }

    /// The form, then the link the server mailed (read from its mail folder), then the password.
    async fn sign_up(&mut self) -> Result<(), String> {
        let org = format!("Load {}", self.index);
        let form = [("organization", org.as_str()), ("email", self.email.as_str())];
        let res = self.post("sign_up", &form).send().await.map_err(|e| e.to_string())?;
        if res.status().is_server_error() || res.status().is_client_error() {
            return Err(format!("sign-up of {} answered {}", self.email, res.status()));
        }
        let token = self.mailed_token().await?;
        let form = [("token", token.as_str()), ("password", PASSWORD)];
        let res = self.post("confirm_sign_up", &form).send().await.map_err(|e| e.to_string())?;
        if res.status().is_server_error() || res.status().is_client_error() {
            return Err(format!("the sign-up link of {} answered {}", self.email, res.status()));
        }
        Ok(())
    }

    /// The token of the sign-up link mailed to this session's email (waits up to 30 s).
    async fn mailed_token(&self) -> Result<String, String> {
        let to = format!("To: {}", self.email);
        let marker = "/signup/confirm/";
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            for entry in std::fs::read_dir(&self.shared.mail_dir).into_iter().flatten().flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default().replace("=\r\n", "");
                if text.lines().any(|line| line.trim_end() == to) {
                    if let Some(at) = text.find(marker) {
                        let token: String = text[at + marker.len()..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                            .collect();
                        return Ok(token);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("no sign-up link reached {} within 30 s", self.email))
    }

    async fn sign_in(&mut self) -> bool {
        let form = [("email", self.email.as_str()), ("password", PASSWORD)];
        matches!(self.post("sign_in", &form).send().await, Ok(res) if res.status().is_success() || res.status().is_redirection())
    }

    async fn view(&mut self) {
        let path = ["/integrations", "/", "/integrations/aws", "/support"][rand::thread_rng().gen_range(0..4)];
        let started = Instant::now();
        let req = self.client.get(format!("{}{path}", self.shared.url())).header(ACCEPT, "text/html");
        let (outcome, res) = self.send(Op::View, req).await;
        if !self.after_restart(started) {
            return;
        }
        match (outcome, res) {
            (Outcome::Acked, Some(res)) if location(&res).starts_with("/signin") => {
                self.report.expired_after_restart = true;
                self.sign_in().await;
            }
            (Outcome::Acked, _) => self.report.valid_after_restart = true,
            (Outcome::Unknown(None), _) => {} // still restarting
            (outcome, res) => self.report.bad_after_restart.push(format!(
                "GET {path}: {outcome:?} {}",
                res.map(|r| location(&r)).unwrap_or_default()
            )),
        }
    }

    /// The workspace read function: also how a session learns its accounts' ids.
    async fn read_workspace(&mut self) {
        let req = self.post("workspace", &[]);
        if let (Outcome::Acked, Some(res)) = self.send(Op::ReadFn, req).await {
            if let Ok(body) = res.json::<serde_json::Value>().await {
                if let Some(accounts) = body["accounts"].as_array() {
                    self.accounts = accounts.iter().filter_map(|a| a["id"].as_i64()).collect();
                }
            }
        }
    }

    async fn rename(&mut self) {
        if self.accounts.is_empty() {
            return self.link().await;
        }
        let id = self.accounts[rand::thread_rng().gen_range(0..self.accounts.len())];
        self.counter += 1;
        let name = format!("s{} renamed {}", self.index, self.counter);
        let req = self.post("rename_account", &[("account_id", &id.to_string()), ("name", &name)]);
        let (outcome, _) = self.send(Op::Rename, req).await;
        self.report.ledger.renames.push((id, name, outcome));
    }

    async fn support(&mut self) {
        self.counter += 1;
        let subject = format!("load s{} request {}", self.index, self.counter);
        let req = self.post("create_support_request", &[("subject", &subject), ("description", "Sent by the load run.")]);
        let (outcome, _) = self.send(Op::Support, req).await;
        self.report.ledger.support.push((subject, outcome));
    }

    async fn link(&mut self) {
        let shared = self.shared.clone();
        let Ok(_permit) = shared.links.try_acquire() else {
            return self.view().await;
        };
        self.counter += 1;
        // Unique across sessions: 1 + session (5 digits) + counter (6 digits).
        let aws_account = format!("1{:05}{:06}", self.index, self.counter);
        let name = format!("s{} account {}", self.index, self.counter);
        let arn = format!("arn:aws:iam::{aws_account}:role/XopsReadOnlyAccess");
        let req = self.post("link_aws_account", &[("kind", "management"), ("name", &name), ("role_arn", &arn)]);
        let (outcome, _) = self.send(Op::Link, req).await;
        self.report.ledger.links.push((aws_account, name, outcome));
        if outcome == Outcome::Acked {
            self.read_workspace().await;
        }
    }

    async fn run(mut self) -> Session {
        while Instant::now() < self.shared.deadline {
            let roll = rand::thread_rng().gen_range(0..100);
            match roll {
                0..=44 => self.view().await,
                45..=59 => self.read_workspace().await,
                60..=79 => self.rename().await,
                80..=89 => self.support().await,
                _ => self.link().await,
            }
            if self.shared.down.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        self
    }
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// Runs one phase; returns the failures found.
async fn phase(name: &str, args: &Args, moto: &aws::Moto) -> Vec<String> {
    println!("\n== phase {name}: {} sessions for {} s", args.sessions, args.seconds);
    let work = tempfile::tempdir().expect("work dir");
    let cluster = if args.postgres { Some(Cluster::start(work.path())) } else { None };
    let database_url = match &cluster {
        Some(cluster) => cluster.url.clone(),
        None => format!("sqlite://{}/load.db?mode=rwc", work.path().display()),
    };
    // Two replicas on PostgreSQL, started one after the other (the first makes the key file).
    let mut servers = Vec::new();
    for name in if args.postgres { vec!["replica-a", "replica-b"] } else { vec!["server"] } {
        let mut server = Server::new(args, work.path(), moto, &database_url, name);
        server.start().await;
        servers.push(server);
    }
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let mut failures = Vec::new();

    // Sign everyone up first (argon2 is deliberately slow; a few at a time).
    let shared = Shared::new(&urls, &work.path().join("mail"), Instant::now() + Duration::from_secs(3600));
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let mut signups = Vec::new();
    for index in 0..args.sessions {
        let shared = shared.clone();
        let gate = gate.clone();
        signups.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore");
            let mut s = Session::new(index, shared);
            s.sign_up().await.map(|_| s)
        }));
    }
    let mut sessions = Vec::new();
    for signup in signups {
        match signup.await.expect("sign-up task") {
            Ok(s) => sessions.push(s),
            Err(e) => failures.push(e),
        }
    }
    if !failures.is_empty() {
        return failures;
    }

    let started = Instant::now();
    let shared = Shared::new(&urls, &work.path().join("mail"), started + Duration::from_secs(args.seconds));
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut s| {
            s.shared = shared.clone();
            tokio::spawn(s.run())
        })
        .collect();

    let mut downtime = None;
    if name == "crash" && servers.len() > 1 {
        // One replica dies and stays dead; the balancer sends everything to the other.
        tokio::time::sleep(Duration::from_secs(args.seconds) / 2).await;
        let killed = Instant::now();
        servers[1].kill();
        shared.alive[1].store(false, Ordering::Relaxed);
        let _ = shared.restarted_at.set(Instant::now());
        downtime = Some(Duration::ZERO);
        println!("SIGKILL of replica B at {:.1} s; replica A serves alone", (killed - started).as_secs_f64());
    } else if name == "crash" {
        let server = &mut servers[0];
        tokio::time::sleep(Duration::from_secs(args.seconds) / 2).await;
        shared.down.store(true, Ordering::Relaxed);
        let killed = Instant::now();
        server.kill();
        server.start().await;
        let _ = shared.restarted_at.set(Instant::now());
        shared.down.store(false, Ordering::Relaxed);
        downtime = Some(killed.elapsed());
        println!("SIGKILL at {:.1} s; answering again after {:.2} s", (killed - started).as_secs_f64(), killed.elapsed().as_secs_f64());
    }
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.expect("session task"));
    }
    let elapsed = started.elapsed();
    if downtime.is_some() {
        // Every session of before the crash, once more after it: signed in, or sent to sign-in.
        for s in &mut sessions {
            s.view().await;
        }
    }
    let reports: Vec<SessionReport> = sessions.into_iter().map(|s| s.report).collect();

    // Sign-in still works (after the crash: on the restarted server).
    let mut probe = Session::new(0, shared.clone()); // a new browser for session 0's user
    if !probe.sign_in().await {
        failures.push("signing in after the run failed".into());
    }
    for server in &mut servers {
        server.stop();
    }

    print_stats(&reports, elapsed);
    failures.extend(check_database(&database_url, &reports, downtime.is_some()).await);
    drop(cluster);
    if downtime.is_some() {
        let valid = reports.iter().filter(|r| r.valid_after_restart).count();
        let expired = reports.iter().filter(|r| r.expired_after_restart && !r.valid_after_restart).count();
        println!("sessions of before the crash, after it: {valid} still signed in, {expired} sent to sign-in");
        for bad in reports.iter().flat_map(|r| r.bad_after_restart.iter()).take(5) {
            failures.push(format!("after the restart: {bad}"));
        }
    }
    let five_xx: u64 = reports.iter().flat_map(|r| r.stats.statuses.iter()).filter(|((_, s), _)| *s >= 500).map(|(_, n)| n).sum();
    if five_xx > 0 {
        failures.push(format!("{five_xx} responses were 5xx"));
        for example in reports.iter().flat_map(|r| r.stats.first_5xx.iter()).take(3) {
            failures.push(format!("  e.g. {example}"));
        }
    }
    let refused: u64 = reports
        .iter()
        .flat_map(|r| r.stats.statuses.iter())
        .filter(|((_, s), _)| (400..500).contains(s))
        .map(|(_, n)| n)
        .sum();
    if refused > 0 {
        failures.push(format!("{refused} requests were refused (4xx); the load sends only valid ones"));
    }
    if downtime.is_none() {
        let unanswered: u64 = reports.iter().flat_map(|r| r.stats.statuses.iter()).filter(|((_, s), _)| *s == 0).map(|(_, n)| n).sum();
        if unanswered > 0 {
            failures.push(format!("{unanswered} requests got no answer"));
        }
    }
    failures
}

fn print_stats(reports: &[SessionReport], elapsed: Duration) {
    println!("{:<22} {:>8} {:>9} {:>9} {:>9} {:>7} {:>5} {:>5} {:>9}", "operation", "count", "per s", "p50 ms", "p99 ms", "2xx/3xx", "4xx", "5xx", "no answer");
    for op in OPS {
        let mut lat: Vec<u64> = reports.iter().flat_map(|r| r.stats.latencies_us.get(&op).into_iter().flatten().copied()).collect();
        lat.sort_unstable();
        let count = |pred: &dyn Fn(u16) -> bool| -> u64 {
            reports.iter().flat_map(|r| r.stats.statuses.iter()).filter(|((o, s), _)| *o == op && pred(*s)).map(|(_, n)| n).sum()
        };
        let pct = |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).map(|us| *us as f64 / 1000.0).unwrap_or(0.0);
        let total = count(&|_| true);
        println!(
            "{:<22} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>7} {:>5} {:>5} {:>9}",
            op.label(),
            total,
            total as f64 / elapsed.as_secs_f64(),
            pct(0.5),
            pct(0.99),
            count(&|s| (200..400).contains(&s)),
            count(&|s| (400..500).contains(&s)),
            count(&|s| s >= 500),
            count(&|s| s == 0),
        );
    }
}

/// The database against the ledger: acknowledged writes exactly once, refused ones never,
/// unknown ones at most once; each account's name is its last acknowledged rename or a
/// later unanswered one.
async fn check_database(database_url: &str, reports: &[SessionReport], crashed: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let db = match xops::server::connect(database_url, xops::config::DEFAULT_POSTGRES_POOL_SIZE).await {
        Ok(db) => db,
        Err(e) => return vec![format!("cannot open the database: {e}")],
    };
    let db = &db;
    if !xops::server::is_postgres(db) {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(db).await.unwrap_or_else(|e| e.to_string());
        println!("PRAGMA integrity_check: {integrity}");
        if integrity != "ok" {
            failures.push(format!("integrity_check: {integrity}"));
        }
    }
    let counts = |rows: Vec<(String, i64)>| rows.into_iter().collect::<HashMap<String, i64>>();
    let links = counts(
        sqlx::query_as("SELECT external_account_id, COUNT(*) FROM cloud_accounts GROUP BY external_account_id")
            .fetch_all(db)
            .await
            .unwrap_or_default(),
    );
    let support =
        counts(sqlx::query_as("SELECT subject, COUNT(*) FROM support_requests GROUP BY subject").fetch_all(db).await.unwrap_or_default());
    let names: HashMap<i64, String> =
        sqlx::query_as("SELECT id, name FROM cloud_accounts").fetch_all(db).await.unwrap_or_default().into_iter().collect();

    let mut tally = |what: &str, key: &str, outcome: Outcome, found: i64, acked: &mut u64, unknown_kept: &mut u64| {
        match outcome {
            Outcome::Acked if found == 1 => *acked += 1,
            Outcome::Acked => failures.push(format!("acknowledged {what} {key} is in the database {found} times")),
            Outcome::Refused(_) if found > 0 => failures.push(format!("refused {what} {key} is in the database")),
            Outcome::Refused(_) => {}
            Outcome::Unknown(_) if found > 1 => failures.push(format!("unanswered {what} {key} is in the database {found} times")),
            Outcome::Unknown(_) => *unknown_kept += u64::try_from(found).unwrap_or(0),
        }
    };
    let (mut acked_links, mut unknown_links, mut acked_support, mut unknown_support) = (0, 0, 0, 0);
    for r in reports {
        for (aws_account, _, outcome) in &r.ledger.links {
            tally("link of", aws_account, *outcome, links.get(aws_account).copied().unwrap_or(0), &mut acked_links, &mut unknown_links);
        }
        for (subject, outcome) in &r.ledger.support {
            tally("support request", subject, *outcome, support.get(subject).copied().unwrap_or(0), &mut acked_support, &mut unknown_support);
        }
    }
    let linked_total: i64 = links.values().sum();
    let expected_links = acked_links + unknown_links;
    if u64::try_from(linked_total).unwrap_or(0) != expected_links {
        failures.push(format!("{linked_total} accounts in the database, but the clients account for {expected_links}"));
    }

    let (mut renames_checked, mut acked_renames) = (0, 0);
    for r in reports {
        let mut by_account: HashMap<i64, Vec<(&str, Outcome)>> = HashMap::new();
        for (id, name, outcome) in &r.ledger.renames {
            by_account.entry(*id).or_default().push((name, *outcome));
        }
        for (id, attempts) in by_account {
            let Some(current) = names.get(&id) else {
                failures.push(format!("account {id} was renamed but is gone"));
                continue;
            };
            acked_renames += attempts.iter().filter(|(_, o)| *o == Outcome::Acked).count();
            let last_acked = attempts.iter().rposition(|(_, o)| *o == Outcome::Acked);
            let mut allowed: Vec<&str> = attempts
                .iter()
                .skip(last_acked.map_or(0, |i| i + 1))
                .filter(|(_, o)| matches!(o, Outcome::Unknown(_)))
                .map(|(n, _)| *n)
                .collect();
            match last_acked {
                Some(i) => allowed.push(attempts[i].0),
                // Never renamed with an answer: any name that is none of the refused/unanswered
                // ones it may not have (its link name).
                None => {
                    if attempts.iter().any(|(n, o)| matches!(o, Outcome::Refused(_)) && *n == current.as_str()) {
                        failures.push(format!("account {id} carries a refused name"));
                    }
                    renames_checked += 1;
                    continue;
                }
            }
            if !allowed.contains(&current.as_str()) {
                failures.push(format!("account {id} is named \"{current}\"; the last acknowledged rename was \"{}\"", attempts[last_acked.unwrap_or(0)].0));
            }
            renames_checked += 1;
        }
    }
    println!(
        "database vs acknowledged: {acked_links} links, {acked_support} support requests, {acked_renames} renames over {renames_checked} accounts{}",
        if crashed { format!("; unanswered but kept: {unknown_links} links, {unknown_support} support requests") } else { String::new() }
    );
    failures
}

/// A throwaway PostgreSQL cluster (`scripts/postgres.sh`), stopped by its process id when dropped.
struct Cluster {
    url: String,
    pid: String,
}

impl Cluster {
    fn start(work: &std::path::Path) -> Cluster {
        let folder = work.join("pg");
        std::fs::create_dir(&folder).expect("a folder for the cluster");
        // Its owner (Debian's postgres user when we are root) must reach the folder.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(work, std::fs::Permissions::from_mode(0o711));
        let out = Command::new("scripts/postgres.sh").arg(&folder).output().expect("scripts/postgres.sh runs");
        assert!(out.status.success(), "PostgreSQL did not start: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut lines = text.lines();
        let (Some(url), Some(pid)) = (lines.next(), lines.next()) else { panic!("scripts/postgres.sh said: {text}") };
        Cluster { url: url.to_string(), pid: pid.to_string() }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\nusage: load --server PATH [--site-root DIR] [--seconds N] [--sessions N] [--phase both|steady|crash] [--engine sqlite|postgres]");
            std::process::exit(2);
        }
    };
    aws::fake_platform_credentials();
    let moto = aws::Moto::start();
    let mut failed = false;
    for name in args.phases.clone() {
        let failures = phase(name, &args, &moto).await;
        if failures.is_empty() {
            println!("PASS {name}");
        } else {
            failed = true;
            println!("FAIL {name}:");
            for f in failures.iter().take(20) {
                println!("  {f}");
            }
        }
    }
    drop(moto); // exit() skips destructors: stop moto (by its pid) first
    std::process::exit(i32::from(failed));
}
