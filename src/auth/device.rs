//! A browser that signed in to an account recently carries a signed cookie saying so
//! (`xops_device`: which account, by a digest of its email, and when, signed with a key derived
//! from the master key). During a flood of sign-ins from strangers, such a browser may use the
//! password-hashing slots kept back for it, so its person still gets in.
use sha2::Digest;

use crate::crypto::Sealer;

pub const COOKIE: &str = "xops_device";
/// How long a successful sign-in makes a browser known to its account.
const LIFETIME_SECS: i64 = 30 * 86_400;

fn email_digest(email: &str) -> String {
    sha2::Sha256::digest(email.as_bytes())[..12].iter().map(|b| format!("{b:02x}")).collect()
}

fn signed_text(digest: &str, issued: i64) -> Vec<u8> {
    format!("known device\n{digest}\n{issued}").into_bytes()
}

/// The cookie's value after a successful sign-in to `email` at `now`.
pub fn issue(sealer: &Sealer, email: &str, now: i64) -> String {
    let digest = email_digest(email);
    format!("{digest}.{now}.{}", sealer.sign(&signed_text(&digest, now)))
}

/// Whether `value` says this browser signed in to `email` within the last 30 days.
pub fn is_known(sealer: &Sealer, value: &str, email: &str, now: i64) -> bool {
    let mut parts = value.splitn(3, '.');
    let (Some(digest), Some(issued), Some(sig)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let Ok(issued) = issued.parse::<i64>() else { return false };
    digest == email_digest(email) && issued <= now && now - issued < LIFETIME_SECS && sealer.verify_signature(&signed_text(digest, issued), sig)
}

/// The `Set-Cookie` header for `value`.
pub fn set_cookie(value: &str, secure: bool) -> String {
    let flags = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; Max-Age={LIFETIME_SECS}; HttpOnly; SameSite=Lax{flags}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_known_to_its_own_account_for_thirty_days() {
        let sealer = Sealer::from_key(&[3; 32]).unwrap_or_else(|e| panic!("{e}"));
        let value = issue(&sealer, "ada@example.com", 1_000);
        assert!(is_known(&sealer, &value, "ada@example.com", 1_000 + 86_400));
        assert!(!is_known(&sealer, &value, "eve@example.com", 1_000), "another account");
        assert!(!is_known(&sealer, &value, "ada@example.com", 1_000 + LIFETIME_SECS), "expired");
        assert!(!is_known(&sealer, &value.replace(".1000.", ".2000."), "ada@example.com", 3_000), "altered");
        let other = Sealer::from_key(&[4; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!is_known(&other, &value, "ada@example.com", 1_000), "another master key");
    }
}
