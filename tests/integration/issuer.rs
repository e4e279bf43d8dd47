//! The portal as an OpenID issuer: its discovery document and JWKS served to anyone over HTTP
//! (as Entra fetches them), tokens that verify against them as Entra verifies a federated
//! credential's, key rollover with a moved clock, and the static export.
use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use xops::issuer::keys::{KEPT_AFTER, PUBLISHED_AHEAD, SIGNS_FOR, TOKEN_LIFETIME};
use xops::issuer::{documents, signing, store};

use crate::common::TestApp;

fn part(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).expect("a JWS segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

fn kid(token: &str) -> String {
    part(token, 0)["kid"].as_str().expect("a kid").to_string()
}

/// Verifies `token` as Entra does against `jwks`: RS256, the key named by `kid`, its signature.
fn verifies(token: &str, jwks: &Value) -> bool {
    let header = part(token, 0);
    let Some(key) = jwks["keys"].as_array().and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"])) else {
        return false;
    };
    let (input, signature) = token.rsplit_once('.').expect("three segments");
    let decode = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap_or_default()).unwrap_or_default();
    header["alg"] == "RS256"
        && key["alg"] == "RS256"
        && RsaPublicKeyComponents { n: decode(&key["n"]), e: decode(&key["e"]) }
            .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &URL_SAFE_NO_PAD.decode(signature).unwrap_or_default())
            .is_ok()
}

async fn fetch(url: &str) -> (Value, String) {
    // No cookie, no token: the documents are public.
    let res = reqwest::get(url).await.expect("reachable");
    assert_eq!(res.status(), 200, "{url}");
    let cache = res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (res.json().await.expect("JSON"), cache)
}

#[tokio::test]
async fn the_discovery_document_and_jwks_are_public_and_a_token_verifies_against_them() {
    let app = TestApp::spawn().await;
    let now = xops::server::now();
    let token = signing::token(&app.pool, &app.state.sealer, &app.config.issuer_url, "xops:link:q7Kd2", now).await.unwrap();

    let (discovery, cache) = fetch(&format!("{}/.well-known/openid-configuration", app.url)).await;
    assert_eq!(discovery["issuer"], app.url.as_str());
    assert!(cache.contains("max-age=300"), "{cache}");
    assert_eq!(discovery["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    let (jwks, _) = fetch(discovery["jwks_uri"].as_str().expect("jwks_uri")).await;
    assert!(verifies(&token, &jwks), "the token verifies with the published key");
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["use"], "sig");

    let claims = part(&token, 1);
    assert_eq!(claims["iss"], app.url.as_str());
    assert_eq!(claims["sub"], "xops:link:q7Kd2");
    assert_eq!(claims["aud"], "api://AzureADTokenExchange");
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["nbf"], now);
    assert_eq!(claims["exp"], now + 300);
    assert_eq!(claims["jti"].as_str().map(str::len), Some(32));
    let again = signing::token(&app.pool, &app.state.sealer, &app.config.issuer_url, "xops:link:q7Kd2", now).await.unwrap();
    assert_ne!(part(&again, 1)["jti"], claims["jti"], "every token has its own jti");

    // A forged token (claims changed after signing) does not verify.
    let segments: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(claims.to_string().replace("q7Kd2", "other").as_bytes());
    assert!(!verifies(&format!("{}.{forged_claims}.{}", segments[0], segments[2]), &jwks));
}

#[tokio::test]
async fn keys_roll_over_published_before_they_sign_and_kept_until_their_tokens_expire() {
    let app = TestApp::spawn().await;
    let (pool, sealer, issuer) = (&app.pool, &app.state.sealer, app.config.issuer_url.as_str());
    let t0 = xops::server::now();
    let token_at = |now: i64| signing::token(pool, sealer, issuer, "xops:link:roll", now);
    let jwks_at = |now: i64| documents::jwks(pool, now);
    let first = token_at(t0).await.unwrap();
    let a = kid(&first);
    assert_eq!(jwks_at(t0).await.unwrap()["keys"].as_array().map(Vec::len), Some(1));

    // Not due yet: nothing changes.
    signing::rollover(pool, sealer, t0 + SIGNS_FOR - PUBLISHED_AHEAD - 1).await.unwrap();
    assert_eq!(store::keys(pool).await.unwrap().len(), 1);

    // Due: the next key is published a week before it signs, and is not used before.
    let published = t0 + SIGNS_FOR - PUBLISHED_AHEAD;
    signing::rollover(pool, sealer, published).await.unwrap();
    let listed = jwks_at(published).await.unwrap();
    assert_eq!(listed["keys"].as_array().map(Vec::len), Some(2));
    let switch = t0 + SIGNS_FOR;
    let last_of_a = token_at(switch - 1).await.unwrap();
    assert_eq!(kid(&last_of_a), a, "the old key signs until the new one's turn");
    let first_of_b = token_at(switch).await.unwrap();
    let b = kid(&first_of_b);
    assert_ne!(b, a);
    assert!(verifies(&first_of_b, &listed), "a verifier that fetched the JWKS a week earlier already has the new key");

    // The old key's last token verifies against the JWKS at any time until it expires, and
    // well after; then the old key is unpublished, and its sealed private key deleted.
    for at in [switch - 1, switch, switch + TOKEN_LIFETIME, switch + KEPT_AFTER - 1] {
        signing::rollover(pool, sealer, at).await.unwrap();
        assert!(verifies(&last_of_a, &jwks_at(at).await.unwrap()), "at {at}");
    }
    signing::rollover(pool, sealer, switch + KEPT_AFTER).await.unwrap();
    let after = jwks_at(switch + KEPT_AFTER).await.unwrap();
    assert_eq!(after["keys"].as_array().map(Vec::len), Some(1));
    assert!(!verifies(&last_of_a, &after));
    assert!(verifies(&first_of_b, &after));
    assert!(store::sealed_key(pool, &a).await.unwrap().is_none(), "the replaced key's private half is gone");
}

#[tokio::test]
async fn replicas_rolling_at_once_publish_one_key() {
    let app = TestApp::spawn().await;
    let other = app.replica(|_| {}).await;
    let t0 = xops::server::now();
    signing::rollover(&app.pool, &app.state.sealer, t0).await.unwrap();
    let due = t0 + SIGNS_FOR - PUBLISHED_AHEAD;
    let (one, two) = tokio::join!(
        signing::rollover(&app.pool, &app.state.sealer, due),
        signing::rollover(&other.pool, &other.state.sealer, due)
    );
    one.unwrap();
    two.unwrap();
    assert_eq!(store::keys(&app.pool).await.unwrap().len(), 2, "the first key and one next key");
}

#[tokio::test]
async fn the_export_writes_the_documents_served_for_a_static_issuer_url() {
    let app = TestApp::spawn().await;
    signing::rollover(&app.pool, &app.state.sealer, xops::server::now()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xops"))
        .args(["issuer", "export"])
        .arg(dir.path())
        .env("DATABASE_URL", &app.config.database_url)
        .env("XOPS_MASTER_KEY_FILE", &app.config.master_key_file)
        .env("XOPS_ISSUER_URL", "https://static.example.com/xops/")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |path: &str| -> Value { serde_json::from_slice(&std::fs::read(dir.path().join(path)).unwrap()).unwrap() };
    let discovery = read(".well-known/openid-configuration");
    assert_eq!(discovery["issuer"], "https://static.example.com/xops");
    assert_eq!(discovery["jwks_uri"], "https://static.example.com/xops/.well-known/jwks.json");
    let (served, _) = fetch(&format!("{}/.well-known/jwks.json", app.url)).await;
    assert_eq!(read(".well-known/jwks.json"), served);

    // On a database no portal has started on, the export makes the first key.
    let fresh = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xops"))
        .args(["issuer", "export"])
        .arg(fresh.path().join("site"))
        .env("DATABASE_URL", format!("sqlite://{}/never-started.db?mode=rwc", fresh.path().display()))
        .env("XOPS_MASTER_KEY_FILE", fresh.path().join("master.key"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let jwks: Value = serde_json::from_slice(&std::fs::read(fresh.path().join("site/.well-known/jwks.json")).unwrap()).unwrap();
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
}
