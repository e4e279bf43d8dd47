//! The double's federated credentials, verified as Entra verifies them: the assertion's issuer,
//! subject and audience must match a credential on the app (exactly; a credential takes effect
//! only from the moment the test says), then the issuer's discovery document and JWKS are
//! fetched over HTTP and the RS256 signature, `kid` and lifetime checked. Refusals carry
//! Entra's real AADSTS codes.
use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::{aadsts, decode_part, Shared};

/// A federated identity credential on an app: Certificates & secrets → Federated credentials.
#[derive(Clone, Debug)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
    /// Unix seconds from which Entra honours it (a new credential takes a while).
    pub effective_from: i64,
}

/// Checks `assertion` (three parts) for `app`; Err is Entra's answer.
pub async fn verify(s: &Shared, app: &str, parts: &[&str]) -> Result<(), Response> {
    let (header, claims) = (decode_part(parts[0]), decode_part(parts[1]));
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let (iss, sub, aud) = (text(&claims, "iss"), text(&claims, "sub"), text(&claims, "aud"));
    let now = xops::server::now();
    let credentials: Vec<FederatedCredential> = {
        let d = s.directory.lock().expect("lock");
        d.federated.get(app).cloned().unwrap_or_default().into_iter().filter(|c| c.effective_from <= now).collect()
    };
    let refuse = |code: i64, description: String| Err(aadsts(code, "invalid_client", &description));
    if credentials.is_empty() {
        return refuse(70021, format!(
            "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{aud}'."
        ));
    }
    let same_issuer: Vec<&FederatedCredential> = credentials.iter().filter(|c| c.issuer == iss).collect();
    if same_issuer.is_empty() {
        return refuse(700211, format!("No matching federated identity record found for presented assertion issuer '{iss}'."));
    }
    let Some(credential) = same_issuer.iter().find(|c| c.subject == sub) else {
        return refuse(700213, format!("No matching federated identity record found for presented assertion subject '{sub}'."));
    };
    if credential.audience != aud {
        return refuse(700212, format!("No matching federated identity record found for presented assertion audience '{aud}'."));
    }
    if header["alg"] != "RS256" {
        return refuse(5002738, format!("Invalid JWT token. '{}' is not a supported signature algorithm.", text(&header, "alg")));
    }
    let Some(jwks) = fetch_keys(&iss).await else {
        return refuse(50166, "Request to External OIDC endpoint failed.".into());
    };
    let kid = text(&header, "kid");
    let Some(key) = jwks["keys"].as_array().into_iter().flatten().take(100).find(|k| k["kid"] == kid.as_str()) else {
        return refuse(7000272, format!(
            "The certificate with identifier {kid} used to sign the federated credential could not be found in the metadata of identity provider {iss}."
        ));
    };
    let decode = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap_or_default()).unwrap_or_default();
    let signed = format!("{}.{}", parts[0], parts[1]);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
    let public = RsaPublicKeyComponents { n: decode(&key["n"]), e: decode(&key["e"]) };
    if key["kty"] != "RSA" || public.verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature).is_err() {
        return refuse(700027, "Client assertion failed signature validation.".into());
    }
    let times = (claims["exp"].as_i64(), claims["nbf"].as_i64(), claims["iat"].as_i64(), claims["jti"].as_str());
    let (Some(exp), Some(nbf), Some(_), Some(jti)) = times else {
        return refuse(50027, "JWT token is invalid or malformed.".into());
    };
    if exp <= now || nbf > now + 300 || jti.is_empty() {
        return refuse(700024, "Client assertion is not within its valid time range.".into());
    }
    Ok(())
}

/// The issuer's JWKS, found through its discovery document, as Entra fetches it; None if either
/// cannot be fetched or the discovery document names another issuer.
async fn fetch_keys(issuer: &str) -> Option<Value> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().ok()?;
    let get = |url: String| {
        let client = client.clone();
        async move {
            let response = client.get(url).send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            response.json::<Value>().await.ok()
        }
    };
    let discovery = get(format!("{issuer}/.well-known/openid-configuration")).await?;
    if discovery["issuer"] != issuer {
        return None;
    }
    get(discovery["jwks_uri"].as_str()?.to_string()).await
}
