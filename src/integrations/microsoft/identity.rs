//! The Microsoft identity platform and Azure Resource Manager, as Xops uses them: the OAuth2
//! client-credentials flow with a client assertion (no secret ever), signed with the link's
//! certificate or by the portal's issuer for a federated credential, the access token's `roles` claim, and (in `arm`) the tenant's subscriptions and management
//! groups from Azure Resource Manager.
pub mod arm;

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::crypto::{sign_jwt, JwtAlgorithm};
use crate::domain::MsService;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct MicrosoftSettings {
    pub authority_host: String,
    pub arm_url: String,
    pub graph_url: String,
    pub timeout: Duration,
    /// How long Connect keeps trying a federated credential Entra does not match yet: one
    /// added a moment ago can take minutes to take effect.
    pub federated_patience: Duration,
}

impl Default for MicrosoftSettings {
    fn default() -> Self {
        MicrosoftSettings {
            authority_host: "https://login.microsoftonline.com".into(),
            arm_url: "https://management.azure.com".into(),
            graph_url: "https://graph.microsoft.com".into(),
            timeout: Duration::from_secs(10),
            federated_patience: Duration::from_secs(120),
        }
    }
}

/// What signs Xops in as one app registration.
pub struct AppCredential<'a> {
    pub app_id: &'a str,
    pub tenant_id: &'a str,
    pub proof: Proof<'a>,
}

/// How Xops proves it may sign in as the app.
pub enum Proof<'a> {
    /// A certificate made here and uploaded to the app.
    Certificate {
        private_key_pkcs8: &'a [u8],
        /// base64url SHA-256 of the certificate's DER: the assertion's `x5t#S256` header.
        x5t_s256: &'a str,
        /// For messages: the certificate's thumbprint as the Azure portal shows it.
        thumbprint: &'a str,
    },
    /// A token of the portal's issuer for the link's subject, which a federated credential on
    /// the app trusts.
    Federated {
        assertion: &'a str,
        /// For messages: the values the federated credential must hold.
        issuer: &'a str,
        subject: &'a str,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct Subscription {
    #[serde(rename = "subscriptionId")]
    pub id: String,
    #[serde(rename = "displayName", default, deserialize_with = "crate::domain::deserialize_visible_name")]
    pub name: String,
    #[serde(default)]
    pub state: String,
}

pub struct Microsoft {
    http: reqwest::Client,
    settings: MicrosoftSettings,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
    #[serde(default)]
    pub error_codes: Vec<i64>,
}

impl Microsoft {
    pub fn new(settings: MicrosoftSettings) -> Microsoft {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Microsoft { http, settings }
    }

    pub fn federated_patience(&self) -> Duration {
        self.settings.federated_patience
    }

    pub fn token_endpoint(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/oauth2/v2.0/token", self.settings.authority_host.trim_end_matches('/'))
    }

    /// The signed JWT that proves we hold the certificate's private key.
    pub fn client_assertion(&self, app_id: &str, tenant_id: &str, private_key_pkcs8: &[u8], x5t_s256: &str, now: i64) -> Result<String, AppError> {
        let header = json!({ "alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256 });
        let claims = json!({
            "aud": self.token_endpoint(tenant_id),
            "iss": app_id,
            "sub": app_id,
            "jti": crate::crypto::hex(&random_bytes()),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        sign_jwt(JwtAlgorithm::Ps256, &header, &claims, private_key_pkcs8)
    }

    /// An access token for `service`, or Entra's refusal as it answered it; Err if there was no
    /// answer to read.
    pub async fn request_token(
        &self,
        credential: &AppCredential<'_>,
        service: MsService,
        now: i64,
    ) -> Result<Result<String, TokenError>, AppError> {
        let assertion = match credential.proof {
            Proof::Certificate { private_key_pkcs8, x5t_s256, .. } => {
                self.client_assertion(credential.app_id, credential.tenant_id, private_key_pkcs8, x5t_s256, now)?
            }
            Proof::Federated { assertion, .. } => assertion.to_string(),
        };
        let form = [
            ("client_id", credential.app_id),
            ("scope", service.scope()),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
        ];
        let response = self.send(self.http.post(self.token_endpoint(credential.tenant_id)).form(&form)).await?;
        let status = response.status();
        let body = response.text().await.map_err(|e| self.network(e))?;
        if status.is_success() {
            #[derive(Deserialize)]
            struct Token {
                access_token: String,
            }
            return serde_json::from_str::<Token>(&body).map(|t| Ok(t.access_token)).map_err(|_| {
                AppError::Upstream(
                    "Microsoft Entra ID answered with something that is not a token. Try again later.".into(),
                )
            });
        }
        Ok(Err(serde_json::from_str(&body).unwrap_or_default()))
    }

    /// One read of Entra ID's access review definitions through Microsoft Graph: the token's role
    /// says the permission was granted; this proves the app can use it in this tenant.
    pub async fn read_access_reviews(&self, access_token: &str) -> Result<(), AppError> {
        let base = self.settings.graph_url.trim_end_matches('/');
        let url = format!("{base}/v1.0/identityGovernance/accessReviews/definitions?$top=1");
        let response = self.send(self.http.get(&url).bearer_auth(access_token)).await?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            403 => Err(AppError::Verification(
                "Microsoft Graph refused to read access reviews (HTTP 403). In the app registration, open API permissions \
                 and check that AccessReview.Read.All (Application) shows \"Granted\"; if not, click Grant admin consent. \
                 Access reviews also need a Microsoft Entra ID Governance or P2 licence in the tenant. Then Connect again."
                    .into(),
            )),
            401 => Err(AppError::Verification(
                "Microsoft Graph did not accept the app's token (HTTP 401). Check that the app registration is in this \
                 tenant and enabled, then Connect again."
                    .into(),
            )),
            status => Err(AppError::Upstream(format!(
                "Microsoft Graph answered HTTP {status} when reading access reviews. Nothing was saved; try again later."
            ))),
        }
    }

    /// Sends `request`, once more if the connection failed before an answer came: a pooled
    /// connection the server closed while idle fails the first send (seen against Microsoft's
    /// and the test double's keep-alive limits). Every call here (a token request, reads) is
    /// safe to repeat; a timeout is not retried, so the user waits at most twice the timeout.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, AppError> {
        let again = request.try_clone();
        match (request.send().await, again) {
            (Err(e), Some(again)) if !e.is_timeout() => {
                tracing::info!(error = %e, "Microsoft call failed before an answer; trying once more");
                again.send().await.map_err(|e| self.network(e))
            }
            (sent, _) => sent.map_err(|e| self.network(e)),
        }
    }

    fn network(&self, err: reqwest::Error) -> AppError {
        tracing::warn!(error = %err, "Microsoft call failed");
        if err.is_timeout() {
            AppError::Upstream(format!(
                "Microsoft did not answer within {} seconds. Nothing was saved; try again.",
                self.settings.timeout.as_secs()
            ))
        } else {
            AppError::Upstream("Xops could not reach Microsoft. Nothing was saved; try again in a moment.".into())
        }
    }
}

/// Whether `url` is on the same scheme, host and port as `base`, with no user info: the only
/// URLs the portal sends a bearer token to (a string prefix let `https://management.azure.com.evil.tld`,
/// `https://management.azure.com@evil.tld` and another port through).
pub fn same_origin(base: &str, url: &str) -> bool {
    let (Ok(base), Ok(url)) = (reqwest::Url::parse(base), reqwest::Url::parse(url)) else {
        return false;
    };
    url.username().is_empty()
        && url.password().is_none()
        && url.scheme() == base.scheme()
        && url.host_str().is_some()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}

fn random_bytes() -> [u8; 16] {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// The `roles` claim of an access token (its payload is read, not verified: Microsoft gave
/// it to us directly over TLS, and we only read what it says we may do).
pub fn token_roles(access_token: &str) -> Vec<String> {
    use base64::Engine;
    let payload = access_token.split('.').nth(1).unwrap_or_default();
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).unwrap_or_default();
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("roles").cloned())
        .and_then(|roles| serde_json::from_value::<Vec<String>>(roles).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_next_links_on_resource_manager_only() {
        let arm = "https://management.azure.com";
        assert!(same_origin(arm, "https://management.azure.com/subscriptions?api-version=2022-12-01&$skiptoken=x"));
        assert!(same_origin(arm, "https://management.azure.com:443/subscriptions"));
        for evil in [
            "https://management.azure.com.evil.tld/subscriptions",
            "https://management.azure.com@evil.tld/subscriptions",
            "https://user:pw@management.azure.com/subscriptions",
            "https://management.azure.com:8443/subscriptions",
            "http://management.azure.com/subscriptions",
            "//evil.tld/x",
            "not a url",
        ] {
            assert!(!same_origin(arm, evil), "{evil}");
        }
    }

    fn credential<'a>(key: &'a [u8]) -> AppCredential<'a> {
        AppCredential {
            app_id: "11111111-1111-1111-1111-111111111111",
            tenant_id: "22222222-2222-2222-2222-222222222222",
            proof: Proof::Certificate { private_key_pkcs8: key, x5t_s256: "x5t-value", thumbprint: "ABCDEF" },
        }
    }

    #[test]
    fn the_client_assertion_carries_the_claims_entra_checks() {
        let cert = crate::crypto::generate_certificate("t").unwrap_or_else(|e| panic!("{e}"));
        let ms =
            Microsoft::new(MicrosoftSettings { authority_host: "https://login.example/".into(), ..Default::default() });
        let assert = |c: AppCredential<'_>| match c.proof {
            Proof::Certificate { private_key_pkcs8, x5t_s256, .. } => {
                ms.client_assertion(c.app_id, c.tenant_id, private_key_pkcs8, x5t_s256, 1_000)
            }
            Proof::Federated { .. } => Err(AppError::Internal),
        };
        let jwt = assert(credential(&cert.private_key_pkcs8)).unwrap_or_else(|e| panic!("{e}"));
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        use base64::Engine;
        let decode = |p: &str| -> serde_json::Value {
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap_or_default())
                .unwrap_or_default()
        };
        let header = decode(parts[0]);
        assert_eq!(header["alg"], "PS256");
        assert_eq!(header["x5t#S256"], "x5t-value");
        let claims = decode(parts[1]);
        assert_eq!(claims["aud"], "https://login.example/22222222-2222-2222-2222-222222222222/oauth2/v2.0/token");
        assert_eq!(claims["iss"], "11111111-1111-1111-1111-111111111111");
        assert_eq!(claims["sub"], claims["iss"]);
        assert_eq!(claims["nbf"], 1_000);
        assert_eq!(claims["exp"], 1_600, "at most 10 minutes");
        assert_eq!(claims["jti"].as_str().map(str::len), Some(32));
        let again = assert(credential(&cert.private_key_pkcs8)).unwrap_or_default();
        assert_ne!(decode(again.split('.').nth(1).unwrap_or_default())["jti"], claims["jti"], "unique jti");
    }

    #[test]
    fn roles_are_read_from_the_token_payload() {
        let payload = crate::crypto::base64url(br#"{"roles":["Exchange.ManageAsApp","Other"]}"#);
        assert_eq!(token_roles(&format!("h.{payload}.s")), ["Exchange.ManageAsApp", "Other"]);
        assert!(token_roles("garbage").is_empty());
    }
}
