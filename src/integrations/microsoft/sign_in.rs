//! How a Microsoft link signs in as its app registration: with the certificate made here, or
//! with a token of the portal's issuer that a federated credential on the app trusts.
use std::time::{Duration, Instant};

use super::certificates::StoredKey;
use super::federated_store::StoredSubject;
use super::refusals::FEDERATED_NOT_MATCHED;
use super::waits::Waiting;
use super::identity::{AppCredential, Proof};
use crate::domain::{Check, MsService};
use crate::error::AppError;
use crate::server::AppState;

/// What a link proves itself with.
pub enum SignIn {
    Certificate(StoredKey),
    Federated(StoredSubject),
}

impl SignIn {
    /// How account `account_id` signs in now: its federated subject if it has one, else its
    /// certificate.
    pub async fn of_account(state: &AppState, org: i64, account_id: i64) -> Result<SignIn, AppError> {
        match super::federated_store::of_account(&state.pool, org, account_id, false).await? {
            Some(subject) => Ok(SignIn::Federated(subject)),
            None => Ok(SignIn::Certificate(StoredKey::load(state, org, -1, Some(account_id)).await?)),
        }
    }

    /// The service the certificate or subject was made for.
    pub fn service(&self) -> &str {
        match self {
            SignIn::Certificate(key) => &key.service,
            SignIn::Federated(subject) => &subject.service,
        }
    }

    /// For messages: "the certificate" or "the federated credential".
    pub fn label(&self) -> &'static str {
        match self {
            SignIn::Certificate(_) => "the certificate",
            SignIn::Federated(_) => "the federated credential",
        }
    }
}

/// An access token for the app, signed in as `sign_in` says. A federated credential Entra does
/// not match yet is tried again, with growing pauses, for up to the configured patience (two
/// minutes by default) on Connect and on a switch: one added a moment ago can take that long to
/// take effect. A scheduled check reports at once.
pub async fn token(
    state: &AppState,
    sign_in: &SignIn,
    service: MsService,
    app_id: &str,
    tenant_id: &str,
    check: Check,
) -> Result<String, AppError> {
    let stored = match sign_in {
        SignIn::Certificate(key) => {
            let proof = Proof::Certificate {
                private_key_pkcs8: &key.private_key_pkcs8,
                x5t_s256: &key.x5t_s256,
                thumbprint: &key.thumbprint,
            };
            let credential = AppCredential { app_id, tenant_id, proof };
            let answer = state.microsoft.request_token(&credential, service, crate::server::now()).await?;
            return answer.map_err(|refusal| super::refusals::explain(&refusal, &credential, service, check));
        }
        SignIn::Federated(stored) => stored,
    };
    let subject = stored.subject.as_str();
    let issuer = state.config.issuer_url.as_str();
    let patience = match check {
        Check::Link | Check::Renewal | Check::Member => state.microsoft.federated_patience(),
        Check::Recheck => Duration::ZERO,
    };
    let started = Instant::now();
    let deadline = started + patience;
    let mut pause = Duration::from_secs(2);
    let mut waiting: Option<Waiting> = None;
    loop {
        let now = crate::server::now();
        let assertion = crate::issuer::signing::token(&state.pool, &state.sealer, issuer, subject, now).await?;
        let credential = AppCredential { app_id, tenant_id, proof: Proof::Federated { assertion: &assertion, issuer, subject } };
        let refusal = match state.microsoft.request_token(&credential, service, now).await? {
            Ok(token) => return Ok(token),
            Err(refusal) => refusal,
        };
        let not_matched = refusal.error_codes.iter().any(|code| FEDERATED_NOT_MATCHED.contains(code));
        let left = deadline.saturating_duration_since(Instant::now());
        if !not_matched || left.is_zero() {
            return Err(super::refusals::explain(&refusal, &credential, service, check));
        }
        tracing::info!(app_id, waited = ?(patience - left), "no federated credential matches yet; trying again");
        let code = refusal.error_codes.first().copied().unwrap_or(0);
        let wait = match waiting {
            Some(ref wait) => wait,
            None => waiting.insert(Waiting::start(stored.id, stored.organization_id, started, patience)?),
        };
        wait.attempted(code);
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_secs(15));
    }
}
