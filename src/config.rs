//! Every setting, read once from the environment at start, each with a default that works
//! on a newcomer's machine.
use std::net::SocketAddr;
use std::time::Duration;

use crate::integrations::aws::sts::AwsSettings;
use crate::integrations::microsoft::identity::MicrosoftSettings;
use crate::mail::transport::MailSettings;
use crate::notify::webhook::WebhookPolicy;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// The portal's origin as browsers see it (scheme://host[:port], no trailing slash):
    /// the only origin allowed to POST, and https here turns on Secure cookies.
    pub public_url: String,
    /// The portal's OpenID issuer (federated credentials): `XOPS_ISSUER_URL`, else the public
    /// URL. Its discovery document and JWKS must be reachable there from the internet.
    pub issuer_url: String,
    /// Where the built site (pkg/, assets) lives.
    pub site_root: String,
    pub session_idle: Duration,
    pub session_max_age: Duration,
    /// How long a second factor, once given, counts for a step-up (removing a factor, new
    /// recovery codes, deleting the organization) without being asked again.
    pub second_factor_fresh: Duration,
    /// Requests one API token may make per minute.
    pub api_requests_per_minute: u32,
    /// PostgreSQL only: whether each replica keeps sessions in memory, dropped when another
    /// replica changes them (LISTEN/NOTIFY). SQLite always caches (one process owns the file).
    pub session_cache: SessionCache,
    /// PostgreSQL only: connections each replica's pool keeps open at most.
    pub database_pool_size: u32,
    /// AWS endpoints (tests point them at local servers), our principal, and the call timeout.
    pub aws: AwsSettings,
    /// Microsoft identity platform, Resource Manager and Graph (tests point them at a double).
    pub microsoft: MicrosoftSettings,
    /// The key that seals private keys: base64 of 32 bytes, else read from (or created in) the file.
    pub master_key: Option<String>,
    pub master_key_file: std::path::PathBuf,
    /// Where webhooks may go besides public https URLs.
    pub webhooks: WebhookPolicy,
    /// The scheduled checks of every account.
    pub health: HealthSettings,
    /// On SIGTERM, how long requests in flight may take to finish.
    pub drain: Duration,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` name the client (none: the TCP peer is the client).
    pub trusted_proxies: Vec<crate::net::Cidr>,
    /// How many connections may be open, per client address, and how long headers may take.
    pub connections: ConnectionLimits,
    /// Sign-ups allowed from one client address per hour.
    pub sign_ups_per_hour: i64,
    /// The mail server (or folder), the sender and the support team's address.
    pub mail: MailSettings,
    /// Emails of the platform's operators: they see the support inbox of every organization.
    pub operators: Vec<String>,
}

impl Config {
    pub fn is_operator(&self, email: &str) -> bool {
        self.operators.iter().any(|operator| operator == email)
    }
}

/// How often every account is verified again, and how many checks run at once (per replica
/// running a round). Each call to a cloud has its provider's own timeout.
#[derive(Debug, Clone)]
pub struct HealthSettings {
    pub interval: Duration,
    pub concurrency: usize,
    /// How often each AWS Organization is read again (`XOPS_ORG_SYNC_MINUTES`).
    pub org_sync_interval: Duration,
}

/// `XOPS_MAX_CONNECTIONS`, `XOPS_MAX_CONNECTIONS_PER_ADDRESS`, `XOPS_HEADER_TIMEOUT_SECONDS`.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub per_address: usize,
    pub header_timeout: Duration,
}

/// Descriptors kept free for the database, outbound calls and files when the cap is derived.
const RESERVED_DESCRIPTORS: u64 = 256;

impl ConnectionLimits {
    /// The default cap: the soft descriptor limit less what the rest of the process needs,
    /// at most 10,000 and at least 64.
    pub fn default_max_connections() -> usize {
        let limit = descriptor_limit().unwrap_or(1024);
        usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS).clamp(64, 10_000)).unwrap_or(1024)
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: Self::default_max_connections(),
            per_address: 256,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// The soft `RLIMIT_NOFILE` of this process.
fn descriptor_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (status == 0).then_some(limit.rlim_cur)
}

/// Connections a replica's PostgreSQL pool keeps at most, unless `XOPS_DATABASE_POOL_SIZE` says.
pub const DEFAULT_POSTGRES_POOL_SIZE: u32 = 16;

/// How replicas on PostgreSQL read sessions (see README: Running on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCache {
    /// Every request reads its session from the database: an ended session is refused at once.
    None,
    /// Sessions are kept in memory and dropped when a NOTIFY says another replica changed them.
    Notify,
}

/// Whether a `DATABASE_URL` names PostgreSQL (else it is SQLite).
pub fn is_postgres_url(database_url: &str) -> bool {
    database_url.starts_with("postgres:") || database_url.starts_with("postgresql:")
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let addr_text = var("XOPS_ADDR").or_else(|| var("LEPTOS_SITE_ADDR")).unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr =
            addr_text.parse().map_err(|_| format!("XOPS_ADDR `{addr_text}` is not an address like 127.0.0.1:3000"))?;
        let public_url = var("XOPS_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        let minutes = |name: &str, default: u64| -> Result<Duration, String> {
            match var(name) {
                None => Ok(Duration::from_secs(default * 60)),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|m| *m > 0)
                    .map(|m| Duration::from_secs(m * 60))
                    .ok_or_else(|| format!("{name} must be a whole number of minutes above 0, not `{v}`")),
            }
        };
        let flag = |name: &str| -> Result<bool, String> {
            match var(name).as_deref() {
                None | Some("false") | Some("0") => Ok(false),
                Some("true") | Some("1") => Ok(true),
                Some(v) => Err(format!("{name} must be true or false, not `{v}`")),
            }
        };
        let seconds = |name: &str, default: u64| -> Result<Duration, String> {
            match var(name) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| format!("{name} must be a whole number of seconds above 0, not `{v}`")),
            }
        };
        let defaults = MicrosoftSettings::default();
        let mail_defaults = MailSettings::default();
        let database_url = var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/xops.db?mode=rwc".into());
        if is_postgres_url(&database_url) && var("XOPS_MASTER_KEY").is_none() && var("XOPS_MASTER_KEY_FILE").is_none() {
            return Err("On PostgreSQL, set XOPS_MASTER_KEY (base64 of 32 random bytes) or XOPS_MASTER_KEY_FILE (a key \
                        file every replica reads): a key file made by one replica would seal private keys that the \
                        others cannot open."
                .into());
        }
        let trusted_proxies = crate::net::Cidr::parse_list(&var("XOPS_TRUSTED_PROXIES").unwrap_or_default())
            .map_err(|e| format!("XOPS_TRUSTED_PROXIES: {e}"))?;
        let count = |name: &str, default: usize| -> Result<usize, String> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{name} must be a whole number above 0, not `{v}`")),
            }
        };
        let connection_defaults = ConnectionLimits::default();
        let connections = ConnectionLimits {
            max_connections: count("XOPS_MAX_CONNECTIONS", connection_defaults.max_connections)?,
            per_address: count("XOPS_MAX_CONNECTIONS_PER_ADDRESS", connection_defaults.per_address)?,
            header_timeout: seconds("XOPS_HEADER_TIMEOUT_SECONDS", connection_defaults.header_timeout.as_secs())?,
        };
        Ok(Config {
            database_url,
            addr,
            issuer_url: issuer_url(var("XOPS_ISSUER_URL").as_deref(), &public_url)?,
            public_url: normalise_origin(&public_url)?,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(default_site_root),
            session_idle: minutes("XOPS_SESSION_IDLE_MINUTES", 30)?,
            session_max_age: minutes("XOPS_SESSION_MAX_MINUTES", 12 * 60)?,
            api_requests_per_minute: match var("XOPS_API_REQUESTS_PER_MINUTE") {
                None => 600,
                Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("XOPS_API_REQUESTS_PER_MINUTE must be a whole number above 0, not `{v}`")
                })?,
            },
            // 0: a step-up asks every time.
            second_factor_fresh: match var("XOPS_STEP_UP_MINUTES") {
                Some(v) if v == "0" => Duration::ZERO,
                _ => minutes("XOPS_STEP_UP_MINUTES", 5)?,
            },
            session_cache: match var("XOPS_SESSION_CACHE").as_deref() {
                Some("none") => SessionCache::None,
                None | Some("notify") => SessionCache::Notify,
                Some(v) => return Err(format!("XOPS_SESSION_CACHE must be `none` or `notify`, not `{v}`")),
            },
            database_pool_size: match var("XOPS_DATABASE_POOL_SIZE") {
                None => DEFAULT_POSTGRES_POOL_SIZE,
                Some(v) => v.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                    format!("XOPS_DATABASE_POOL_SIZE must be a whole number from 1 to 1000, not `{v}`")
                })?,
            },
            aws: AwsSettings {
                sts_endpoint: var("AWS_ENDPOINT_URL_STS").or_else(|| var("AWS_ENDPOINT_URL")),
                organizations_endpoint: var("AWS_ENDPOINT_URL_ORGANIZATIONS").or_else(|| var("AWS_ENDPOINT_URL")),
                principal_arn: var("XOPS_AWS_PRINCIPAL_ARN"),
                timeout: seconds("XOPS_AWS_TIMEOUT_SECONDS", 10)?,
            },
            microsoft: MicrosoftSettings {
                authority_host: var("AZURE_AUTHORITY_HOST").unwrap_or(defaults.authority_host),
                arm_url: var("XOPS_AZURE_ARM_URL").unwrap_or(defaults.arm_url),
                graph_url: var("XOPS_MS_GRAPH_URL").unwrap_or(defaults.graph_url),
                timeout: seconds("XOPS_MS_TIMEOUT_SECONDS", 10)?,
                federated_patience: seconds("XOPS_MS_FEDERATED_PATIENCE_SECONDS", 120)?,
            },
            webhooks: WebhookPolicy {
                allow_loopback_http: flag("XOPS_WEBHOOK_ALLOW_LOOPBACK_HTTP")?,
                allow_private: flag("XOPS_WEBHOOK_ALLOW_PRIVATE")?,
                timeout: seconds("XOPS_WEBHOOK_TIMEOUT_SECONDS", 10)?,
            },
            health: HealthSettings {
                interval: minutes("XOPS_CHECK_INTERVAL_MINUTES", 6 * 60)?,
                concurrency: match var("XOPS_CHECK_CONCURRENCY") {
                    None => 8,
                    Some(v) => v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=256).contains(n))
                        .ok_or_else(|| format!("XOPS_CHECK_CONCURRENCY must be a whole number from 1 to 256, not `{v}`"))?,
                },
                org_sync_interval: minutes("XOPS_ORG_SYNC_MINUTES", 6 * 60)?,
            },
            drain: match var("XOPS_DRAIN_SECONDS") {
                None => Duration::from_secs(20),
                Some(v) => Duration::from_secs(v.parse::<u64>().map_err(|_| format!("XOPS_DRAIN_SECONDS must be a whole number of seconds, not `{v}`"))?),
            },
            master_key: var("XOPS_MASTER_KEY"),
            master_key_file: var("XOPS_MASTER_KEY_FILE").unwrap_or_else(|| "data/master.key".into()).into(),
            trusted_proxies,
            connections,
            sign_ups_per_hour: match var("XOPS_SIGN_UPS_PER_HOUR") {
                None => 20,
                Some(v) => v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("XOPS_SIGN_UPS_PER_HOUR must be a whole number above 0, not `{v}`"))?,
            },
            mail: MailSettings {
                smtp_url: var("XOPS_SMTP_URL"),
                folder: var("XOPS_MAIL_DIR").map(Into::into).unwrap_or(mail_defaults.folder),
                from: var("XOPS_MAIL_FROM").unwrap_or(mail_defaults.from),
                support_address: var("XOPS_SUPPORT_EMAIL").unwrap_or(mail_defaults.support_address),
                timeout: seconds("XOPS_SMTP_TIMEOUT_SECONDS", 30)?,
            },
            operators: var("XOPS_OPERATORS")
                .unwrap_or_default()
                .split(',')
                .map(|email| email.trim().to_lowercase())
                .filter(|email| !email.is_empty())
                .collect(),
        })
    }

    /// Whether the master key file is in the SQLite database's own folder.
    pub fn master_key_beside_database(&self) -> bool {
        let database = self.database_url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let database = std::path::Path::new(database.split('?').next().unwrap_or_default());
        let folder = |p: &std::path::Path| p.parent().map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf()));
        folder(database).is_some() && folder(database) == folder(&self.master_key_file)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// `https://portal.example.com/` → `https://portal.example.com`: the form browsers send in `Origin`.
fn normalise_origin(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| format!("XOPS_PUBLIC_URL `{url}` must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(format!(
            "XOPS_PUBLIC_URL `{url}` must be an origin like https://portal.example.com, without a path"
        ));
    }
    Ok(trimmed.to_lowercase())
}

/// The issuer URL: `XOPS_ISSUER_URL` as given (it may have a path: a static export is served
/// from a folder), else the public URL; no trailing slash, since the issuer is compared as a
/// string. HTTPS, unless it is the public URL itself (a portal tried out on a laptop).
fn issuer_url(given: Option<&str>, public_url: &str) -> Result<String, String> {
    let Some(given) = given else {
        return normalise_origin(public_url);
    };
    let trimmed = given.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(parsed) if parsed.scheme() == "https" && parsed.host().is_some() && parsed.query().is_none() => Ok(trimmed.into()),
        _ => Err(format!(
            "XOPS_ISSUER_URL `{given}` must be an https:// URL without a query, like https://issuer.example.com/xops"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_the_public_url_unless_an_https_url_is_given() {
        assert_eq!(issuer_url(None, "https://Portal.example.com/").unwrap(), "https://portal.example.com");
        assert_eq!(issuer_url(Some("https://static.example.com/xops/"), "http://x").unwrap(), "https://static.example.com/xops");
        for bad in ["http://static.example.com", "https://", "https://x.example.com/?a=1", "static.example.com"] {
            assert!(issuer_url(Some(bad), "http://x").is_err(), "{bad}");
        }
    }

    #[test]
    fn the_connection_cap_stays_below_the_descriptor_limit() {
        let cap = ConnectionLimits::default_max_connections() as u64;
        if let Some(limit) = descriptor_limit() {
            assert!(cap < limit || limit < 64 + RESERVED_DESCRIPTORS, "cap {cap}, limit {limit}");
        }
        assert!((64..=10_000).contains(&cap));
    }

    #[test]
    fn public_url_is_normalised_to_an_origin() {
        assert_eq!(normalise_origin("https://Portal.example.com/"), Ok("https://portal.example.com".into()));
        assert!(normalise_origin("portal.example.com").is_err());
        assert!(normalise_origin("https://portal.example.com/app").is_err());
    }
}

/// The site built beside this binary (`scripts/build.sh` puts each profile's own there), else
/// cargo-leptos's `target/site`.
fn default_site_root() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("site")))
        .filter(|site| site.is_dir())
        .map(|site| site.display().to_string())
        .unwrap_or_else(|| "target/site".into())
}
