//! The certificates Microsoft apps sign in with: RSA 3072 key pairs made here (Generate Public
//! Key & Download), the private key sealed under the master key and never sent; only the
//! public certificate can be downloaded.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    fn new(id: i64, thumbprint: String, not_after: i64) -> Self {
        CertificateInfo {
            id,
            thumbprint,
            expires: crate::server::format_time(not_after),
            download_url: format!("/certificates/{id}.cer"),
        }
    }
}

/// Generate Public Key & Download: a new RSA 3072 key pair and certificate for `service`.
#[server(endpoint = "generate_certificate")]
pub async fn generate_certificate(service: String) -> Result<CertificateInfo, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let now = crate::server::now();
    // Keys generated but never connected do not linger.
    sqlx::query("DELETE FROM certificates WHERE account_id IS NULL AND created_at < ?")
        .bind(now - 24 * 3600)
        .execute(&state.pool)
        .await?;
    let cert = tokio::task::spawn_blocking(move || {
        crate::crypto::generate_certificate(&format!("Xops 360 {}", service.label()))
    })
    .await
    .map_err(|_| AppError::Internal)??;
    let sealed = state.sealer.seal(&cert.private_key_pkcs8)?;
    let x5t = crate::crypto::base64url(&crate::crypto::sha256(&cert.cert_der));
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO certificates (organization_id, service, cert_pem, thumbprint, x5t_s256, not_after, sealed_key, key_nonce, key_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user.organization_id)
    .bind(service.as_str())
    .bind(&cert.cert_pem)
    .bind(&cert.thumbprint)
    .bind(&x5t)
    .bind(cert.not_after)
    .bind(&sealed.ciphertext)
    .bind(&sealed.nonce)
    .bind(&sealed.key_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!("{} certificate {}", service.label(), cert.thumbprint);
    crate::audit::write(&mut *tx, &user.actor().await, "generate_certificate", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("{}?certificate={id}", service.page()), false);
    Ok(CertificateInfo::new(id, cert.thumbprint, cert.not_after))
}

#[server(endpoint = "certificate_info")]
pub async fn load_certificate_info(certificate_id: i64) -> Result<CertificateInfo, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT thumbprint, not_after FROM certificates WHERE id = ? AND organization_id = ?")
            .bind(certificate_id)
            .bind(user.organization_id)
            .fetch_optional(&state.pool)
            .await?;
    let (thumbprint, not_after) =
        row.ok_or_else(|| AppError::NotFound("That certificate does not exist; generate a new one.".into()))?;
    Ok(CertificateInfo::new(certificate_id, thumbprint, not_after))
}

/// A certificate's sealed key and what the assertion needs, loaded within the organization.
#[cfg(feature = "ssr")]
pub struct StoredKey {
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
        let row: Option<(String, String, String, Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
            "SELECT service, thumbprint, x5t_s256, sealed_key, key_nonce, key_id FROM certificates \
             WHERE organization_id = ? AND (id = ? OR account_id = ?) ORDER BY id DESC LIMIT 1",
        )
        .bind(org)
        .bind(certificate_id)
        .bind(account_id)
        .fetch_optional(&state.pool)
        .await?;
        let (service, thumbprint, x5t_s256, ciphertext, nonce, key_id) = row.ok_or_else(|| {
            AppError::invalid("certificate", "That certificate no longer exists: generate a new one.")
        })?;
        let private_key_pkcs8 = state.sealer.open(&crate::crypto::Sealed { ciphertext, nonce, key_id })?;
        Ok(StoredKey { service, thumbprint, x5t_s256, private_key_pkcs8 })
    }
}

/// Gives the new account `account_id` its certificate, which must be this organization's and
/// not yet used by another account.
#[cfg(feature = "ssr")]
pub async fn attach(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    org: i64,
    certificate_id: i64,
    account_id: i64,
) -> Result<(), AppError> {
    let attached = sqlx::query(
        "UPDATE certificates SET account_id = ? WHERE id = ? AND organization_id = ? AND account_id IS NULL",
    )
    .bind(account_id)
    .bind(certificate_id)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    if attached.rows_affected() != 1 {
        return Err(AppError::invalid(
            "certificate",
            "This certificate is already used by another account: generate a new one.",
        ));
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
    let row: Result<Option<(String, String)>, _> =
        sqlx::query_as("SELECT cert_pem, service FROM certificates WHERE id = ? AND organization_id = ?")
            .bind(id)
            .bind(user.organization_id)
            .fetch_optional(&state.pool)
            .await;
    match row {
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
        Err(err) => AppError::from(err).into_response(),
    }
}
