//! Password hashing with argon2id (the argon2 crate's defaults: 19 MiB, 2 passes), off the
//! async workers because each hash takes tens of milliseconds on purpose, and at most a few at
//! once: unbounded, 100 concurrent sign-ins took the server from 74 MB to 1.7 GB.
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::domain::Password;
use crate::error::AppError;

pub async fn hash(password: Password) -> Result<String, AppError> {
    run_blocking(move || hash_now(password.expose())).await?
}

/// Checks `password` against `stored`; with no stored hash (unknown email) it checks against a
/// dummy so that the answer takes as long either way and does not reveal which emails exist.
/// `known_device`: the browser signed in to this account recently (`auth::device`), so it may
/// use the slots kept back for such sign-ins when a flood holds the others (OWASP's advice
/// against credential stuffing).
pub async fn verify(password: String, stored: Option<String>, known_device: bool) -> Result<bool, AppError> {
    let check = move || {
        let stored = match stored {
            Some(stored) => stored,
            None => {
                let dummy = dummy_hash()?;
                let _ = verify_now(&password, dummy);
                return Ok(false);
            }
        };
        Ok(verify_now(&password, &stored))
    };
    if known_device {
        static RESERVED: OnceLock<Arc<tokio::sync::Semaphore>> = OnceLock::new();
        let reserved = RESERVED.get_or_init(|| crate::server::blocking::slots_per_core(1));
        return crate::server::blocking::run_bounded_or_reserved(slots(), reserved, check).await?;
    }
    crate::server::blocking::run_bounded(slots(), check).await?
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|err| {
        tracing::error!(error = %err, "password hashing failed");
        AppError::Internal
    })
}

fn verify_now(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(err) => {
            tracing::error!(error = %err, "a stored password hash does not parse");
            false
        }
    }
}

fn dummy_hash() -> Result<&'static str, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let h = hash_now("not a real password, only for timing")?;
    Ok(DUMMY.get_or_init(|| h))
}

/// Hashes in progress at most: two per core keeps both busy without queueing memory (and one
/// more per core for known devices, see `verify`).
fn slots() -> &'static Arc<tokio::sync::Semaphore> {
    static SLOTS: OnceLock<Arc<tokio::sync::Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| crate::server::blocking::slots_per_core(2))
}

async fn run_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    crate::server::blocking::run_bounded(slots(), f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let pw = Password::parse("correct horse battery").unwrap_or_else(|e| panic!("{e}"));
        let stored = hash(pw).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(stored.starts_with("$argon2id$"), "argon2id, with its parameters in the PHC string");
        assert!(!stored.contains("horse"));
        assert_eq!(verify("correct horse battery".into(), Some(stored.clone()), false).await, Ok(true));
        assert_eq!(verify("wrong horse battery".into(), Some(stored), true).await, Ok(false));
        assert_eq!(verify("anything at all".into(), None, false).await, Ok(false));
    }
}
