//! Why a call to AWS failed, and what the customer reads about it: the cause and the fix.
use std::time::Duration;

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::domain::RoleArn;
use crate::error::AppError;

/// Why a call to AWS failed, in the terms the user can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Service { code: String, message: String },
    Timeout,
    Unreachable,
    NoCredentials,
}

pub(crate) fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(err: SdkError<E>) -> Failure {
    match &err {
        SdkError::ServiceError(service) => Failure::Service {
            code: service.err().code().unwrap_or("Unknown").to_string(),
            message: service.err().message().unwrap_or_default().to_string(),
        },
        SdkError::TimeoutError(_) => Failure::Timeout,
        _ => {
            let detail = format!("{}", DisplayErrorContext(&err));
            if detail.contains("credentials") {
                // Said once, in a line, at start (`startup`); not again with the SDK's dump.
                tracing::debug!(error = %detail, "AWS call without credentials");
                Failure::NoCredentials
            } else if detail.contains("timed out") || detail.contains("timeout") {
                tracing::warn!(error = %detail, "AWS call failed");
                Failure::Timeout
            } else {
                tracing::warn!(error = %detail, "AWS call failed");
                Failure::Unreachable
            }
        }
    }
}

/// The sentence for a failure that says nothing about the customer's role.
pub(crate) fn failure_message(f: &Failure, timeout: Option<Duration>) -> String {
    match f {
        Failure::Timeout => format!(
            "AWS did not answer within {} seconds. Nothing was saved; try again. If it keeps happening, contact support@axiomio.com.",
            timeout.map(|t| t.as_secs()).unwrap_or(10)
        ),
        Failure::Unreachable => "Xops could not reach AWS STS. Nothing was saved; try again in a moment.".into(),
        Failure::NoCredentials => "The platform's AWS credentials are not configured, so Xops cannot verify roles yet. \
             This is on our side: contact support@axiomio.com."
            .into(),
        Failure::Service { code, message } => format!("AWS refused the check ({code}): {message}"),
    }
}

/// A member role that could not be assumed: the StackSet has not made it, or made another.
pub(crate) fn member_denied(arn: &RoleArn, principal: &str, external_id: &str) -> String {
    format!(
        "Xops could not assume {arn}. The role is missing in account {} (is the account under a target of the Xops \
         StackSet, and is its stack instance CURRENT?), or it does not trust {principal} with your External ID \
         {external_id}. Fix: deploy the member role with the StackSet (\"Deploy the member role\" on this page), wait \
         for the account's stack instance, then Retry failed.",
        arn.account_id()
    )
}

/// The user-facing error for a failed check of `arn`: cause and fix.
pub fn explain_failure(f: &Failure, arn: &RoleArn, principal: &str, external_id: &str) -> AppError {
    let Failure::Service { code, .. } = f else {
        return AppError::Upstream(failure_message(f, None));
    };
    match code.as_str() {
        "AccessDenied" => AppError::invalid(
            RoleArn::FIELD,
            format!(
                "Xops could not assume {arn}. AWS does not say why; it is one of: the role does not exist (was the \
                 stack created in account {account} and did it finish?), its trust policy does not trust the Xops \
                 principal {principal}, or it requires an External ID other than {external_id}. Fix: create the stack \
                 from the Xops template (it sets all three), wait for CREATE_COMPLETE, and copy the role ARN from the \
                 stack's Outputs tab.",
                account = arn.account_id()
            ),
        ),
        "RegionDisabledException" => AppError::invalid(
            RoleArn::FIELD,
            format!(
                "AWS STS is not activated in the region Xops uses for account {}. Activate it in IAM → Account \
                 settings → Security Token Service (STS), then Connect again.",
                arn.account_id()
            ),
        ),
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "UnrecognizedClientException" => AppError::Upstream(
            "AWS refused the Xops platform's own credentials, so no role can be checked right now. This is on our \
             side: contact support@axiomio.com."
                .into(),
        ),
        _ => AppError::Upstream(failure_message(f, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn() -> RoleArn {
        RoleArn::parse("arn:aws:iam::123456789012:role/Xops").unwrap_or_else(|e| panic!("{e}"))
    }

    fn service(code: &str) -> Failure {
        Failure::Service { code: code.into(), message: "denied".into() }
    }

    #[test]
    fn access_denied_names_the_three_causes_and_the_fix() {
        let err = explain_failure(&service("AccessDenied"), &arn(), "arn:aws:iam::999999999999:role/Xops", "xops-abc");
        let text = err.message_for("role_arn").unwrap_or_default();
        for part in ["does not exist", "arn:aws:iam::999999999999:role/Xops", "xops-abc", "Outputs tab"] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn platform_problems_are_not_blamed_on_the_customer() {
        for f in [service("InvalidClientTokenId"), Failure::NoCredentials, Failure::Timeout, Failure::Unreachable] {
            let err = explain_failure(&f, &arn(), "p", "x");
            assert!(matches!(err, AppError::Upstream(_)), "{f:?}");
            assert_eq!(err.field(), None);
        }
        let timeout = explain_failure(&Failure::Timeout, &arn(), "p", "x").to_string();
        assert!(timeout.contains("did not answer within"), "{timeout}");
    }

    #[test]
    fn a_disabled_region_says_how_to_enable_it() {
        let text = explain_failure(&service("RegionDisabledException"), &arn(), "p", "x").to_string();
        assert!(text.contains("Security Token Service"), "{text}");
    }
}
