//! What the second factors share: checking a code (the authenticator's or a recovery code,
//! throttled like passwords), making recovery codes, and what follows a factor's removal.
use crate::error::AppError;

/// Recovery codes in a set.
pub const RECOVERY_CODES: usize = 10;

/// What follows the removal of a second factor, in its transaction: the recovery codes go with
/// the last one; the user's other sessions end; the audit row; a mail saying `what` happened.
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

pub const WRONG_CODE: &str = "That code is not right. Enter the 6 digits your app shows now; if it keeps failing, check the phone's clock.";

/// The password step of this sign-in is missing or over five minutes old.
pub fn sign_in_took_too_long() -> AppError {
    AppError::Refused("Your sign-in took too long. Sign in again with your password.".into())
}

/// Which second factor a code was.
pub enum Used {
    Authenticator,
    RecoveryCode { left: i64 },
}

/// Checks a code of user `user_id` (six digits: the authenticator's; else a recovery code),
/// throttled like passwords: counted against the email and the address until it is right.
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

/// Makes ten recovery codes: their hashes replace the old ones, and the codes are sealed to be
/// shown once.
pub async fn new_recovery_codes(conn: &mut sqlx::AnyConnection, sealer: &crate::crypto::Sealer, user_id: i64, now: i64) -> Result<(), AppError> {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_code_hash(user_id, c)).collect();
    let shown = sealer.seal(codes.join("\n").as_bytes(), &codes_context(user_id))?;
    super::factor_store::replace_recovery_codes(conn, user_id, &hashes, &shown, now).await
}

/// 80 random bits as four groups of four (`7KQ2-M9XD-4HTW-ZC3P`): too many to guess offline
/// from a plain hash, easy to type.
fn new_recovery_code() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The stored form of a recovery code: typed in any case, with or without its dashes.
fn recovery_code_hash(user_id: i64, code: &str) -> Vec<u8> {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    crate::crypto::sha256(format!("xops recovery code; user {user_id}; {normal}").as_bytes()).to_vec()
}

pub fn secret_context(user_id: i64) -> Vec<u8> {
    format!("xops authenticator secret; user {user_id}").into_bytes()
}

pub fn codes_context(user_id: i64) -> Vec<u8> {
    format!("xops recovery codes; user {user_id}").into_bytes()
}

/// The mail that tells a user `what` changed in their sign-in, and what to do if it was not them.
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
