//! The certificates Microsoft apps sign in with: RSA 3072 key pairs made here (Generate Public
//! Key & Download), the private key sealed under the master key and never sent; only the
//! public certificate can be downloaded.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::domain::MsService;
use crate::error::AppError;

/// A generated certificate as the page shows it (never the private key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub id: i64,
    pub thumbprint: String,
    pub expires: String,
    pub download_url: String,
}

#[cfg(feature = "ssr")]
impl CertificateInfo {
    pub fn new(id: i64, thumbprint: String, not_after: i64) -> Self {
        CertificateInfo {
            id,
            thumbprint,
            expires: crate::server::format_time(not_after),
            download_url: format!("/certificates/{id}.cer"),
        }
    }
}

/// Certificates generated but not connected to an account, per organization, at most (each
/// key pair costs ~0.45 s of a core).
#[cfg(feature = "ssr")]
const MAX_PENDING: i64 = 10;
/// How long an unconnected certificate is kept.
#[cfg(feature = "ssr")]
const PENDING_SECS: i64 = 24 * 3600;

/// How long a renewal's new certificate waits for Verify and switch.
#[cfg(feature = "ssr")]
const RENEWAL_SECS: i64 = 30 * 24 * 3600;

/// Deletes, every ten minutes, the certificates and federated subjects nobody connected within
/// a day (a renewal's or a switch's within 30 days).
#[cfg(feature = "ssr")]
pub async fn sweep_unconnected(pool: crate::server::Pool) {
    let sweep = pool.clone();
    crate::server::jobs::every(pool, "sweep_unconnected_certificates", std::time::Duration::from_secs(600), move |now| {
        let pool = sweep.clone();
        async move {
            use super::federated::{PENDING_SECS as SUBJECT_PENDING_SECS, SWITCH_SECS};
            super::store::delete_unconnected(&pool, now - PENDING_SECS, now - RENEWAL_SECS).await?;
            super::federated_store::delete_unconnected(&pool, now - SUBJECT_PENDING_SECS, now - SWITCH_SECS).await
        }
    })
    .await
}

/// Generate Public Key & Download: a new RSA 3072 key pair and certificate for `service`. The
/// link form's fields come along (the button submits that form here), so that the page comes
/// back with what was typed, the certificate shown and its download started (`download=1`);
/// a refusal brings the typed fields back too.
#[server(endpoint = "generate_certificate")]
pub async fn generate_certificate(
    service: String,
    name: Option<String>,
    app_id: Option<String>,
    tenant_id: Option<String>,
    organization_id: Option<String>,
) -> Result<CertificateInfo, AppError> {
    use super::federated::{keep_link_fields, typed_link_fields};
    let typed = typed_link_fields(name, app_id, tenant_id, organization_id);
    let result = generate(service, &typed).await;
    keep_link_fields::<GenerateCertificate, _>(&result, &typed);
    result
}

#[cfg(feature = "ssr")]
async fn generate(service: String, typed: &[(&str, String)]) -> Result<CertificateInfo, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let info = create_for_link(&state, user.organization_id, &user.actor().await, service).await?;
    leptos_axum::redirect(&super::federated::link_form_again(service, &format!("certificate={}&download=1", info.id), typed), false);
    Ok(info)
}

/// A certificate for a new link (Generate Public Key & Download, and the API), unless the
/// organization has `MAX_PENDING` waiting to be connected already.
#[cfg(feature = "ssr")]
pub async fn create_for_link(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    service: MsService,
) -> Result<CertificateInfo, AppError> {
    let pending = super::store::count_unconnected(&state.pool, org, crate::server::now() - PENDING_SECS).await?;
    if pending >= MAX_PENDING {
        return Err(AppError::TooManyAttempts(format!(
            "Your organization has {pending} certificates that are not connected to an account yet. Connect one of \
             them (the thumbprint shows which), or wait: unconnected certificates are discarded a day after they were made."
        )));
    }
    create(state, org, actor, service, None).await
}

/// Makes a key pair and its certificate for `service` (one at a time per core: ~0.45 s each),
/// seals the key and saves it with its audit row: unconnected, or as the pending renewal of
/// account `renewal_of`.
#[cfg(feature = "ssr")]
pub async fn create(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    service: MsService,
    renewal_of: Option<i64>,
) -> Result<CertificateInfo, AppError> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| crate::server::blocking::slots_per_core(1));
    let subject = format!("Xops 360 {}", service.label());
    let cert = crate::server::blocking::run_bounded(slots, move || crate::crypto::generate_certificate(&subject)).await??;
    let sealed = state.sealer.seal(&cert.private_key_pkcs8, &key_context(org, &cert.thumbprint))?;
    let x5t = crate::crypto::base64url(&crate::crypto::sha256(&cert.cert_der));
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    let new = super::store::NewCertificate {
        service: service.as_str(),
        cert_pem: &cert.cert_pem,
        thumbprint: &cert.thumbprint,
        x5t_s256: &x5t,
        not_after: cert.not_after,
        sealed: &sealed,
        renewal_of,
        created_at: crate::server::now(),
    };
    let id = super::store::insert(&mut tx, org, &new).await?;
    let detail = match renewal_of {
        None => format!("{} certificate {}", service.label(), cert.thumbprint),
        Some(account) => format!("{} certificate {} made to renew account {account}'s", service.label(), cert.thumbprint),
    };
    crate::audit::write(&mut *tx, actor, "generate_certificate", &detail).await?;
    tx.commit().await?;
    Ok(CertificateInfo::new(id, cert.thumbprint, cert.not_after))
}

#[server(endpoint = "certificate_info")]
pub async fn load_certificate_info(certificate_id: i64) -> Result<CertificateInfo, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let (thumbprint, not_after) = super::store::thumbprint(&state.pool, user.organization_id, certificate_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That certificate does not exist; generate a new one.".into()))?;
    Ok(CertificateInfo::new(certificate_id, thumbprint, not_after))
}

/// A certificate's sealed key and what the assertion needs, loaded within the organization.
#[cfg(feature = "ssr")]
pub struct StoredKey {
    pub id: i64,
    pub service: String,
    pub thumbprint: String,
    pub x5t_s256: String,
    pub private_key_pkcs8: Vec<u8>,
}

#[cfg(feature = "ssr")]
impl StoredKey {
    pub async fn load(
        state: &crate::server::AppState,
        org: i64,
        certificate_id: i64,
        account_id: Option<i64>,
    ) -> Result<StoredKey, AppError> {
        let super::store::SealedKey { id, service, thumbprint, x5t_s256, sealed } =
            super::store::sealed_key(&state.pool, org, certificate_id, account_id).await?.ok_or_else(|| {
                AppError::invalid("certificate", "That certificate no longer exists: generate a new one.")
            })?;
        let private_key_pkcs8 = state.sealer.open(&sealed, &key_context(org, &thumbprint))?;
        Ok(StoredKey { id, service, thumbprint, x5t_s256, private_key_pkcs8 })
    }
}

/// What a certificate's sealed key is bound to: its organization and its own thumbprint.
#[cfg(feature = "ssr")]
fn key_context(org: i64, thumbprint: &str) -> Vec<u8> {
    format!("xops certificate key; organization {org}; thumbprint {thumbprint}").into_bytes()
}

/// At start: refuses a master key that did not seal the keys the database holds (a lost or
/// replaced key file would otherwise be replaced silently, and every Microsoft account fail),
/// then binds keys sealed before binding existed to their organization and thumbprint.
#[cfg(feature = "ssr")]
pub async fn check_and_bind_sealed_keys(pool: &crate::server::Pool, sealer: &crate::crypto::Sealer) -> Result<(), String> {
    let other = super::store::other_master_key(pool, sealer.key_id()).await.map_err(|e| e.to_string())?;
    if let Some(other) = other {
        return Err(format!(
            "the database holds private keys sealed under master key {other}, but the loaded master key is {}. \
             Point XOPS_MASTER_KEY (or XOPS_MASTER_KEY_FILE) at the key that sealed them: restore the key file from \
             the backup kept with this database.",
            sealer.key_id()
        ));
    }
    for (id, org, thumbprint, sealed) in super::store::unbound_keys(pool).await.map_err(|e| e.to_string())? {
        let key =
            sealer.open(&sealed, b"").map_err(|_| format!("certificate {id}'s private key does not open with the master key"))?;
        let sealed = sealer.seal(&key, &key_context(org, &thumbprint)).map_err(|e| e.to_string())?;
        super::store::rebind_key(pool, id, &sealed).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// GET /certificates/{id}.cer: the public certificate (PEM), for the caller's organization only.
#[cfg(feature = "ssr")]
pub async fn certificate_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    session: tower_sessions::Session,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let user = match crate::auth::session::current(&session, &state).await {
        Ok(Some(user)) => user,
        Ok(None) => return AppError::Unauthorized.into_response(),
        Err(err) => return err.into_response(),
    };
    let Some(id) = file.strip_suffix(".cer").and_then(|id| id.parse::<i64>().ok()) else {
        return AppError::NotFound("There is no such certificate.".into()).into_response();
    };
    match super::store::public_pem(&state.pool, user.organization_id, id).await {
        Ok(Some((pem, service))) => (
            [
                (header::CONTENT_TYPE, "application/x-x509-ca-cert".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"xops-{service}-{id}.cer\"")),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            pem,
        )
            .into_response(),
        Ok(None) => AppError::NotFound("There is no such certificate.".into()).into_response(),
        Err(err) => err.into_response(),
    }
}
