//! Authenticator codes (TOTP, RFC 6238, through `totp-rs`): 6 digits, 30-second steps, SHA-1
//! (what every authenticator app reads from a QR code), the previous and next step accepted
//! for clocks that drift. The caller keeps the last step accepted, so no code works twice.
use totp_rs::{Builder, Totp};

use crate::error::AppError;

/// The name authenticator apps show beside the code.
const ISSUER: &str = "Xops 360";

/// A new secret: 160 bits from the OS CSPRNG (RFC 4226's recommendation).
pub fn new_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> Result<Totp, AppError> {
    // An account name may not hold a colon (the label's separator); an email never does, but
    // a malformed one must not make enrolment fail.
    let account: String = account.chars().filter(|c| *c != ':').collect();
    Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|err| {
            tracing::error!(error = %err, "TOTP parameters refused");
            AppError::Internal
        })
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &[u8], account: &str) -> Result<String, AppError> {
    totp(secret, account)?.to_url().map_err(|err| {
        tracing::error!(error = %err, "otpauth URL");
        AppError::Internal
    })
}

/// The secret as people type it into an app without a camera: base32, in groups of four.
pub fn secret_text(secret: &[u8]) -> String {
    let encoded = totp_rs::Secret::from(secret.to_vec()).to_base32();
    encoded.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The QR code of `text`, as an SVG drawn on the server (the page needs no JavaScript).
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|err| {
        tracing::error!(error = %err, "QR code");
        AppError::Internal
    })?;
    Ok(code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// The time step `code` belongs to, if it is the code of the step of `now`, the one before or
/// the one after; spaces in it are ignored.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now).ok()?;
    totp(secret, "").ok()?.check(&code, now).and_then(|step| i64::try_from(step).ok())
}

/// Whether `code` looks like an authenticator code (six digits) rather than a recovery code.
pub fn is_authenticator_code(code: &str) -> bool {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())
}

/// The code of `now`'s step (for tests, and for nothing else).
pub fn code_at(secret: &[u8], now: i64) -> String {
    totp(secret, "").map(|t| t.generate(u64::try_from(now).unwrap_or(0)).to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 key, whose 8-digit codes end in these 6 digits at these times.
    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_are_rfc_6238s() {
        assert_eq!(code_at(RFC_KEY, 59), "287082");
        assert_eq!(code_at(RFC_KEY, 1_111_111_109), "081804");
        assert_eq!(code_at(RFC_KEY, 1_234_567_890), "005924");
    }

    #[test]
    fn the_previous_and_next_steps_are_accepted_and_no_other() {
        let now = 1_234_567_890; // step 41,152,263
        let step = now / 30;
        assert_eq!(matching_step(RFC_KEY, &code_at(RFC_KEY, now), now), Some(step));
        assert_eq!(matching_step(RFC_KEY, &code_at(RFC_KEY, now - 30), now), Some(step - 1));
        assert_eq!(matching_step(RFC_KEY, &code_at(RFC_KEY, now + 30), now), Some(step + 1));
        assert_eq!(matching_step(RFC_KEY, &code_at(RFC_KEY, now - 60), now), None, "two steps old");
        assert_eq!(matching_step(RFC_KEY, &code_at(RFC_KEY, now + 60), now), None, "two steps ahead");
        assert_eq!(matching_step(RFC_KEY, "005 924", now), Some(step), "spaces are ignored");
        assert_eq!(matching_step(RFC_KEY, "00592", now), None);
        assert_eq!(matching_step(RFC_KEY, "abcdef", now), None);
    }

    #[test]
    fn the_secret_reads_as_base32_and_the_qr_code_as_svg() {
        assert_eq!(secret_text(RFC_KEY), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        let url = otpauth_url(RFC_KEY, "ana@example.com").expect("url");
        assert!(url.starts_with("otpauth://totp/Xops%20360:ana%40example.com?"), "{url}");
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{url}");
        let svg = qr_svg(&url).expect("svg");
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }
}
