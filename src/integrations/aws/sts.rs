//! Verifying a customer's role before anything is saved: AssumeRole with the organization's
//! External ID, GetCallerIdentity with what that returns, AssumeRole again without the
//! External ID (a role that allows it is open to the confused deputy), and for a linked
//! account its membership in the management account's AWS Organization. Temporary
//! credentials live only inside these functions.
pub mod explain;
pub mod organizations;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::OnceCell;

use crate::domain::{AccountStatus, Check, RoleArn, Verified};
use crate::error::AppError;
use explain::{classify, explain_failure, failure_message, member_denied, Failure};

/// The session name customers see in their CloudTrail for our checks.
const SESSION_NAME: &str = "xops-verification";
/// The shortest session AWS allows.
const SESSION_SECONDS: i32 = 900;

#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub sts_endpoint: Option<String>,
    pub organizations_endpoint: Option<String>,
    pub principal_arn: Option<String>,
    pub timeout: Duration,
}

pub struct Aws {
    base: aws_config::SdkConfig,
    settings: AwsSettings,
    principal: OnceCell<String>,
    /// The last failure to learn the principal, kept briefly so that a flood of requests (an
    /// anonymous template download, say) does not become a flood of STS calls.
    principal_failure: std::sync::Mutex<Option<(std::time::Instant, AppError)>>,
}

/// How long a failure to learn our own principal is remembered before STS is asked again.
const PRINCIPAL_RETRY: Duration = Duration::from_secs(30);


impl Aws {
    pub async fn load(settings: AwsSettings) -> Aws {
        let region = aws_config::meta::region::RegionProviderChain::default_provider().or_else("us-east-1");
        let base = aws_config::defaults(BehaviorVersion::latest()).region(region).load().await;
        Aws { base, settings, principal: OnceCell::new(), principal_failure: std::sync::Mutex::new(None) }
    }

    fn sts(&self, credentials: Option<Credentials>) -> aws_sdk_sts::Client {
        let mut config = aws_sdk_sts::config::Builder::from(&self.base);
        if let Some(endpoint) = &self.settings.sts_endpoint {
            config = config.endpoint_url(endpoint);
        }
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_sts::Client::from_conf(config.build())
    }

    fn organizations(&self, credentials: Credentials) -> aws_sdk_organizations::Client {
        let mut config = aws_sdk_organizations::config::Builder::from(&self.base).credentials_provider(credentials);
        if let Some(endpoint) = &self.settings.organizations_endpoint {
            config = config.endpoint_url(endpoint);
        }
        aws_sdk_organizations::Client::from_conf(config.build())
    }

    /// Runs one AWS call under the configured timeout.
    async fn call<T, E, F>(&self, fut: F) -> Result<T, Failure>
    where
        F: std::future::Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match tokio::time::timeout(self.settings.timeout, fut).await {
            Err(_) => Err(Failure::Timeout),
            Ok(result) => result.map_err(classify),
        }
    }

    /// The principal customer roles must trust: the setting, else our own identity.
    /// Whether the platform has an AWS identity at all (environment, profile, web identity,
    /// container or instance role).
    pub async fn has_credentials(&self) -> bool {
        use aws_credential_types::provider::ProvideCredentials;
        match self.base.credentials_provider() {
            Some(provider) => provider.provide_credentials().await.is_ok(),
            None => false,
        }
    }

    pub async fn principal_arn(&self) -> Result<String, AppError> {
        if let Some(arn) = &self.settings.principal_arn {
            return Ok(arn.clone());
        }
        if let Some(arn) = self.principal.get() {
            return Ok(arn.clone());
        }
        let recent_failure = match self.principal_failure.lock() {
            Ok(failure) => failure.as_ref().filter(|(at, _)| at.elapsed() < PRINCIPAL_RETRY).map(|(_, err)| err.clone()),
            Err(_) => None,
        };
        if let Some(err) = recent_failure {
            return Err(err);
        }
        let found: Result<String, AppError> = self
            .principal
            .get_or_try_init(|| async {
                let me = self.call(self.sts(None).get_caller_identity().send()).await.map_err(|f| {
                    AppError::Upstream(format!(
                        "Xops cannot tell which AWS principal your role must trust. {}",
                        failure_message(&f, None)
                    ))
                })?;
                Ok(principal_from_caller_arn(me.arn().unwrap_or_default()))
            })
            .await
            .cloned();
        if let (Err(err), Ok(mut failure)) = (&found, self.principal_failure.lock()) {
            *failure = Some((std::time::Instant::now(), err.clone()));
        }
        found
    }

    async fn assume(&self, arn: &RoleArn, external_id: Option<&str>) -> Result<Credentials, Failure> {
        let mut request = self
            .sts(None)
            .assume_role()
            .role_arn(arn.to_string())
            .role_session_name(SESSION_NAME)
            .duration_seconds(SESSION_SECONDS);
        if let Some(external_id) = external_id {
            request = request.external_id(external_id);
        }
        let out = self.call(request.send()).await?;
        let c = out.credentials().ok_or(Failure::Unreachable)?;
        Ok(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "xops-assumed-role",
        ))
    }

    /// Verifies a role; `management` is the organization's management role, for a linked account.
    pub async fn verify(
        &self,
        arn: &RoleArn,
        external_id: &str,
        management: Option<&[RoleArn]>,
        check: Check,
    ) -> Result<Verified, AppError> {
        let principal = self.principal_arn().await.unwrap_or_else(|_| "the Xops platform principal".into());
        let explain = |f: Failure| match (check, explain_failure(&f, arn, &principal, external_id)) {
            // It worked before: name the change rather than the set-up steps.
            (Check::Recheck, AppError::Invalid { message, .. }) if matches!(&f, Failure::Service { code, .. } if code == "AccessDenied") => {
                AppError::Verification(format!(
                    "The role was deleted or no longer trusts Xops (or now requires another External ID): {message}"
                ))
            }
            (Check::Member, AppError::Invalid { .. }) if matches!(&f, Failure::Service { code, .. } if code == "AccessDenied") => {
                AppError::invalid(RoleArn::FIELD, member_denied(arn, &principal, external_id))
            }
            (_, err) => err,
        };

        let credentials = self.assume(arn, Some(external_id)).await.map_err(explain)?;
        let identity = self.call(self.sts(Some(credentials)).get_caller_identity().send()).await.map_err(explain)?;
        let answered = identity.account().unwrap_or_default();
        if answered != arn.account_id() {
            return Err(AppError::invalid(
                RoleArn::FIELD,
                format!(
                    "The role answered as AWS account {answered}, but the ARN names account {}. Copy the role ARN \
                     from the Outputs tab of the stack in the account you are linking.",
                    arn.account_id()
                ),
            ));
        }

        // A role Xops can assume without the External ID, any Xops customer can: the confused
        // deputy External IDs exist to stop. Never saved; a re-test that finds it fails.
        if self.assume(arn, None).await.is_ok() {
            if check == Check::Recheck {
                // Still usable by us, so a warning; it was refused at linking, so this is drift.
                return Ok(Verified {
                    status: AccountStatus::Warning,
                    message: format!(
                        "The role no longer requires your External ID (it did when it was linked), so any Xops customer \
                         could use it. Put the sts:ExternalId condition back (\"sts:ExternalId\": \"{external_id}\" in the \
                         role's trust policy; updating the stack from the Xops template does), then Re-test."
                    ),
                });
            }
            return Err(AppError::invalid(
                RoleArn::FIELD,
                format!(
                    "This role can be assumed without your External ID, so any Xops customer could use it. Add the \
                     sts:ExternalId condition (\"sts:ExternalId\": \"{external_id}\" in the role's trust policy; the \
                     template does) and {}.",
                    if check == Check::Member { "Retry failed" } else { "Connect again" }
                ),
            ));
        }
        let mut warnings = Vec::new();
        if let Some(management) = management {
            match self.membership(management, external_id, arn.account_id()).await {
                Membership::Member => {}
                Membership::NotMember => {
                    return Err(AppError::invalid(
                        RoleArn::FIELD,
                        format!(
                            "AWS account {} is not a member of the AWS Organization of your management account. \
                             Link it under the management account it belongs to, or invite it to that organization first.",
                            arn.account_id()
                        ),
                    ))
                }
                Membership::Unknown(why) => warnings.push(format!(
                    "Xops could not confirm that this account belongs to your management account's AWS Organization ({why})."
                )),
            }
        }
        Ok(if warnings.is_empty() {
            Verified::connected("Role verified with the External ID.")
        } else {
            Verified { status: AccountStatus::Warning, message: warnings.join(" ") }
        })
    }

    async fn membership(&self, management: &[RoleArn], external_id: &str, account_id: &str) -> Membership {
        let mut unknown = String::from("no management account could be asked");
        for role in management {
            let credentials = match self.assume(role, Some(external_id)).await {
                Ok(c) => c,
                Err(f) => {
                    unknown = format!("the management role could not be assumed: {}", failure_message(&f, None));
                    continue;
                }
            };
            let answer =
                self.call(self.organizations(credentials).describe_account().account_id(account_id).send()).await;
            match answer {
                Ok(_) => return Membership::Member,
                Err(Failure::Service { code, .. }) if code == "AccountNotFoundException" => {
                    return Membership::NotMember
                }
                Err(Failure::Service { code, .. }) if code == "AWSOrganizationsNotInUseException" => {
                    unknown = "the management account is not using AWS Organizations".into()
                }
                Err(Failure::Service { code, .. }) if code == "AccessDeniedException" || code == "AccessDenied" => {
                    unknown = "the management role may not read AWS Organizations".into()
                }
                Err(f) => unknown = failure_message(&f, None),
            }
        }
        Membership::Unknown(unknown)
    }
}

enum Membership {
    Member,
    NotMember,
    Unknown(String),
}


/// `arn:aws:sts::1:assumed-role/Platform/session` → `arn:aws:iam::1:role/Platform`: a role
/// session cannot be trusted, its role can.
pub fn principal_from_caller_arn(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, partition, "sts", _, account, resource] = parts.as_slice() {
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            let role = rest.split('/').next().unwrap_or_default();
            return format!("arn:{partition}:iam::{account}:role/{role}");
        }
    }
    arn.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_role_callers_trust_their_role() {
        assert_eq!(
            principal_from_caller_arn("arn:aws:sts::111122223333:assumed-role/XopsPlatform/i-123"),
            "arn:aws:iam::111122223333:role/XopsPlatform"
        );
        assert_eq!(principal_from_caller_arn("arn:aws:iam::111122223333:user/ci"), "arn:aws:iam::111122223333:user/ci");
    }
}
