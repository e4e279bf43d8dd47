//! Passkeys (WebAuthn, through `webauthn-rs`): added under Your account → Security, a second
//! factor after the password, or a sign-in of their own with no password (discoverable
//! credentials). The relying party is `XOPS_PUBLIC_URL`'s host. Each ceremony's challenge is
//! kept in the server-side session, used once, and expires after five minutes; the browser's
//! part is `public/passkeys.js`, which fills the form's `credential` field and sends the form.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use super::webauthn::{
    challenge_own_passkeys, expired, keep, not_made, not_used, refused, relying_party, stored, take, used, uuid_text, DiscoverableAuthentication,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Uuid, DISCOVERABLE, REGISTRATION,
    SECOND_STEP, STEP_UP,
};

/// Passkey sign-ins one client address may start in an hour.
#[cfg(feature = "ssr")]
const PASSKEY_SIGN_INS_PER_ADDRESS_PER_HOUR: i64 = 60;

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
        super::factors::new_recovery_codes(&mut tx, &state.sealer, user.user_id, now).await?;
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
    super::step_up::step_up(&state, &session, &user, code.as_deref().unwrap_or_default()).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    // Another user's passkey, or none: the same 404.
    let Some(name) = super::factor_store::delete_passkey(&mut tx, user.user_id, id).await? else {
        return Err(AppError::NotFound("There is no such passkey on your account.".into()));
    };
    let what = format!("The passkey \"{name}\" was removed from your Xops 360 account");
    super::factors::after_removal(tx, &state, &session, &user, &format!("passkey \"{name}\""), &what, now).await?;
    leptos_axum::redirect("/account/security?notice=passkey-removed", false);
    Ok(())
}

/// The options of a step-up with one of the signed-in user's passkeys.
#[server(endpoint = "passkey_step_up_options")]
pub async fn passkey_step_up_options() -> Result<String, AppError> {
    let (state, session, user) = super::session::require_user().await?;
    challenge_own_passkeys(&state, &session, user.user_id, STEP_UP).await
}

/// The options of a sign-in with a passkey alone (any of this site's passkeys on the device).
#[server(endpoint = "passkey_sign_in_options")]
pub async fn passkey_sign_in_options() -> Result<String, AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    // Anyone may ask, and each keeps a challenge in a session: bounded per address.
    let addr = super::session::client_addr().await;
    use super::throttle::{reserve_hourly, Hourly};
    reserve_hourly(&state.pool, &addr, PASSKEY_SIGN_INS_PER_ADDRESS_PER_HOUR, Hourly::PasskeySignIns).await?;
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
    let (user_id, _) = super::session::pending(&session).await?.ok_or_else(super::factors::sign_in_took_too_long)?;
    challenge_own_passkeys(&state, &session, user_id, SECOND_STEP).await
}

/// The sign-in's second step with a passkey.
#[server(endpoint = "verify_with_passkey")]
pub async fn verify_with_passkey(credential: String, next: Option<String>) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    let (user_id, epoch) = super::session::pending(&session).await?.ok_or_else(super::factors::sign_in_took_too_long)?;
    let credential: PublicKeyCredential = serde_json::from_str(&credential).map_err(|_| not_used())?;
    let ceremony: PasskeyAuthentication = take(&session, SECOND_STEP).await?.ok_or_else(expired)?;
    let result = relying_party(&state.config.public_url)?.finish_passkey_authentication(&credential, &ceremony).map_err(|_| not_used())?;
    let (row_id, mut passkey) =
        stored(&state, user_id).await?.into_iter().find(|(_, key)| key.cred_id() == result.cred_id()).ok_or_else(not_used)?;
    used(&state, row_id, &mut passkey, &result).await?;
    let member = super::store::session_user(&state.pool, user_id, 0, "")
        .await?
        .filter(|m| m.session_epoch == epoch)
        .ok_or_else(super::factors::sign_in_took_too_long)?;
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
