//! Sign-up, sign-in and sign-out: the pages and the server functions behind them.
#[cfg(feature = "ssr")]
pub mod device;
#[cfg(feature = "ssr")]
pub mod guard;
mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod factor_store;
#[cfg(feature = "ssr")]
pub mod totp;
#[cfg(feature = "ssr")]
mod factors;
pub mod passkeys;
mod security_pages;
pub mod sessions;
#[cfg(feature = "ssr")]
pub mod step_up;
pub mod two_factor;
#[cfg(feature = "ssr")]
mod webauthn;

use leptos::prelude::*;

use crate::error::AppError;

pub mod recovery;
pub mod sign_up;

pub use security_pages::{SecondFactorPolicy, SecurityPage, StepUpField, VerifySignInPage};
pub use pages::{
    ConfirmSignUpPage, ForgotPasswordPage, ForgotPasswordSentPage, ResetPasswordPage, SignInPage, SignUpPage, SignUpSentPage,
};

/// Signs in with email and password. `next` is the page to return to, if it is one of ours.
#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let kept = [("email", email.as_str()), ("next", next.as_deref().unwrap_or_default())];
    let result = sign_in_inner(&email, password, next.as_deref()).await;
    crate::server::keep_typed::<SignIn>(&result, &kept);
    result
}

#[cfg(feature = "ssr")]
async fn sign_in_inner(email: &str, password: String, next: Option<&str>) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = session::extract().await?;
    let addr = session::client_addr().await;
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter your email address."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    // Bound what is stored and hashed; over-long input simply fails like any wrong credential.
    let email: String = email.chars().take(crate::domain::Email::MAX_LEN).collect();

    let now = crate::server::now();
    let known_device = use_context::<axum::http::request::Parts>()
        .and_then(|parts| crate::server::forms::cookie(&parts.headers, device::COOKIE))
        .is_some_and(|value| device::is_known(&state.sealer, &value, &email, now));
    let reservation = throttle::reserve(&state.pool, &email, &addr).await?;
    let user = store::user_by_email(&state.pool, &email).await?;
    let password_ok = password.chars().count() <= crate::domain::Password::MAX_LEN
        && match password::verify(password, user.as_ref().map(|u| u.1.clone()), known_device).await {
            Ok(ok) => ok,
            Err(err) => {
                // Nothing was checked (the portal was too busy): the attempt does not count.
                throttle::release(&state.pool, reservation).await?;
                return Err(err);
            }
        };
    // The organization they work in first (the audit trail of which records this attempt).
    let member = match &user {
        Some((user_id, _)) => store::session_user(&state.pool, *user_id, 0, "").await?,
        None => None,
    };
    let mut actor = crate::audit::Actor {
        organization_id: member.as_ref().map(|m| m.organization_id),
        user_id: user.as_ref().map(|u| u.0),
        who: email.clone(),
        addr: addr.clone(),
    };
    let Some((user_id, _)) = user.filter(|_| password_ok) else {
        // The reservation stays: it is this failure's record.
        crate::audit::record(&state.pool, &actor, "sign_in_failed", "").await;
        return Err(AppError::InvalidCredentials);
    };
    let Some(member) = member else {
        throttle::clear(&state.pool, &email).await?;
        // The right password, but every organization they belonged to removed them.
        crate::audit::record(&state.pool, &actor, "sign_in_refused", "member of no organization").await;
        return Err(AppError::Refused(
            "You are not a member of any organization any more. Ask an Owner or Admin of yours to invite you again, \
             or sign up to create a new organization."
                .into(),
        ));
    };
    actor.user_id = Some(user_id);
    if member.has_second_factor {
        // Nobody is signed in until the second factor is given; till then this attempt stays
        // counted, so the password cannot reset the count of wrong codes.
        session::start_pending(&session, user_id, member.session_epoch).await?;
        let next = next.filter(|n| crate::domain::is_local_path(n));
        let query = next.map(|n| format!("?next={}", crate::domain::percent_encode(n))).unwrap_or_default();
        leptos_axum::redirect(&format!("/signin/verify{query}"), false);
        return Ok(());
    }
    throttle::clear(&state.pool, &email).await?;
    finish_sign_in(&state, &session, member, actor, next, "", None).await
}

/// Signs `member` in (their password, and second factor if they have one, given): a new
/// session, the known-browser cookie, the audit row (`how` they signed in), and on to their
/// landing page, or `next`, with `notice`.
#[cfg(feature = "ssr")]
pub(crate) async fn finish_sign_in(
    state: &crate::server::AppState,
    session: &tower_sessions::Session,
    member: store::MemberRow,
    actor: crate::audit::Actor,
    next: Option<&str>,
    how: &str,
    notice: Option<String>,
) -> Result<(), AppError> {
    let (Some(user_id), org_id) = (actor.user_id, member.organization_id) else {
        return Err(AppError::Internal);
    };
    let now = crate::server::now();
    session::start(session, user_id, org_id, member.session_epoch).await?;
    store::record_sign_in(&state.pool, user_id, now).await?;
    if !remember_browser(state, &member.email, now) {
        tell_of_new_browser(state, &member.email, &actor.addr, now).await?;
    }
    crate::audit::record(&state.pool, &actor, "sign_in", how).await;

    let landing = crate::onboarding::landing::landing(&state.pool, org_id).await?;
    let target = match next.filter(|n| crate::domain::is_local_path(n)) {
        Some(next) if landing == "/" => next.to_string(),
        _ => landing.to_string(),
    };
    let target = match notice {
        Some(notice) => format!("{target}{}notice={notice}", if target.contains('?') { '&' } else { '?' }),
        None => target,
    };
    leptos_axum::redirect(&target, false);
    Ok(())
}

/// Marks this browser as known to `email`'s account (the `xops_device` cookie, renewed);
/// returns whether it was known already.
#[cfg(feature = "ssr")]
pub(crate) fn remember_browser(state: &crate::server::AppState, email: &str, now: i64) -> bool {
    let known = use_context::<axum::http::request::Parts>()
        .and_then(|parts| crate::server::forms::cookie(&parts.headers, device::COOKIE))
        .is_some_and(|value| device::is_known(&state.sealer, &value, email, now));
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let cookie = device::set_cookie(&device::issue(&state.sealer, email, now), state.config.secure_cookies());
        if let Ok(cookie) = axum::http::HeaderValue::from_str(&cookie) {
            response.append_header(axum::http::header::SET_COOKIE, cookie);
        }
    }
    known
}

/// Mails `email` that a browser it has not seen in 30 days signed in to their account.
#[cfg(feature = "ssr")]
async fn tell_of_new_browser(state: &crate::server::AppState, email: &str, addr: &str, now: i64) -> Result<(), AppError> {
    let browser = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::USER_AGENT)?.to_str().ok().map(sessions::describe))
        .unwrap_or_else(|| "An unknown browser".into());
    let from = if addr.is_empty() { String::new() } else { format!(" from {addr}") };
    let letter = crate::mail::transport::Letter {
        to: email.to_string(),
        reply_to: None,
        subject: format!("New sign-in to Xops 360: {browser}{from}"),
        body: format!(
            "Hello,\n\n{browser}{from} signed in to your Xops 360 account at {}, for the first time in 30 days.\n\n\
             If it was you, there is nothing to do. If it was not, sign that session out under Your account → Sessions \
             ({}/account/sessions), change your password, and add an authenticator app under Your account → Security.\n\n-- Xops 360\n",
            crate::server::format_time(now),
            state.config.public_url
        ),
    };
    let mut tx = crate::server::begin_write(&state.pool).await?;
    crate::mail::outbox::enqueue(&mut tx, &state.sealer, crate::mail::outbox::SECURITY_NOTICE, &letter, now).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(())
}

/// Ends the session (deleting it from the store) and returns to the sign-in page. Its handle is
/// recorded as ended first, with the audit row: every replica checks that on each request, so a
/// replica still caching the session (until its NOTIFY arrives) refuses the cookie at once.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = session::extract().await?;
    if let Some(user) = session::current(&session, &state).await? {
        let handle = session::handle(&session).await?;
        let signed_in_at = session.get::<i64>(session::SIGNED_IN_AT).await.map_err(session::internal)?.unwrap_or(0);
        let expires_at = session::absolute_expiry(&state, signed_in_at);
        let actor = user.actor().await;
        let mut tx = state.pool.begin().await?;
        session_store::end_session(&mut tx, &handle, user.user_id, expires_at).await?;
        crate::audit::write(&mut *tx, &actor, "sign_out", "").await?;
        tx.commit().await?;
    }
    session.flush().await.map_err(session::internal)?;
    leptos_axum::redirect("/signin?notice=signed-out", false);
    Ok(())
}

/// Creates an organization (with its own External ID) and its first user, on their own: the
/// seeding command of the benchmarks. Returns the organization's and the user's ids.
#[cfg(feature = "ssr")]
pub async fn create_organization(
    pool: &crate::server::Pool,
    organization: &crate::domain::OrganizationName,
    email: &crate::domain::Email,
    password: crate::domain::Password,
) -> Result<(i64, i64), AppError> {
    let hash = password::hash(password).await?;
    let mut tx = crate::server::begin_write(pool).await?;
    let ids = insert_organization(&mut tx, organization, email, &hash).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Inserts an organization and its first user inside the caller's transaction.
#[cfg(feature = "ssr")]
pub async fn insert_organization(
    tx: &mut sqlx::AnyConnection,
    organization: &crate::domain::OrganizationName,
    email: &crate::domain::Email,
    password_hash: &str,
) -> Result<(i64, i64), AppError> {
    store::insert_organization(tx, organization, &new_external_id(), email, password_hash, crate::server::now()).await
}

#[cfg(feature = "ssr")]
fn new_external_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20]; // 160 bits from the OS CSPRNG
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("xops-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn external_ids_are_long_and_unique() {
        let (a, b) = (new_external_id(), new_external_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), "xops-".len() + 40);
    }
}
