//! Passkeys (WebAuthn, through `webauthn-rs`): added under Your account → Security, a second
//! factor after the password, or a sign-in of their own with no password (discoverable
//! credentials). The relying party is `XOPS_PUBLIC_URL`'s host. Each ceremony's challenge is
//! kept in the server-side session, used once, and expires after five minutes; the browser's
//! part is `public/passkeys.js`, which fills the form's `credential` field and sends the form.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A passkey as Security lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PasskeyInfo {
    pub id: i64,
    pub name: String,
    pub created: String,
    /// "Never", or when it last signed in.
    pub last_used: String,
}

#[server(endpoint = "my_passkeys")]
pub async fn my_passkeys() -> Result<Vec<PasskeyInfo>, AppError> {
    let (state, _, user) = super::session::require_user().await?;
    Ok(super::factor_store::passkeys_of(&state.pool, user.user_id)
        .await?
        .into_iter()
        .map(|p| PasskeyInfo {
            id: p.id,
            name: p.name,
            created: crate::server::format_time(p.created_at),
            last_used: p.last_used_at.map(crate::server::format_time).unwrap_or_else(|| "Never".into()),
        })
        .collect())
}

/// The options of a new passkey's creation (WebAuthn JSON), for the signed-in user.
#[server(endpoint = "passkey_registration_options")]
pub async fn passkey_registration_options() -> Result<String, AppError> {
    let (state, session, user) = super::session::require_user().await?;
    let webauthn = relying_party(&state.config.public_url)?;
    let handle = super::factor_store::passkey_user_handle(&state.pool, user.user_id, &uuid_text(Uuid::new_v4())).await?;
    let handle = Uuid::parse_str(&handle).map_err(|_| AppError::Internal)?;
    let existing: Vec<_> = stored(&state, user.user_id).await?.into_iter().map(|(_, key)| key.cred_id().clone()).collect();
    let (options, ceremony) = webauthn
        .start_passkey_registration(handle, &user.email, &user.email, Some(existing))
        .map_err(refused)?;
    keep(&session, REGISTRATION, &ceremony).await?;
    // A passkey that can sign in with no password must be discoverable (kept on the
    // authenticator); webauthn-rs asks for it as optional, so ask for it as required.
    let mut options = serde_json::to_value(&options).map_err(|_| AppError::Internal)?;
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection").and_then(|s| s.as_object_mut()) {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    Ok(options.to_string())
}

/// Saves the passkey the browser made, under `name`. The first second factor comes with ten
/// recovery codes, shown once on the page this leads to.
#[server(endpoint = "add_passkey")]
pub async fn add_passkey(name: String, credential: String) -> Result<(), AppError> {
    let (state, session, user) = super::session::require_user().await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(AppError::invalid("passkey_name", "Name the passkey (up to 60 characters), say \"Work laptop\"."));
    }
    let credential: RegisterPublicKeyCredential = serde_json::from_str(&credential).map_err(|_| not_made())?;
    let ceremony: PasskeyRegistration = take(&session, REGISTRATION).await?.ok_or_else(expired)?;
    let passkey = relying_party(&state.config.public_url)?.finish_passkey_registration(&credential, &ceremony).map_err(|err| {
        tracing::info!(error = %err, "a passkey registration was refused");
        not_made()
    })?;
    let json = serde_json::to_string(&passkey).map_err(|_| AppError::Internal)?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let first = !super::factor_store::has_second_factor(&mut tx, user.user_id).await?;
    if !super::factor_store::insert_passkey(&mut tx, user.user_id, name, AsRef::<[u8]>::as_ref(passkey.cred_id()), &json, now).await? {
        return Err(AppError::invalid("passkey_name", "That passkey is already added to your account."));
    }
    if first {
        super::two_factor::new_recovery_codes(&mut tx, &state.sealer, user.user_id, now).await?;
    }
    crate::audit::write(&mut *tx, &user.actor().await, "second_factor_added", &format!("passkey \"{name}\"")).await?;
    tx.commit().await?;
    super::session::mark_second_factor(&session).await?;
    leptos_axum::redirect("/account/security?notice=passkey-added", false);
    Ok(())
}

/// Removes one of your passkeys (asking for a second factor again first). Your other sessions
/// end, and a mail says so.
#[server(endpoint = "remove_passkey")]
pub async fn remove_passkey(id: i64, code: Option<String>) -> Result<(), AppError> {
    let (state, session, user) = super::session::require_user().await?;
    super::two_factor::step_up(&state, &session, &user, code.as_deref().unwrap_or_default()).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    // Another user's passkey, or none: the same 404.
    let Some(name) = super::factor_store::delete_passkey(&mut tx, user.user_id, id).await? else {
        return Err(AppError::NotFound("There is no such passkey on your account.".into()));
    };
    let what = format!("The passkey \"{name}\" was removed from your Xops 360 account");
    super::two_factor::after_removal(tx, &state, &session, &user, &format!("passkey \"{name}\""), &what, now).await?;
    leptos_axum::redirect("/account/security?notice=passkey-removed", false);
    Ok(())
}

/// The options of a sign-in with a passkey alone (any of this site's passkeys on the device).
#[server(endpoint = "passkey_sign_in_options")]
pub async fn passkey_sign_in_options() -> Result<String, AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    let (options, ceremony) = relying_party(&state.config.public_url)?.start_discoverable_authentication().map_err(refused)?;
    keep(&session, DISCOVERABLE, &ceremony).await?;
    // A button's ceremony, not the sign-in form's autofill.
    let mut options = serde_json::to_value(&options).map_err(|_| AppError::Internal)?;
    if let Some(options) = options.as_object_mut() {
        options.remove("mediation");
    }
    Ok(options.to_string())
}

/// Signs in with a passkey alone: it is both factors (something you have, unlocked by something
/// you know or are).
#[server(endpoint = "sign_in_with_passkey")]
pub async fn sign_in_with_passkey(credential: String, next: Option<String>) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    let credential: PublicKeyCredential = serde_json::from_str(&credential).map_err(|_| not_used())?;
    let ceremony: DiscoverableAuthentication = take(&session, DISCOVERABLE).await?.ok_or_else(expired)?;
    let webauthn = relying_party(&state.config.public_url)?;
    let (handle, credential_id) = webauthn.identify_discoverable_authentication(&credential).map_err(|_| not_used())?;
    let user_id = super::factor_store::user_of_passkey_handle(&state.pool, &uuid_text(handle)).await?.ok_or_else(not_used)?;
    let (row_id, mut passkey) =
        stored(&state, user_id).await?.into_iter().find(|(_, key)| AsRef::<[u8]>::as_ref(key.cred_id()) == credential_id).ok_or_else(not_used)?;
    let result = webauthn.finish_discoverable_authentication_v2(&credential, ceremony, &passkey).map_err(|_| not_used())?;
    used(&state, row_id, &mut passkey, &result).await?;
    let member = super::store::session_user(&state.pool, user_id, 0, "").await?.ok_or_else(not_used)?;
    let actor = crate::audit::Actor {
        organization_id: Some(member.organization_id),
        user_id: Some(user_id),
        who: member.email.clone(),
        addr: super::session::client_addr().await,
    };
    super::finish_sign_in(&state, &session, member, actor, next.as_deref(), "with a passkey", None).await?;
    super::session::mark_second_factor(&session).await
}

/// The options of the sign-in's second step with one of the user's passkeys (the password was
/// right in this session in the last five minutes).
#[server(endpoint = "passkey_verify_options")]
pub async fn passkey_verify_options() -> Result<String, AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    let (user_id, _) = super::session::pending(&session).await?.ok_or_else(super::two_factor::sign_in_took_too_long)?;
    let keys: Vec<Passkey> = stored(&state, user_id).await?.into_iter().map(|(_, key)| key).collect();
    if keys.is_empty() {
        return Err(AppError::Refused("Your account has no passkey. Enter a code instead.".into()));
    }
    let (options, ceremony) = relying_party(&state.config.public_url)?.start_passkey_authentication(&keys).map_err(refused)?;
    keep(&session, SECOND_STEP, &ceremony).await?;
    serde_json::to_string(&options).map_err(|_| AppError::Internal)
}

/// The sign-in's second step with a passkey.
#[server(endpoint = "verify_with_passkey")]
pub async fn verify_with_passkey(credential: String, next: Option<String>) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    let (user_id, epoch) = super::session::pending(&session).await?.ok_or_else(super::two_factor::sign_in_took_too_long)?;
    let credential: PublicKeyCredential = serde_json::from_str(&credential).map_err(|_| not_used())?;
    let ceremony: PasskeyAuthentication = take(&session, SECOND_STEP).await?.ok_or_else(expired)?;
    let result = relying_party(&state.config.public_url)?.finish_passkey_authentication(&credential, &ceremony).map_err(|_| not_used())?;
    let (row_id, mut passkey) =
        stored(&state, user_id).await?.into_iter().find(|(_, key)| key.cred_id() == result.cred_id()).ok_or_else(not_used)?;
    used(&state, row_id, &mut passkey, &result).await?;
    let member = super::store::session_user(&state.pool, user_id, 0, "")
        .await?
        .filter(|m| m.session_epoch == epoch)
        .ok_or_else(super::two_factor::sign_in_took_too_long)?;
    let email = member.email.clone();
    super::throttle::clear(&state.pool, &email).await?;
    let actor = crate::audit::Actor {
        organization_id: Some(member.organization_id),
        user_id: Some(user_id),
        who: email,
        addr: super::session::client_addr().await,
    };
    super::finish_sign_in(&state, &session, member, actor, next.as_deref(), "with a passkey after the password", None).await?;
    super::session::mark_second_factor(&session).await
}

#[cfg(feature = "ssr")]
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid,
};

/// Where each ceremony's state waits in the session, with when it began.
#[cfg(feature = "ssr")]
const REGISTRATION: &str = "passkey_registration";
#[cfg(feature = "ssr")]
const DISCOVERABLE: &str = "passkey_sign_in";
#[cfg(feature = "ssr")]
const SECOND_STEP: &str = "passkey_second_step";
/// How long a ceremony's challenge may be answered.
#[cfg(feature = "ssr")]
const CEREMONY_SECS: i64 = 5 * 60;

/// The relying party: `XOPS_PUBLIC_URL`'s host, which must be a domain name (WebAuthn refuses
/// addresses); `localhost` works over http, any other host needs https (the browser's rule).
#[cfg(feature = "ssr")]
fn relying_party(public_url: &str) -> Result<webauthn_rs::Webauthn, AppError> {
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
#[cfg(feature = "ssr")]
async fn keep<T: Serialize>(session: &tower_sessions::Session, key: &str, state: &T) -> Result<(), AppError> {
    session.insert(key, (crate::server::now(), state)).await.map_err(super::session::internal)
}

/// Takes a ceremony's state out of the session (once), if it began in the last five minutes.
#[cfg(feature = "ssr")]
async fn take<T: serde::de::DeserializeOwned>(session: &tower_sessions::Session, key: &str) -> Result<Option<T>, AppError> {
    let kept: Option<(i64, T)> = session.remove(key).await.map_err(super::session::internal)?;
    Ok(kept.filter(|(at, _)| crate::server::now() - at <= CEREMONY_SECS).map(|(_, state)| state))
}

/// The user's passkeys, as stored: (row id, passkey).
#[cfg(feature = "ssr")]
async fn stored(state: &crate::server::AppState, user_id: i64) -> Result<Vec<(i64, Passkey)>, AppError> {
    super::factor_store::passkeys_of(&state.pool, user_id)
        .await?
        .into_iter()
        .map(|p| serde_json::from_str(&p.passkey).map(|key| (p.id, key)).map_err(|_| AppError::Internal))
        .collect()
}

/// Notes a passkey's use, with its signature counter and backup flags as the library updates
/// them (a counter that did not move on is refused by the library as a cloned key).
#[cfg(feature = "ssr")]
async fn used(
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

#[cfg(feature = "ssr")]
fn uuid_text(uuid: Uuid) -> String {
    uuid.hyphenated().to_string()
}

#[cfg(feature = "ssr")]
fn refused(err: webauthn_rs::prelude::WebauthnError) -> AppError {
    tracing::warn!(error = %err, "a passkey ceremony could not start");
    AppError::Internal
}

#[cfg(feature = "ssr")]
fn expired() -> AppError {
    AppError::Refused("That took too long: the passkey's request expired. Try again.".into())
}

#[cfg(feature = "ssr")]
fn not_made() -> AppError {
    AppError::Refused("The passkey could not be added: your device's answer did not check out. Try again.".into())
}

#[cfg(feature = "ssr")]
fn not_used() -> AppError {
    AppError::Refused("That passkey did not sign you in: it is not one of this site's, or its answer did not check out.".into())
}
