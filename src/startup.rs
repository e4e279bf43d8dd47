//! The composition root: database, sessions, middleware and the router, assembled in one
//! place so that `main` and the integration tests start exactly the same app.
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::app::{shell, App};
use crate::config::Config;
use crate::server::{connect, security, AppState, MAX_BODY_BYTES};


/// Builds the whole app on a migrated database.
pub async fn build_app(config: Config) -> Result<Router, Box<dyn std::error::Error>> {
    let pool = connect(&config.database_url, config.database_pool_size).await?;
    build_app_on(pool, config).await
}

/// Builds the app on an open, migrated pool (the tests keep a handle on it).
pub async fn build_app_on(pool: crate::server::Pool, config: Config) -> Result<Router, Box<dyn std::error::Error>> {
    Ok(build_app_and_state(pool, config).await?.0)
}

/// The app and its state (tests drive the scheduled checks through the state, at any time).
pub async fn build_app_and_state(
    pool: crate::server::Pool,
    config: Config,
) -> Result<(Router, AppState), Box<dyn std::error::Error>> {
    tokio::spawn(delete_expired_sessions(pool.clone()));
    tokio::spawn(crate::integrations::microsoft::certificates::sweep_unconnected(pool.clone()));
    // Sessions are stored under a hash of their id (`HashedIds`): a copy of the database holds
    // no live cookie. `Sessions` says when they are read from memory.
    let session_store = crate::auth::session_store::Sessions::for_pool(&pool, config.session_cache);

    let hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists()))
        .unwrap_or(false);
    let leptos_options = LeptosOptions::builder()
        .output_name("xops")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .hash_files(hash_files)
        .build();
    let aws = Arc::new(crate::integrations::aws::sts::Aws::load(config.aws.clone()).await);
    // Learn our own principal now, not on the first anonymous template download; say in one
    // line what is off.
    tokio::spawn({
        let aws = aws.clone();
        async move {
            match aws.principal_arn().await {
                Ok(_) => {}
                Err(_) if !aws.has_credentials().await => tracing::warn!(
                    "AWS credentials are not set: linking AWS and EKS accounts is off until the platform has an AWS identity \
                     (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role)."
                ),
                Err(err) => tracing::warn!("The platform's AWS identity could not be read for now (tried again when needed): {err}"),
            }
        }
    });
    let microsoft = Arc::new(crate::integrations::microsoft::identity::Microsoft::new(config.microsoft.clone()));
    let (sealer, new_key) = crate::crypto::Sealer::read(config.master_key.as_deref(), &config.master_key_file)?;
    crate::server::master_key::verify(&pool, &sealer, new_key).await?;
    let sealer = Arc::new(sealer);
    crate::integrations::microsoft::certificates::check_and_bind_sealed_keys(&pool, &sealer).await?;
    if config.master_key.is_none() && config.master_key_beside_database() {
        tracing::warn!(
            "The master key file {} sits beside the database: a copy of that folder holds both the sealed secrets and the \
             key that opens them. Keep the key elsewhere (XOPS_MASTER_KEY_FILE or XOPS_MASTER_KEY).",
            config.master_key_file.display()
        );
    }
    let mailer = Arc::new(crate::mail::transport::Mailer::new(&config.mail)?);
    if config.mail.smtp_url.is_none() {
        tracing::warn!(
            "No mail server is set: mail (sign-up links, support requests, notifications) is written to {} instead of \
             being sent. Set XOPS_SMTP_URL to send it.",
            config.mail.folder.display()
        );
    }
    if !config.issuer_url.starts_with("https://") {
        tracing::warn!(
            "The OpenID issuer {} is not https://, so Microsoft links through a federated credential cannot sign in. Set \
             XOPS_PUBLIC_URL (or XOPS_ISSUER_URL, for `xops issuer export`) to an https:// address reachable from the internet.",
            config.issuer_url
        );
    }
    let mail_wake = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(crate::mail::outbox::deliver_forever(pool.clone(), mailer.clone(), sealer.clone(), mail_wake.clone()));
    let config = Arc::new(config);
    let state = AppState {
        pool,
        config: config.clone(),
        aws,
        microsoft,
        sealer,
        mailer,
        mail_wake,
        notify_wake: Arc::new(tokio::sync::Notify::new()),
        deliveries: Arc::new(crate::server::limits::InFlight::new(
            crate::notify::deliver::IN_FLIGHT,
            crate::notify::deliver::PER_ORGANIZATION,
        )),
        cloud_checks: Arc::default(),
        leptos_options: leptos_options.clone(),
    };

    tokio::spawn(crate::health::schedule::run_forever(state.clone()));
    tokio::spawn(crate::notify::deliver::deliver_forever(state.clone()));
    tokio::spawn(crate::issuer::signing::keep_rolling(state.pool.clone(), state.sealer.clone()));

    let sessions = SessionManagerLayer::new(session_store)
        .with_name("xops_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(to_cookie_duration(config.session_idle)));

    // Hashed file names never change content: cache them for a year. Unhashed ones revalidate.
    let pkg_cache = if hash_files { "public, max-age=31536000, immutable" } else { "no-cache" };
    let pkg = Router::new()
        // scripts/build.sh stores each file also brotli- and gzip-compressed at their best.
        .fallback_service(ServeDir::new(format!("{}/pkg", config.site_root)).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(pkg_cache)));

    let routes = generate_route_list(App);
    let context_state = state.clone();
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(crate::issuer::documents::DISCOVERY_PATH, get(crate::issuer::documents::discovery_handler))
        .route(crate::issuer::documents::JWKS_PATH, get(crate::issuer::documents::jwks_handler))
        .route("/aws/templates/{file}", get(crate::integrations::aws::link::template_download))
        .route("/certificates/{file}", get(crate::integrations::microsoft::certificates::certificate_download))
        .route("/audit/export.csv", get(crate::audit_log::export::download))
        .merge(crate::api::routes(&state))
        .nest("/pkg", pkg)
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context_state.clone());
                leptos::nonce::provide_nonce();
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::guard::page_guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::endpoints::gate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::server::forms::signed_form_errors))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(config.clone(), security::refuse_cross_site))
        // Inside the security headers, so that a 413 carries them too.
        .layer(axum::middleware::from_fn(security::limit_unsized_bodies))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(config.clone(), security::security_headers))
        // Pages are compressed as they are sent: the fastest level (gzip/brotli 1 is a few times
        // quicker than the defaults for nearly the same size). Precompressed files pass as they are.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(1)))
        .with_state(state.clone());
    Ok((router, state))
}

/// For load balancers: 200 only while the database answers (within 2 s); `/healthz` is the
/// process alone.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> (axum::http::StatusCode, &'static str) {
    let ping = sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.pool);
    match tokio::time::timeout(std::time::Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => (axum::http::StatusCode::OK, "ready"),
        _ => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "the database does not answer"),
    }
}

/// `xops ready`: asks this machine's portal for `/readyz`, for a container's HEALTHCHECK (a slim
/// image has no curl). The address is `XOPS_ADDR`'s port on loopback.
pub async fn probe_readiness(config: &crate::config::Config) -> Result<(), String> {
    let url = format!("http://127.0.0.1:{}/readyz", config.addr.port());
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
    match answer.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(format!("{url} answered {status}: {}", answer.text().await.unwrap_or_default())),
    }
}

/// Once per five minutes across all replicas (`jobs::every`).
async fn delete_expired_sessions(pool: crate::server::Pool) {
    let store = crate::auth::session_store::DbSessionStore::new(pool.clone());
    crate::server::jobs::every(pool, "delete_expired_sessions", std::time::Duration::from_secs(300), move |now| {
        let store = store.clone();
        async move { store.delete_expired(now).await.map(|_| ()) }
    })
    .await
}

fn to_cookie_duration(d: std::time::Duration) -> tower_sessions::cookie::time::Duration {
    tower_sessions::cookie::time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

