//! Your account: Change password (the current one first; it ends your other sessions), and
//! Forgot password: a mailed link, valid an hour and once, that answers the same whether or not
//! the address has an account.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::error::AppError;
use crate::ui::{error_of, FieldError, FormError, Notice, Submit};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Forgot password requests per client address per hour.
#[cfg(feature = "ssr")]
const REQUESTS_PER_ADDRESS_PER_HOUR: i64 = 10;
/// Reset mails one address receives per hour at most, whoever asks.
#[cfg(feature = "ssr")]
const MAILS_PER_ADDRESS_PER_HOUR: i64 = 3;

/// Changes the signed-in user's password; their other sessions end, this one goes on.
#[server(endpoint = "change_password")]
pub async fn change_password(current: String, new_password: String) -> Result<(), AppError> {
    let result = change(current, &new_password).await;
    crate::server::keep_typed::<ChangePassword>(&result, &[]);
    result
}

#[cfg(feature = "ssr")]
async fn change(current: String, new_password: &str) -> Result<(), AppError> {
    use crate::domain::Password;
    let (state, session, user) = crate::auth::session::require_user().await?;
    let addr = crate::auth::session::client_addr().await;
    if current.is_empty() {
        return Err(AppError::invalid("current", "Enter your current password."));
    }
    let new_password = Password::parse(new_password).map_err(|e| AppError::invalid("new_password", e.to_string()))?;
    // Guesses through this form count like sign-in failures.
    let reservation = super::throttle::reserve(&state.pool, &user.email, &addr).await?;
    let stored = super::store::password_hash_of(&state.pool, user.user_id).await?;
    let right = current.chars().count() <= Password::MAX_LEN
        && match super::password::verify(current, Some(stored), true).await {
            Ok(ok) => ok,
            Err(err) => {
                super::throttle::release(&state.pool, reservation).await?;
                return Err(err);
            }
        };
    if !right {
        return Err(AppError::invalid("current", "That is not your current password."));
    }
    super::throttle::clear(&state.pool, &user.email).await?;
    let hash = super::password::hash(new_password).await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let epoch = super::store::set_password(&mut tx, user.user_id, &hash).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "password_changed", "other sessions ended").await?;
    let what = "The password of your Xops 360 account was changed";
    let letter = super::factors::security_letter(&user.email, what, &state.config.public_url);
    crate::mail::outbox::enqueue(&mut tx, &state.sealer, crate::mail::outbox::SECURITY_NOTICE, &letter, crate::server::now()).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    // This session goes on, under a new id in the new epoch; every other one has ended.
    super::session::start(&session, user.user_id, user.organization_id, epoch).await?;
    leptos_axum::redirect("/account?notice=password-changed", false);
    Ok(())
}

/// Mails a reset link to `email` if it has an account; the answer is the same either way.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let result = forgot(&email).await;
    crate::server::keep_typed::<ForgotPassword>(&result, &[("email", email.as_str())]);
    result
}

#[cfg(feature = "ssr")]
async fn forgot(email: &str) -> Result<(), AppError> {
    use crate::mail::outbox;
    let email = crate::domain::Email::parse(email)?;
    let state = crate::server::state()?;
    let addr = crate::auth::session::client_addr().await;
    use super::throttle::{reserve_hourly, Hourly};
    reserve_hourly(&state.pool, &addr, REQUESTS_PER_ADDRESS_PER_HOUR, Hourly::PasswordResets).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    // The same statements run whether or not the address has an account, but the insert.
    let user = super::store::user_by_email(&state.pool, email.as_str()).await?;
    let recent = outbox::recently_sent(&mut tx, email.as_str(), [outbox::PASSWORD_RESET, outbox::PASSWORD_RESET], now - 3600).await?;
    if let Some((user_id, _)) = user.filter(|_| recent < MAILS_PER_ADDRESS_PER_HOUR) {
        let token = super::sign_up::new_token();
        super::store::insert_reset(&mut tx, &crate::crypto::sha256(token.as_bytes()), user_id, now, now + RESET_MINUTES * 60).await?;
        let letter = reset_letter(&email, &state.config.public_url, &token);
        outbox::enqueue(&mut tx, &state.sealer, outbox::PASSWORD_RESET, &letter, now).await?;
        let actor = crate::audit::Actor { organization_id: None, user_id: Some(user_id), who: email.to_string(), addr };
        crate::audit::write(&mut *tx, &actor, "password_reset_requested", "").await?;
    }
    tx.commit().await?;
    state.mail_wake.notify_one();
    leptos_axum::redirect("/forgot-password/sent", false);
    Ok(())
}

#[cfg(feature = "ssr")]
fn reset_letter(email: &crate::domain::Email, site: &str, token: &str) -> crate::mail::transport::Letter {
    crate::mail::transport::Letter {
        to: email.to_string(),
        reply_to: None,
        subject: "Reset your Xops 360 password".into(),
        body: format!(
            "Hello,\n\nSomeone, we hope you, asked to reset the password of the Xops 360 account of this address.\n\n\
             To choose a new password, open this link within {RESET_MINUTES} minutes (it works once):\n\n\
             {site}/reset-password/{token}\n\n\
             If it was not you, ignore this message: your password has not changed.\n\n-- Xops 360\n"
        ),
    }
}

/// The address a reset link is for; 404 once it expired or was used.
#[server(endpoint = "reset_link")]
pub async fn reset_link(token: String) -> Result<String, AppError> {
    let state = crate::server::state()?;
    let mut conn = state.pool.acquire().await?;
    pending(&mut conn, &token).await?.map(|(_, email)| email).ok_or_else(expired)
}

/// Sets a new password from a reset link: every session of the account ends; the user signs in.
#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    let result = reset(&token, &password).await;
    crate::server::keep_typed::<ResetPassword>(&result, &[]);
    result
}

#[cfg(feature = "ssr")]
async fn reset(token: &str, password: &str) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let addr = crate::auth::session::client_addr().await;
    let password = crate::domain::Password::parse(password)?;
    {
        let mut conn = state.pool.acquire().await?;
        pending(&mut conn, token).await?.ok_or_else(|| AppError::invalid("token", expired().to_string()))?;
    }
    let hash = super::password::hash(password).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    // Read again under the write lock: two uses of one link cannot both pass.
    let (user_id, email) = pending(&mut tx, token).await?.ok_or_else(|| AppError::invalid("token", expired().to_string()))?;
    super::store::set_password(&mut tx, user_id, &hash).await?;
    super::store::spend_resets(&mut tx, user_id, now).await?;
    let actor = crate::audit::Actor { organization_id: None, user_id: Some(user_id), who: email, addr };
    crate::audit::write(&mut *tx, &actor, "password_reset", "every session ended").await?;
    tx.commit().await?;
    leptos_axum::redirect("/signin?notice=password-reset", false);
    Ok(())
}

#[cfg(feature = "ssr")]
async fn pending(conn: &mut sqlx::AnyConnection, token: &str) -> Result<Option<(i64, String)>, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    super::store::pending_reset(conn, &crate::crypto::sha256(token.as_bytes()), crate::server::now()).await
}

#[cfg(feature = "ssr")]
fn expired() -> AppError {
    AppError::NotFound("This link has expired or was already used. Ask for a new one.".into())
}

/// /account: Your account, with Change password.
#[component]
pub fn YourAccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = error_of(change);
    view! {
        <Title text="Your account" />
        <section class="page">
            <h1>"Your account"</h1>
            <Notice />
            <ul class="link-list">
                <li><A href="/account/security">"Security: two-factor sign-in and recovery codes"</A></li>
                <li><A href="/account/sessions">"Sessions: where you are signed in"</A></li>
            </ul>
            <div class="panel">
                <h2>"Change password"</h2>
                <p class="muted">"Your other sessions end: every browser signed in with the old password signs in again."</p>
                <ActionForm action=change attr:class="form" attr:novalidate=true>
                    <label for="current">"Current password"</label>
                    <input id="current" name="current" type="password" autocomplete="current-password" required />
                    <FieldError error field="current" />
                    <label for="new_password">"New password"</label>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required />
                    <p class="hint">"8 to 128 characters. A long passphrase is best."</p>
                    <FieldError error field="new_password" />
                    <FormError error />
                    <Submit label="Change password" busy="Changing…" />
                </ActionForm>
            </div>
        </section>
    }
}
