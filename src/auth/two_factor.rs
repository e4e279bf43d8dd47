//! A second factor: an authenticator app's codes, and ten single-use recovery codes. A user who
//! has one gives it after the password; an organization may require one of every member.
//! Removing it or making new recovery codes asks for it again unless it was given in the last
//! five minutes (step-up).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Recovery codes in a set.
pub const RECOVERY_CODES: usize = 10;
/// How long after it is given a second factor counts as fresh for a step-up.
pub const FRESH_SECS: i64 = 5 * 60;
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
    let (confirmed, enrolling_since, left) = super::factor_store::overview(&state.pool, user.user_id).await?;
    let enrolling = match enrolling_since {
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
        authenticator_added: confirmed.map(crate::server::format_time),
        enrolling,
        recovery_codes_left: left,
        fresh: super::session::second_factor_fresh(&session, &state).await?,
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
    step_up(&state, &session, &user, &code).await?;
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
    step_up(&state, &session, &user, &code).await?;
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

/// What follows the removal of a second factor, in its transaction: the recovery codes go with
/// the last one; the user's other sessions end; the audit row; a mail saying `what` happened.
#[cfg(feature = "ssr")]
pub async fn after_removal(
    mut tx: sqlx::Transaction<'static, crate::server::Db>,
    state: &crate::server::AppState,
    session: &tower_sessions::Session,
    user: &super::session::SessionUser,
    factor: &str,
    what: &str,
    now: i64,
) -> Result<(), AppError> {
    if !super::factor_store::has_second_factor(&mut tx, user.user_id).await? {
        super::factor_store::delete_recovery_codes(&mut tx, user.user_id).await?;
    }
    let epoch = super::factor_store::end_sessions(&mut tx, user.user_id).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "second_factor_removed", &format!("{factor}; other sessions ended")).await?;
    let letter = security_letter(&user.email, what, &state.config.public_url);
    crate::mail::outbox::enqueue(&mut tx, &state.sealer, crate::mail::outbox::SECURITY_NOTICE, &letter, now).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    super::session::start(session, user.user_id, user.organization_id, epoch).await
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
const WRONG_CODE: &str = "That code is not right. Enter the 6 digits your app shows now; if it keeps failing, check the phone's clock.";

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

/// The password step of this sign-in is missing or over five minutes old.
#[cfg(feature = "ssr")]
pub fn sign_in_took_too_long() -> AppError {
    AppError::Refused("Your sign-in took too long. Sign in again with your password.".into())
}

/// Which second factor a code was.
#[cfg(feature = "ssr")]
pub enum Used {
    Authenticator,
    RecoveryCode { left: i64 },
}

/// Checks a code of user `user_id` (six digits: the authenticator's; else a recovery code),
/// throttled like passwords: counted against the email and the address until it is right.
#[cfg(feature = "ssr")]
pub async fn check_code(state: &crate::server::AppState, user_id: i64, email: &str, addr: &str, code: &str) -> Result<Used, AppError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::invalid("code", "Enter the code from your authenticator app, or a recovery code."));
    }
    let _reservation = super::throttle::reserve(&state.pool, email, addr).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let used = if super::totp::is_authenticator_code(code) {
        let found = super::factor_store::authenticator(&mut tx, user_id).await?.filter(|a| a.confirmed_at.is_some());
        let secret = match found {
            Some(found) => Some(state.sealer.open(&found.secret, &secret_context(user_id))?),
            None => None,
        };
        let step = secret.and_then(|s| super::totp::matching_step(&s, code, now));
        match step {
            Some(step) if super::factor_store::spend_step(&mut tx, user_id, step).await? => Some(Used::Authenticator),
            Some(_) => return Err(AppError::invalid("code", "That code was already used. Wait for the next one your app shows.")),
            None => None,
        }
    } else {
        let hash = recovery_code_hash(user_id, code);
        super::factor_store::spend_recovery_code(&mut tx, user_id, &hash, now).await?.map(|left| Used::RecoveryCode { left })
    };
    let Some(used) = used else {
        return Err(AppError::invalid("code", WRONG_CODE));
    };
    tx.commit().await?;
    super::throttle::clear(&state.pool, email).await?;
    Ok(used)
}

/// Asks again for a second factor, unless one was given in the last five minutes or the user
/// has none.
#[cfg(feature = "ssr")]
pub async fn step_up(
    state: &crate::server::AppState,
    session: &tower_sessions::Session,
    user: &super::session::SessionUser,
    code: &str,
) -> Result<(), AppError> {
    if super::session::second_factor_fresh(session, state).await? {
        return Ok(());
    }
    let mut conn = state.pool.acquire().await?;
    let has_one = super::factor_store::has_second_factor(&mut conn, user.user_id).await?;
    drop(conn);
    if !has_one {
        return Ok(());
    }
    if code.trim().is_empty() {
        return Err(AppError::invalid("code", "Enter a code from your authenticator app (or a recovery code) to confirm it is you."));
    }
    check_code(state, user.user_id, &user.email, &super::session::client_addr().await, code).await?;
    super::session::mark_second_factor(session).await
}

/// Makes ten recovery codes: their hashes replace the old ones, and the codes are sealed to be
/// shown once.
#[cfg(feature = "ssr")]
pub async fn new_recovery_codes(conn: &mut sqlx::AnyConnection, sealer: &crate::crypto::Sealer, user_id: i64, now: i64) -> Result<(), AppError> {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_code_hash(user_id, c)).collect();
    let shown = sealer.seal(codes.join("\n").as_bytes(), &codes_context(user_id))?;
    super::factor_store::replace_recovery_codes(conn, user_id, &hashes, &shown, now).await
}

/// 80 random bits as four groups of four (`7KQ2-M9XD-4HTW-ZC3P`): too many to guess offline
/// from a plain hash, easy to type.
#[cfg(feature = "ssr")]
fn new_recovery_code() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The stored form of a recovery code: typed in any case, with or without its dashes.
#[cfg(feature = "ssr")]
fn recovery_code_hash(user_id: i64, code: &str) -> Vec<u8> {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    crate::crypto::sha256(format!("xops recovery code; user {user_id}; {normal}").as_bytes()).to_vec()
}

#[cfg(feature = "ssr")]
fn secret_context(user_id: i64) -> Vec<u8> {
    format!("xops authenticator secret; user {user_id}").into_bytes()
}

#[cfg(feature = "ssr")]
fn codes_context(user_id: i64) -> Vec<u8> {
    format!("xops recovery codes; user {user_id}").into_bytes()
}

/// The mail that tells a user `what` changed in their sign-in, and what to do if it was not them.
#[cfg(feature = "ssr")]
pub fn security_letter(to: &str, what: &str, site: &str) -> crate::mail::transport::Letter {
    crate::mail::transport::Letter {
        to: to.to_string(),
        reply_to: None,
        subject: what.to_string(),
        body: format!(
            "Hello,\n\n{what}. Every other browser signed in to it has been signed out.\n\n\
             If it was you, there is nothing to do. If it was not, reset your password now at {site}/forgot-password \
             and tell your organization's Owner.\n\n-- Xops 360\n"
        ),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_80_bits_in_four_groups_and_read_in_any_case() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.split('-').count(), 4);
        assert_ne!(code, new_recovery_code());
        assert_eq!(recovery_code_hash(1, &code), recovery_code_hash(1, &code.to_lowercase().replace('-', " ")));
        assert_ne!(recovery_code_hash(1, &code), recovery_code_hash(2, &code), "bound to its user");
    }
}
