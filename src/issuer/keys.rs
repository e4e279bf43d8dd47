//! The issuer's signing keys: RSA (RS256, the one algorithm Entra accepts from an outside
//! issuer), each published in the JWKS a while before it signs anything, and kept published a
//! while after its successor took over, so that no token it signed meets a JWKS without it.
//! Which key signs and which are published is worked out from each key's two times and `now`.
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use serde_json::json;

use crate::crypto::base64url;
use crate::error::AppError;

/// How long a key signs before the next one takes over.
pub const SIGNS_FOR: i64 = 30 * 24 * 3600;
/// How long a new key is published before it signs: Entra (or whoever serves a static export,
/// `xops issuer export`, re-run daily) has its JWKS long before the first token it verifies.
pub const PUBLISHED_AHEAD: i64 = 7 * 24 * 3600;
/// How long a replaced key stays published: far past the last token it signed (5 minutes), for
/// clocks that disagree and caches that are slow.
pub const KEPT_AFTER: i64 = 24 * 3600;
/// How long a token is valid (the issue's 5 minutes: it is traded at once).
pub const TOKEN_LIFETIME: i64 = 5 * 60;
/// The audience Entra requires of a federated credential's token.
pub const AUDIENCE: &str = "api://AzureADTokenExchange";

/// A key as stored, without its private half.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerKey {
    pub kid: String,
    /// base64url of the modulus and exponent (the JWK's `n` and `e`).
    pub n: String,
    pub e: String,
    /// In the JWKS from.
    pub published_at: i64,
    /// Signs from (until the next key's `signs_from`).
    pub signs_from: i64,
}

/// A freshly generated key: its public half and its private key (PKCS#8, to be sealed).
pub struct NewKey {
    pub key: IssuerKey,
    pub private_key_pkcs8: Vec<u8>,
}

/// Generates an RSA 2048 key published at `published_at` that signs from `signs_from`.
pub fn generate(published_at: i64, signs_from: i64) -> Result<NewKey, AppError> {
    let fail = |what: &str| {
        tracing::error!("issuer key: {what}");
        AppError::Internal
    };
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| fail("generation failed"))?;
    let private_key_pkcs8 = pair.as_der().map_err(|_| fail("PKCS#8 encoding failed"))?.as_ref().to_vec();
    let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let (n, e) = (base64url(&public.n), base64url(&public.e));
    Ok(NewKey { key: IssuerKey { kid: thumbprint(&n, &e), n, e, published_at, signs_from }, private_key_pkcs8 })
}

/// The key's RFC 7638 thumbprint (SHA-256 of its canonical JWK), its `kid`.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    base64url(&crate::crypto::sha256(canonical.as_bytes()))
}

/// The key that signs at `now`: the one whose `signs_from` is latest and not after `now`.
pub fn signing(keys: &[IssuerKey], now: i64) -> Option<&IssuerKey> {
    keys.iter().filter(|k| k.signs_from <= now).max_by(|a, b| (a.signs_from, &a.kid).cmp(&(b.signs_from, &b.kid)))
}

/// When `key` stopped signing: when the next key (by `signs_from`) began, if it has.
fn replaced_at(keys: &[IssuerKey], key: &IssuerKey, now: i64) -> Option<i64> {
    keys.iter().filter(|k| k.signs_from > key.signs_from && k.signs_from <= now).map(|k| k.signs_from).min()
}

/// The keys the JWKS lists at `now`: published, and not replaced more than `KEPT_AFTER` ago.
pub fn published(keys: &[IssuerKey], now: i64) -> Vec<&IssuerKey> {
    let mut listed: Vec<&IssuerKey> = keys
        .iter()
        .filter(|k| k.published_at <= now && replaced_at(keys, k, now).is_none_or(|at| now < at + KEPT_AFTER))
        .collect();
    // Newest first: Entra reads at most the first 100 keys.
    listed.sort_by_key(|k| std::cmp::Reverse(k.signs_from));
    listed
}

/// What a rollover at `now` does: the key to add (published now, signing from when), if one is
/// due, and the keys to delete (replaced long enough ago to be unpublished).
#[derive(Debug, PartialEq)]
pub struct Rollover {
    pub add_signing_from: Option<i64>,
    pub delete: Vec<String>,
}

pub fn rollover(keys: &[IssuerKey], now: i64) -> Rollover {
    let newest = keys.iter().map(|k| k.signs_from).max();
    let add_signing_from = match (signing(keys, now), newest) {
        // The very first key signs at once: no token was ever signed, nothing waits for it.
        (None, None) => Some(now),
        // Keys exist but none signs yet (only the first one's future start): nothing to add.
        (None, Some(_)) => None,
        // The next key is already published, waiting for its turn.
        (Some(current), Some(newest)) if newest > current.signs_from => None,
        // Time to publish the next one, so that it is out `PUBLISHED_AHEAD` before it signs.
        (Some(current), _) if now >= current.signs_from + SIGNS_FOR - PUBLISHED_AHEAD => {
            Some((current.signs_from + SIGNS_FOR).max(now + PUBLISHED_AHEAD))
        }
        (Some(_), _) => None,
    };
    let delete = keys
        .iter()
        .filter(|k| replaced_at(keys, k, now).is_some_and(|at| now >= at + KEPT_AFTER))
        .map(|k| k.kid.clone())
        .collect();
    Rollover { add_signing_from, delete }
}

/// The JWKS document listing `keys`.
pub fn jwks(keys: &[&IssuerKey]) -> serde_json::Value {
    let keys: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid, "n": k.n, "e": k.e }))
        .collect();
    json!({ "keys": keys })
}

/// The claims of a token for subject `subject`, valid from `now` for `TOKEN_LIFETIME`.
pub fn claims(issuer: &str, subject: &str, now: i64, jti: &str) -> serde_json::Value {
    json!({
        "iss": issuer,
        "sub": subject,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME,
        "jti": jti,
    })
}

/// A compact JWS (RS256) of `claims`, signed with `key`'s private key, its `kid` in the header.
pub fn sign(key: &IssuerKey, private_key_pkcs8: &[u8], claims: &serde_json::Value) -> Result<String, AppError> {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": key.kid });
    crate::crypto::sign_jwt(crate::crypto::JwtAlgorithm::Rs256, &header, claims, private_key_pkcs8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, published_at: i64, signs_from: i64) -> IssuerKey {
        IssuerKey { kid: kid.into(), n: String::new(), e: String::new(), published_at, signs_from }
    }

    #[test]
    fn the_first_key_signs_at_once_and_the_next_is_published_ahead_of_its_turn() {
        assert_eq!(rollover(&[], 100).add_signing_from, Some(100));
        let first = [key("a", 100, 100)];
        assert_eq!(rollover(&first, 100 + SIGNS_FOR - PUBLISHED_AHEAD - 1).add_signing_from, None);
        let due = 100 + SIGNS_FOR - PUBLISHED_AHEAD;
        assert_eq!(rollover(&first, due).add_signing_from, Some(100 + SIGNS_FOR));
        // Late (the job did not run for a while): still a full `PUBLISHED_AHEAD` before it signs.
        assert_eq!(rollover(&first, 100 + SIGNS_FOR + 50).add_signing_from, Some(100 + SIGNS_FOR + 50 + PUBLISHED_AHEAD));
    }

    #[test]
    fn a_key_signs_only_from_its_turn_and_stays_published_a_day_after_it() {
        let switch = 100 + SIGNS_FOR;
        let keys = [key("a", 100, 100), key("b", switch - PUBLISHED_AHEAD, switch)];
        // b is listed from its publication, but a signs until b's turn.
        assert_eq!(published(&keys, switch - PUBLISHED_AHEAD).len(), 2);
        assert_eq!(signing(&keys, switch - 1).map(|k| k.kid.as_str()), Some("a"));
        assert_eq!(signing(&keys, switch).map(|k| k.kid.as_str()), Some("b"));
        assert_eq!(rollover(&keys, switch).add_signing_from, None, "the next one waits for b's own term");
        let listed = |now| published(&keys, now).iter().map(|k| k.kid.clone()).collect::<Vec<_>>();
        assert_eq!(listed(switch + KEPT_AFTER - 1), ["b", "a"]);
        assert_eq!(listed(switch + KEPT_AFTER), ["b"]);
        assert!(rollover(&keys, switch + KEPT_AFTER - 1).delete.is_empty());
        assert_eq!(rollover(&keys, switch + KEPT_AFTER).delete, ["a"]);
    }
}
