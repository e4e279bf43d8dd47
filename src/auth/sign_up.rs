//! Sign-up in two steps, so that the answer never tells whether an email has an account: the
//! form takes the organization and the email and always answers "check your inbox"; the mail
//! carries a link (or, for an address that already has an account, a note saying so), and only
//! the link's holder chooses the password and creates the organization.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How long a sign-up link works.
pub const LINK_HOURS: i64 = 24;
/// Sign-up mails one address receives per hour at most, whoever asks.
#[cfg(feature = "ssr")]
const MAILS_PER_ADDRESS_PER_HOUR: i64 = 3;

/// A sign-up waiting for its link, as its confirmation page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignUp {
    pub email: String,
    pub organization: String,
}

/// Asks for a new organization: mails a link to the address (or a note if it has an account).
#[server(endpoint = "sign_up")]
pub async fn sign_up(organization: String, email: String) -> Result<(), AppError> {
    let kept = [("organization", organization.as_str()), ("email", email.as_str())];
    let result = request(&organization, &email).await;
    crate::server::keep_typed::<SignUp>(&result, &kept);
    result
}

#[cfg(feature = "ssr")]
async fn request(organization: &str, email: &str) -> Result<(), AppError> {
    use crate::domain::{Email, OrganizationName};
    use crate::mail::outbox;
    let organization = OrganizationName::parse(organization)?;
    let email = Email::parse(email)?;
    let state = crate::server::state()?;
    let addr = crate::auth::session::client_addr().await;
    use crate::auth::throttle::{reserve_hourly, Hourly};
    reserve_hourly(&state.pool, &addr, state.config.sign_ups_per_hour, Hourly::SignUps).await?;

    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let purposes = [outbox::SIGN_UP_LINK, outbox::ALREADY_REGISTERED];
    // Past the limit the answer is the same; the address just gets no more mail this hour.
    if outbox::recently_sent(&mut tx, email.as_str(), purposes, now - 3600).await? < MAILS_PER_ADDRESS_PER_HOUR {
        let registered = super::store::is_registered(&mut tx, email.as_str()).await?;
        let site = &state.config.public_url;
        let (purpose, letter) = match registered {
            true => (outbox::ALREADY_REGISTERED, already_registered_letter(&email, site)),
            false => {
                let token = new_token();
                let hash = crate::crypto::sha256(token.as_bytes());
                let expires_at = now + LINK_HOURS * 3600;
                super::store::insert_sign_up_request(&mut tx, &hash, email.as_str(), organization.as_str(), now, expires_at).await?;
                (outbox::SIGN_UP_LINK, link_letter(&email, site, &token))
            }
        };
        outbox::enqueue(&mut tx, &state.sealer, purpose, &letter, now).await?;
    }
    let actor = crate::audit::Actor { organization_id: None, user_id: None, who: email.to_string(), addr };
    crate::audit::write(&mut *tx, &actor, "sign_up_requested", &format!("organization \"{organization}\"")).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    leptos_axum::redirect("/signup/sent", false);
    Ok(())
}

/// The sign-up a link stands for; 404 once the link expired or was used.
#[server(endpoint = "sign_up_link")]
pub async fn sign_up_link(token: String) -> Result<PendingSignUp, AppError> {
    let state = crate::server::state()?;
    let (email, organization) = pending(&state.pool, &token)
        .await?
        .ok_or_else(|| AppError::NotFound("This link has expired or was already used.".into()))?;
    Ok(PendingSignUp { email, organization })
}

/// Sets the password from a sign-up link: creates the organization and its first user, and
/// signs that user in.
#[server(endpoint = "confirm_sign_up")]
pub async fn confirm_sign_up(token: String, password: String) -> Result<(), AppError> {
    let result = confirm(&token, password).await;
    crate::server::keep_typed::<ConfirmSignUp>(&result, &[]);
    result
}

#[cfg(feature = "ssr")]
async fn confirm(token: &str, password: String) -> Result<(), AppError> {
    use crate::domain::{Email, OrganizationName, Password};
    let state = crate::server::state()?;
    let session = crate::auth::session::extract().await?;
    let addr = crate::auth::session::client_addr().await;
    let (email, organization) = pending(&state.pool, token).await?.ok_or_else(|| {
        AppError::invalid("token", "This link has expired or was already used. Sign up again to get a new one.")
    })?;
    let password = Password::parse(&password)?;
    let (email, organization) = (Email::parse(&email)?, OrganizationName::parse(&organization)?);
    let hash = crate::auth::password::hash(password).await?;

    let mut tx = crate::server::begin_write(&state.pool).await?;
    let (org_id, user_id) = crate::auth::insert_organization(&mut tx, &organization, &email, &hash).await?;
    // Every link of this address is spent: the address has its account now.
    super::store::delete_sign_up_requests(&mut tx, email.as_str()).await?;
    let actor =
        crate::audit::Actor { organization_id: Some(org_id), user_id: Some(user_id), who: email.to_string(), addr };
    crate::audit::write(&mut *tx, &actor, "sign_up", &format!("organization \"{organization}\"")).await?;
    tx.commit().await?;

    crate::auth::session::start(&session, user_id, org_id, 0).await?;
    super::store::record_sign_in(&state.pool, user_id, crate::server::now()).await?;
    // The browser that created the account is known to it: its next sign-in is no news.
    super::remember_browser(&state, email.as_str(), crate::server::now());
    leptos_axum::redirect(crate::onboarding::landing::landing_path(0), false);
    Ok(())
}

/// (email, organization name) of the sign-up behind `token`, unless it expired or was used.
#[cfg(feature = "ssr")]
async fn pending(pool: &crate::server::Pool, token: &str) -> Result<Option<(String, String)>, AppError> {
    if token.len() > 100 {
        return Ok(None);
    }
    super::store::pending_sign_up(pool, &crate::crypto::sha256(token.as_bytes()), crate::server::now()).await
}

/// 256 bits from the OS CSPRNG, URL-safe.
#[cfg(feature = "ssr")]
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    crate::crypto::base64url(&bytes)
}

// The mails carry no text a stranger typed (the organization name is shown on the link's page
// instead): a sign-up form must not become a way to send anyone a message.
#[cfg(feature = "ssr")]
fn link_letter(email: &crate::domain::Email, site: &str, token: &str) -> crate::mail::transport::Letter {
    crate::mail::transport::Letter {
        to: email.to_string(),
        reply_to: None,
        subject: "Finish creating your Xops 360 account".into(),
        body: format!(
            "Hello,\n\nSomeone, we hope you, asked to create an organization in Xops 360 with this email address.\n\n\
             To choose your password and finish, open this link within {LINK_HOURS} hours:\n\n\
             {site}/signup/confirm/{token}\n\n\
             If it was not you, ignore this message: nothing is created without the link.\n\n-- Xops 360\n"
        ),
    }
}

#[cfg(feature = "ssr")]
fn already_registered_letter(email: &crate::domain::Email, site: &str) -> crate::mail::transport::Letter {
    crate::mail::transport::Letter {
        to: email.to_string(),
        reply_to: None,
        subject: "You already have an Xops 360 account".into(),
        body: format!(
            "Hello,\n\nSomeone, we hope you, asked to create a new organization in Xops 360 with this email address, \
             which already has an account. Nothing was created.\n\nSign in here:\n\n{site}/signin\n\n\
             If it was not you, ignore this message: your account has not changed.\n\n-- Xops 360\n"
        ),
    }
}
