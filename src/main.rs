// Leptos view types nest deeper than the default limit when the release build inlines them.
#![recursion_limit = "256"]

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use xops::config::Config;

// glibc's malloc took a fifth of the server's time rendering pages (perf) and fragments
// across threads; mimalloc is faster and keeps the resident set smaller.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // The API's command line needs none of the server's settings.
    if let Some(exit) = xops::cli::run(&std::env::args().skip(1).collect::<Vec<_>>()).await {
        return exit;
    }
    // The AWS SDK's own warnings (a laptop has no instance metadata service to ask) are long
    // debug dumps; the portal says in one line what is off instead (`startup`).
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,aws_config=error")))
        .with_target(false)
        // Colours for a person at a terminal, plain text for a log file or a container's log.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.first().map(String::as_str) {
        Some("seed") => Some(seed(&config, &args[1..]).await),
        Some("seed-audit") => Some(seed_audit(&config, &args[1..]).await),
        Some("check-round") => Some(check_round(config.clone()).await),
        Some("issuer") => Some(issuer(&config, &args[1..]).await),
        Some("ready") => Some(xops::startup::probe_readiness(&config).await),
        _ => None,
    };
    if let Some(result) = command {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{}: {err}", args[0]);
                ExitCode::FAILURE
            }
        };
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {}: {err}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let public_url = config.public_url.clone();
    let serving = config.clone();
    let router = match xops::startup::build_app(config).await {
        Ok(router) => router,
        Err(err) => {
            eprintln!("cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("Xops portal listening on {public_url} · first time? sign up at {public_url}/signup");
    match xops::server::listen::serve(listener, router, &serving).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `xops seed ORGANIZATION EMAIL PASSWORD AWS_ACCOUNTS [eks]`: an organization with that many
/// AWS accounts (a management account and linked ones), or EKS accounts, made through the app's
/// own code (for benchmarks and demos; nothing is verified, so the accounts are marked as seeded).
async fn seed(config: &Config, args: &[String]) -> Result<(), String> {
    use xops::accounts::check_store::CheckRecord;
    use xops::accounts::store::{insert, Credentials, NewAccount};
    use xops::domain::{AccountKind, AwsKind, CheckReason, Email, OrganizationName, Password, Verified};
    let (organization, email, password, count, eks) = match args {
        [organization, email, password, count] => (organization, email, password, count, false),
        [organization, email, password, count, kind] if kind == "eks" => (organization, email, password, count, true),
        _ => return Err("usage: xops seed ORGANIZATION EMAIL PASSWORD AWS_ACCOUNTS [eks]".into()),
    };
    let count: u32 = count.parse().map_err(|_| format!("`{count}` is not a number of accounts"))?;
    let organization = OrganizationName::parse(organization).map_err(|e| e.to_string())?;
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let password = Password::parse(password).map_err(|e| e.to_string())?;
    let pool = xops::server::connect(&config.database_url, config.database_pool_size).await.map_err(|e| e.to_string())?;
    let (org, _) =
        xops::auth::create_organization(&pool, &organization, &email, password).await.map_err(|e| e.to_string())?;
    let verified = Verified::connected("Seeded for a benchmark; not verified with AWS.");
    let mut tx = xops::server::begin_write(&pool).await.map_err(|e| e.to_string())?;
    for i in 0..count {
        let account_id = format!("{:06}{:06}", org % 1_000_000, i);
        let role_arn = format!("arn:aws:iam::{account_id}:role/XopsReadOnlyAccess");
        let name = format!("Account {i:05}");
        let kind = match (eks, i) {
            (true, _) => AwsKind::Eks,
            (false, 0) => AwsKind::Management,
            (false, _) => AwsKind::Linked,
        };
        let account = NewAccount {
            kind: AccountKind::Aws(kind),
            name: &name,
            external_account_id: &account_id,
            credentials: Credentials::AwsRole { role_arn: &role_arn },
            verified: &verified,
        };
        let now = xops::server::now();
        let started = std::time::Instant::now();
        let check = CheckRecord::new(CheckReason::Link, now, started, kind.provider(), &account_id, config.health.interval);
        insert(&mut tx, org, &account, &check).await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    println!("organization {org}: {count} AWS accounts");
    Ok(())
}

/// `xops seed-audit ORGANIZATION_ID ROWS`: that many audit rows for the organization, spread
/// over the past year across every action, its members and Xops itself (for the audit page's
/// benchmark).
async fn seed_audit(config: &Config, args: &[String]) -> Result<(), String> {
    let [organization, rows] = args else {
        return Err("usage: xops seed-audit ORGANIZATION_ID ROWS".into());
    };
    let organization: i64 = organization.parse().map_err(|_| format!("`{organization}` is not an organization id"))?;
    let rows: i64 = rows.parse().map_err(|_| format!("`{rows}` is not a number of rows"))?;
    let pool = xops::server::connect(&config.database_url, config.database_pool_size).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let actions: Vec<&str> = xops::audit_log::ACTIONS.iter().map(|(code, _)| *code).collect();
    xops::audit_log::store::seed(&pool, organization, rows, xops::server::now(), &actions).await.map_err(|e| e.to_string())?;
    println!("organization {organization}: {rows} audit rows in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `xops check-round`: one round of scheduled checks of every account, as if an interval had
/// passed, with the server's own code and settings (for benchmarks: `scripts/bench.sh` runs it
/// against moto while pages are loaded). Prints how long it took and the process's peak memory.
async fn check_round(config: Config) -> Result<(), String> {
    let pool = xops::server::connect(&config.database_url, config.database_pool_size).await.map_err(|e| e.to_string())?;
    let interval = i64::try_from(config.health.interval.as_secs()).unwrap_or(i64::MAX / 4);
    let concurrency = config.health.concurrency;
    let (_, state) = xops::startup::build_app_and_state(pool, config).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let round = xops::health::schedule::run_due(&state, xops::server::now() + interval + 1).await.map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .unwrap_or(0);
    // The portal's own CPU (user + system, in clock ticks of 1/100 s), apart from the cloud's.
    let cpu_seconds = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let fields: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
            Some((fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?) as f64 / 100.0)
        })
        .unwrap_or(0.0);
    println!(
        "checked {} accounts in {seconds:.1} s ({:.0} per second, {concurrency} at a time), {} changed status, \
         {cpu_seconds:.1} s of CPU in the portal, peak memory {} MB",
        round.checked,
        round.checked as f64 / seconds.max(0.001),
        round.changed,
        peak_kb / 1024
    );
    Ok(())
}

/// `xops issuer export DIR`: the issuer's discovery document and JWKS, as files under DIR at the
/// paths they are served from, for a portal that is not reachable from the internet (serve DIR
/// at `XOPS_ISSUER_URL`; run it again at least daily, so that a new key is out before it signs).
async fn issuer(config: &Config, args: &[String]) -> Result<(), String> {
    let [command, dir] = args else {
        return Err("usage: xops issuer export DIR".into());
    };
    if command != "export" {
        return Err("usage: xops issuer export DIR".into());
    }
    let pool = xops::server::connect(&config.database_url, config.database_pool_size).await.map_err(|e| e.to_string())?;
    // The first key may be made here: sealed under the database's own master key, or none.
    let (sealer, new_key) = xops::crypto::Sealer::read(config.master_key.as_deref(), &config.master_key_file)?;
    xops::server::master_key::verify(&pool, &sealer, new_key).await?;
    let written =
        xops::issuer::documents::export(&pool, &sealer, &config.issuer_url, std::path::Path::new(dir), xops::server::now()).await?;
    for file in written {
        println!("{}", file.display());
    }
    println!("Serve them at {} (the issuer URL).", config.issuer_url);
    Ok(())
}
