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
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("seed") {
        return match seed(&config, &args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("seed: {err}");
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
    let drain = config.drain;
    let router = match xops::startup::build_app(config).await {
        Ok(router) => router,
        Err(err) => {
            eprintln!("cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("Xops portal listening on {public_url}");
    match xops::startup::serve(listener, router, drain).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `xops seed ORGANIZATION EMAIL PASSWORD AWS_ACCOUNTS`: an organization with that many linked
/// AWS accounts, made through the app's own code (for benchmarks and demos; nothing is verified
/// against AWS, so the accounts are marked as seeded).
async fn seed(config: &Config, args: &[String]) -> Result<(), String> {
    use xops::accounts::checks::CheckRecord;
    use xops::accounts::store::{insert, NewAccount};
    use xops::domain::{AwsKind, CheckReason, Email, OrganizationName, Password, Verified};
    let [organization, email, password, count] = args else {
        return Err("usage: xops seed ORGANIZATION EMAIL PASSWORD AWS_ACCOUNTS".into());
    };
    let count: u32 = count.parse().map_err(|_| format!("`{count}` is not a number of accounts"))?;
    let organization = OrganizationName::parse(organization).map_err(|e| e.to_string())?;
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let password = Password::parse(password).map_err(|e| e.to_string())?;
    let pool = xops::server::connect(&config.database_url).await.map_err(|e| e.to_string())?;
    let (org, _) =
        xops::auth::create_organization(&pool, &organization, &email, password).await.map_err(|e| e.to_string())?;
    let verified = Verified::connected("Seeded for a benchmark; not verified with AWS.");
    let mut tx = xops::server::begin_write(&pool).await.map_err(|e| e.to_string())?;
    for i in 0..count {
        let account_id = format!("{:06}{:06}", org % 1_000_000, i);
        let role_arn = format!("arn:aws:iam::{account_id}:role/XopsReadOnlyAccess");
        let name = format!("Account {i:05}");
        let kind = if i == 0 { AwsKind::Management } else { AwsKind::Linked };
        let account = NewAccount {
            provider: kind.provider(),
            kind: kind.kind_column(),
            name: &name,
            external_account_id: &account_id,
            role_arn: &role_arn,
            app_id: "",
            domain: "",
            verified: &verified,
        };
        let now = xops::server::now();
        let check = CheckRecord {
            at: now,
            reason: CheckReason::Link,
            duration_ms: 0,
            next_check_at: xops::server::jobs::spread(&account_id, now, config.health.interval),
        };
        insert(&mut tx, org, &account, &check).await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    println!("organization {org}: {count} AWS accounts");
    Ok(())
}
