//! The passkey ceremonies' server half, under the page-facing functions of `passkeys.rs` and
//! the step-up: the relying party from `XOPS_PUBLIC_URL`, each ceremony's state kept once in the
//! session, the user's stored passkeys and their update on use.
use serde::Serialize;

use crate::error::AppError;

pub use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid,
};

/// Where each ceremony's state waits in the session, with when it began.
pub const REGISTRATION: &str = "passkey_registration";
pub const DISCOVERABLE: &str = "passkey_sign_in";
pub const SECOND_STEP: &str = "passkey_second_step";
pub const STEP_UP: &str = "passkey_step_up";
/// How long a ceremony's challenge may be answered.
pub const CEREMONY_SECS: i64 = 5 * 60;

/// The relying party: `XOPS_PUBLIC_URL`'s host, which must be a domain name (WebAuthn refuses
/// addresses); `localhost` works over http, any other host needs https (the browser's rule).
pub fn relying_party(public_url: &str) -> Result<webauthn_rs::Webauthn, AppError> {
    let unavailable = || AppError::Refused("Passkeys need the portal served under a domain name (XOPS_PUBLIC_URL).".into());
    let origin = url::Url::parse(public_url).map_err(|_| unavailable())?;
    let Some(url::Host::Domain(host)) = origin.host() else {
        return Err(unavailable());
    };
    let host = host.to_string();
    webauthn_rs::WebauthnBuilder::new(&host, &origin)
        .and_then(|b| b.rp_name("Xops 360").timeout(std::time::Duration::from_secs(300)).build())
        .map_err(|err| {
            tracing::warn!(error = %err, "passkeys are unavailable for this public URL");
            unavailable()
        })
}

/// Keeps a ceremony's state in the session: the only copy, spent by `take`.
pub async fn keep<T: Serialize>(session: &tower_sessions::Session, key: &str, state: &T) -> Result<(), AppError> {
    session.insert(key, (crate::server::now(), state)).await.map_err(super::session::internal)
}

/// Takes a ceremony's state out of the session (once), if it began in the last five minutes.
pub async fn take<T: serde::de::DeserializeOwned>(session: &tower_sessions::Session, key: &str) -> Result<Option<T>, AppError> {
    let kept: Option<(i64, T)> = session.remove(key).await.map_err(super::session::internal)?;
    Ok(kept.filter(|(at, _)| crate::server::now() - at <= CEREMONY_SECS).map(|(_, state)| state))
}

/// The user's passkeys, as stored: (row id, passkey).
pub async fn stored(state: &crate::server::AppState, user_id: i64) -> Result<Vec<(i64, Passkey)>, AppError> {
    super::factor_store::passkeys_of(&state.pool, user_id)
        .await?
        .into_iter()
        .map(|p| serde_json::from_str(&p.passkey).map(|key| (p.id, key)).map_err(|_| AppError::Internal))
        .collect()
}

/// Notes a passkey's use, with its signature counter and backup flags as the library updates
/// them (a counter that did not move on is refused by the library as a cloned key).
pub async fn used(
    state: &crate::server::AppState,
    row_id: i64,
    passkey: &mut Passkey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<(), AppError> {
    passkey.update_credential(result);
    let json = serde_json::to_string(passkey).map_err(|_| AppError::Internal)?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    super::factor_store::passkey_used(&mut tx, row_id, &json, crate::server::now()).await?;
    tx.commit().await?;
    Ok(())
}

pub fn uuid_text(uuid: Uuid) -> String {
    uuid.hyphenated().to_string()
}

pub fn refused(err: webauthn_rs::prelude::WebauthnError) -> AppError {
    tracing::warn!(error = %err, "a passkey ceremony could not start");
    AppError::Internal
}

pub fn expired() -> AppError {
    AppError::Refused("That took too long: the passkey's request expired. Try again.".into())
}

pub fn not_made() -> AppError {
    AppError::Refused("The passkey could not be added: your device's answer did not check out. Try again.".into())
}

pub fn not_used() -> AppError {
    AppError::Refused("That passkey did not sign you in: it is not one of this site's, or its answer did not check out.".into())
}

/// Checks a passkey's answer to this session's step-up challenge (`passkey_step_up_options`).
pub async fn confirm_step_up(
    state: &crate::server::AppState,
    session: &tower_sessions::Session,
    user_id: i64,
    answer: &str,
) -> Result<(), AppError> {
    let not_you = || AppError::invalid("code", "That passkey did not confirm it is you. Try again, or enter a code.");
    let credential: PublicKeyCredential = serde_json::from_str(answer).map_err(|_| not_you())?;
    let ceremony: PasskeyAuthentication = take(session, STEP_UP).await?.ok_or_else(not_you)?;
    let result = relying_party(&state.config.public_url)?.finish_passkey_authentication(&credential, &ceremony).map_err(|_| not_you())?;
    let (row_id, mut passkey) =
        stored(state, user_id).await?.into_iter().find(|(_, key)| key.cred_id() == result.cred_id()).ok_or_else(not_you)?;
    used(state, row_id, &mut passkey, &result).await
}

/// A challenge for one of `user_id`'s passkeys, kept in the session under `ceremony`; its
/// options as WebAuthn JSON.
pub async fn challenge_own_passkeys(
    state: &crate::server::AppState,
    session: &tower_sessions::Session,
    user_id: i64,
    ceremony: &str,
) -> Result<String, AppError> {
    let keys: Vec<Passkey> = stored(state, user_id).await?.into_iter().map(|(_, key)| key).collect();
    if keys.is_empty() {
        return Err(AppError::Refused("Your account has no passkey. Enter a code instead.".into()));
    }
    let (options, state_of_it) = relying_party(&state.config.public_url)?.start_passkey_authentication(&keys).map_err(refused)?;
    keep(session, ceremony, &state_of_it).await?;
    serde_json::to_string(&options).map_err(|_| AppError::Internal)
}
