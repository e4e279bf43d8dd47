//! A second factor: an authenticator app's codes, and ten single-use recovery codes. A user who
//! has one gives it after the password; an organization may require one of every member.
//! Removing it or making new recovery codes asks for it again unless it was given in the last
//! five minutes (step-up).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use super::factors::{after_removal, check_code, codes_context, new_recovery_codes, secret_context, sign_in_took_too_long, Used, WRONG_CODE};

/// How long a new set of recovery codes can be shown (once).
#[cfg(feature = "ssr")]
const CODES_SHOWN_FOR_SECS: i64 = 10 * 60;

/// Your account → Security, as the page shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Security {
    /// When the authenticator was added ("2026-12-07 14:05 UTC"), if there is one.
    pub authenticator_added: Option<String>,
    /// An authenticator being added: what to scan or type.
    pub enrolling: Option<Enrolment>,
    pub recovery_codes_left: i64,
    /// Whether a second factor was given in the last five minutes (no code asked again).
    pub fresh: bool,
    /// They have a passkey (a step-up may use it).
    pub has_passkeys: bool,
    /// The organization requires a second factor of every member.
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Enrolment {
    /// The QR code of the `otpauth://` address, as SVG.
    pub qr_svg: String,
    /// The secret, base32 in groups of four, for apps without a camera.
    pub secret: String,
}

#[server(endpoint = "load_security")]
pub async fn load_security() -> Result<Security, AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let overview = super::factor_store::overview(&state.pool, user.user_id).await?;
    let enrolling = match overview.enrolling_since {
        Some(_) => {
            let mut conn = state.pool.acquire().await?;
            match super::factor_store::authenticator(&mut conn, user.user_id).await? {
                Some(found) if found.confirmed_at.is_none() => {
                    let secret = state.sealer.open(&found.secret, &secret_context(user.user_id))?;
                    let url = super::totp::otpauth_url(&secret, &user.email)?;
                    Some(Enrolment { qr_svg: super::totp::qr_svg(&url)?, secret: super::totp::secret_text(&secret) })
                }
                _ => None,
            }
        }
        None => None,
    };
    Ok(Security {
        authenticator_added: overview.confirmed_at.map(crate::server::format_time),
        enrolling,
        recovery_codes_left: overview.recovery_codes_left,
        fresh: super::session::second_factor_fresh(&session, &state).await?,
        has_passkeys: overview.passkeys > 0,
        required: user.second_factor_required,
    })
}

/// Starts adding an authenticator: a new secret, shown on the Security page until confirmed.
#[server(endpoint = "start_authenticator")]
pub async fn start_authenticator() -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let secret = super::totp::new_secret();
    let sealed = state.sealer.seal(&secret, &secret_context(user.user_id))?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if super::factor_store::authenticator(&mut tx, user.user_id).await?.is_some_and(|a| a.confirmed_at.is_some()) {
        return Err(AppError::Refused("You already have an authenticator. Remove it first to add another.".into()));
    }
    super::factor_store::put_unconfirmed(&mut tx, user.user_id, &sealed, crate::server::now()).await?;
    tx.commit().await?;
    leptos_axum::redirect("/account/security#authenticator", false);
    Ok(())
}

/// Confirms the authenticator being added with one of its codes. The first second factor comes
/// with ten recovery codes, shown once on the page this leads to.
#[server(endpoint = "confirm_authenticator")]
pub async fn confirm_authenticator(code: String) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let addr = super::session::client_addr().await;
    if code.trim().is_empty() {
        return Err(AppError::invalid("code", "Enter the 6-digit code your app shows."));
    }
    let reservation = super::throttle::reserve(&state.pool, &user.email, &addr).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let Some(found) = super::factor_store::authenticator(&mut tx, user.user_id).await?.filter(|a| a.confirmed_at.is_none())
    else {
        drop(tx);
        super::throttle::release(&state.pool, reservation).await?;
        return Err(AppError::Refused("There is no authenticator being added. Choose Add an authenticator first.".into()));
    };
    let secret = state.sealer.open(&found.secret, &secret_context(user.user_id))?;
    let Some(step) = super::totp::matching_step(&secret, &code, now) else {
        return Err(AppError::invalid("code", WRONG_CODE));
    };
    let first = !super::factor_store::has_second_factor(&mut tx, user.user_id).await?;
    super::factor_store::confirm(&mut tx, user.user_id, step, now).await?;
    if first {
        new_recovery_codes(&mut tx, &state.sealer, user.user_id, now).await?;
    }
    crate::audit::write(&mut *tx, &user.actor().await, "second_factor_added", "authenticator app").await?;
    tx.commit().await?;
    super::throttle::clear(&state.pool, &user.email).await?;
    super::session::mark_second_factor(&session).await?;
    leptos_axum::redirect("/account/security?notice=authenticator-added", false);
    Ok(())
}

/// The new set of recovery codes, once, within ten minutes of its making; None after that.
#[server(endpoint = "recovery_codes_once")]
pub async fn recovery_codes_once() -> Result<Option<Vec<String>>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let taken = super::factor_store::take_shown_codes(&mut tx, user.user_id, now - CODES_SHOWN_FOR_SECS).await?;
    tx.commit().await?;
    let Some(sealed) = taken else {
        return Ok(None);
    };
    let codes = state.sealer.open(&sealed, &codes_context(user.user_id))?;
    Ok(Some(String::from_utf8_lossy(&codes).lines().map(str::to_string).collect()))
}

/// Makes a new set of recovery codes; the old ones stop working.
#[server(endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(code: String) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    super::step_up::step_up(&state, &session, &user, &code).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if !super::factor_store::has_second_factor(&mut tx, user.user_id).await? {
        return Err(AppError::Refused("Add an authenticator or a passkey first: recovery codes stand in for them.".into()));
    }
    new_recovery_codes(&mut tx, &state.sealer, user.user_id, now).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "recovery_codes_regenerated", "the old ones stopped working").await?;
    tx.commit().await?;
    leptos_axum::redirect("/account/security?notice=recovery-codes-regenerated", false);
    Ok(())
}

/// Removes the authenticator and the recovery codes. Your other sessions end, and a mail says so.
#[server(endpoint = "remove_authenticator")]
pub async fn remove_authenticator(code: String) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    super::step_up::step_up(&state, &session, &user, &code).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if !super::factor_store::delete_authenticator(&mut tx, user.user_id).await? {
        return Err(AppError::NotFound("You have no authenticator to remove.".into()));
    }
    let what = "The authenticator app was removed from your Xops 360 account";
    after_removal(tx, &state, &session, &user, "authenticator app", what, now).await?;
    leptos_axum::redirect("/account/security?notice=authenticator-removed", false);
    Ok(())
}


/// Requires (or stops requiring) a second factor of every member of the organization.
#[server(endpoint = "require_second_factor")]
pub async fn require_second_factor(required: bool) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if required && !super::factor_store::has_second_factor(&mut tx, user.user_id).await? {
        return Err(AppError::invalid(
            "required",
            "Add a second factor to your own account first (Your account → Security), then require it of everyone.",
        ));
    }
    super::factor_store::set_required(&mut tx, user.organization_id, required).await?;
    let (action, detail) = if required {
        ("second_factor_required", "members without one are sent to enrolment")
    } else {
        ("second_factor_not_required", "")
    };
    crate::audit::write(&mut *tx, &user.actor().await, action, detail).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/organization?notice=second-factor-policy-saved", false);
    Ok(())
}

/// The sign-in's second step: the code of the authenticator, or a recovery code.
#[server(endpoint = "verify_sign_in")]
pub async fn verify_sign_in(code: String, next: Option<String>) -> Result<(), AppError> {
    let result = verify(&code, next.as_deref()).await;
    crate::server::keep_typed::<VerifySignIn>(&result, &[("next", next.as_deref().unwrap_or_default())]);
    result
}


#[cfg(feature = "ssr")]
async fn verify(code: &str, next: Option<&str>) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = super::session::extract().await?;
    let (user_id, epoch) = super::session::pending(&session).await?.ok_or_else(sign_in_took_too_long)?;
    let member = super::store::session_user(&state.pool, user_id, 0, "").await?.filter(|m| m.session_epoch == epoch);
    let member = member.ok_or_else(sign_in_took_too_long)?;
    let addr = super::session::client_addr().await;
    let actor = crate::audit::Actor {
        organization_id: Some(member.organization_id),
        user_id: Some(user_id),
        who: member.email.clone(),
        addr,
    };
    let used = match check_code(&state, user_id, &member.email, &actor.addr, code).await {
        Ok(used) => used,
        Err(err) => {
            if matches!(err, AppError::Invalid { .. }) {
                crate::audit::record(&state.pool, &actor, "sign_in_failed", "wrong second factor").await;
            }
            return Err(err);
        }
    };
    let (detail, notice) = match used {
        Used::Authenticator => ("with an authenticator code".to_string(), None),
        Used::RecoveryCode { left } => (format!("with a recovery code, {left} left"), Some(format!("recovery-code-used-{left}"))),
    };
    super::finish_sign_in(&state, &session, member, actor, next, &detail, notice).await?;
    super::session::mark_second_factor(&session).await
}
