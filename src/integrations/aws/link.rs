//! Linking an AWS or EKS role (verified against STS before it is saved), checking it again,
//! and the CloudFormation template download that creates it.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::template;
#[cfg(feature = "ssr")]
use crate::domain::AwsKind;
use crate::error::AppError;

/// What the linking page shows beside the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwsSetup {
    pub external_id: String,
    pub has_management: bool,
    /// The principal the role must trust, or why it is unknown.
    pub principal: Result<String, String>,
    pub template_url: String,
    pub launch_stack_url: String,
}

#[server(endpoint = "aws_setup")]
pub async fn load_aws_setup(kind: String) -> Result<AwsSetup, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let kind = AwsKind::parse(&kind).ok_or_else(|| AppError::NotFound("There is no such AWS account type.".into()))?;
    let external_id = external_id(&state.pool, user.organization_id).await?;
    let has_management = !management_roles(&state.pool, user.organization_id).await?.is_empty();
    let principal = state.aws.principal_arn().await.map_err(|e| e.to_string());
    let template_url = format!("{}/aws/templates/{}", state.config.public_url, kind.template_file());
    let launch_stack_url = format!(
        "https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate?templateURL={}&stackName={}&param_ExternalId={}",
        crate::domain::percent_encode(&template_url),
        kind.stack_name(),
        crate::domain::percent_encode(&external_id)
    );
    Ok(AwsSetup { external_id, has_management, principal, template_url, launch_stack_url })
}

/// Verifies the role and, only if AWS confirms it, links the account.
#[server(endpoint = "link_aws_account")]
pub async fn link_aws_account(
    kind: String,
    name: String,
    role_arn: String,
    return_to: Option<String>,
) -> Result<(), AppError> {
    let from = return_to.clone().unwrap_or_default();
    let kept = [("name", name.as_str()), ("role_arn", role_arn.as_str()), ("from", from.as_str())];
    let result = link_aws_account_inner(kind, &name, &role_arn, return_to.as_deref()).await;
    crate::server::keep_typed::<LinkAwsAccount>(&result, &kept);
    result
}

#[cfg(feature = "ssr")]
async fn link_aws_account_inner(kind: String, name: &str, role_arn: &str, return_to: Option<&str>) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let (id, status) = link(&state, user.organization_id, &user.actor().await, &kind, name, role_arn).await?;
    crate::integrations::linking::finish_saved(&session, id, status, kind_provider(&kind), return_to).await
}

#[cfg(feature = "ssr")]
fn kind_provider(kind: &str) -> crate::domain::Provider {
    AwsKind::parse(kind).map_or(crate::domain::Provider::Aws, AwsKind::provider)
}

/// Links an AWS or EKS account (the page's form and the API): verifies the role with the
/// organization's External ID and, only if AWS confirms it, saves it with its audit row by
/// `actor`; returns its id and status.
#[cfg(feature = "ssr")]
pub async fn link(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    kind: &str,
    name: &str,
    role_arn: &str,
) -> Result<(i64, crate::domain::AccountStatus), AppError> {
    use crate::accounts::store::{Credentials, NewAccount};
    use crate::integrations::linking;
    use crate::domain::{AccountKind, AccountName, RoleArn};
    let kind = AwsKind::parse(kind)
        .ok_or_else(|| AppError::BadRequest("Choose Management Account or Linked Account.".into()))?;
    let name = AccountName::parse(name)?;
    let arn = RoleArn::parse(role_arn)?;

    let management = management_roles(&state.pool, org).await?;
    if kind == AwsKind::Linked && management.is_empty() {
        return Err(AppError::Refused(
            "Link a management account first: a linked account is checked against its management account's AWS Organization.".into(),
        ));
    }
    linking::ensure_new(&state.pool, org, kind.provider(), &name, arn.account_id(), |existing| {
        AppError::conflict(
            RoleArn::FIELD,
            format!("AWS account {} is already linked as \"{existing}\".", arn.account_id()),
        )
    })
    .await?;

    let external_id = external_id(&state.pool, org).await?;
    let management = (kind == AwsKind::Linked).then_some(management.as_slice());
    let started = std::time::Instant::now();
    let verified = match state.aws.verify(&arn, &external_id, management, crate::domain::Check::Link).await {
        Ok(verified) => verified,
        Err(err) => {
            let what = format!("\"{name}\" ({})", arn.account_id());
            linking::audit_refusal(&state.pool, actor, kind.provider(), &what, &err).await;
            return Err(err);
        }
    };

    let arn_text = arn.to_string();
    let account = NewAccount {
        kind: AccountKind::Aws(kind),
        name: name.as_str(),
        external_account_id: arn.account_id(),
        credentials: Credentials::AwsRole { role_arn: &arn_text },
        verified: &verified,
    };
    let detail =
        format!("{} \"{name}\" ({}) linked, status {}", kind.label(), arn.account_id(), verified.status.as_str());
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    let id = linking::save(&mut tx, state, org, &account, started, actor, &detail).await?;
    tx.commit().await?;
    Ok((id, verified.status))
}

/// Runs the verification of an existing AWS or EKS account again.
#[cfg(feature = "ssr")]
pub async fn reverify(
    state: &crate::server::AppState,
    organization_id: i64,
    kind: AwsKind,
    role_arn: &str,
) -> Result<crate::domain::Verified, AppError> {
    let arn = crate::domain::RoleArn::parse(role_arn)?;
    let external_id = external_id(&state.pool, organization_id).await?;
    let management = management_roles(&state.pool, organization_id).await?;
    let management = (kind == AwsKind::Linked).then_some(management.as_slice());
    state.aws.verify(&arn, &external_id, management, crate::domain::Check::Recheck).await
}

#[cfg(feature = "ssr")]
pub(crate) async fn external_id(pool: &crate::server::Pool, organization_id: i64) -> Result<String, AppError> {
    crate::auth::store::external_id(pool, organization_id).await
}

/// The organization's management accounts' roles, oldest first.
#[cfg(feature = "ssr")]
async fn management_roles(
    pool: &crate::server::Pool,
    organization_id: i64,
) -> Result<Vec<crate::domain::RoleArn>, AppError> {
    let arns = crate::accounts::store::role_arns_of_kind(pool, organization_id, AwsKind::Management).await?;
    Ok(arns.iter().filter_map(|a| crate::domain::RoleArn::parse(a).ok()).collect())
}

/// GET /aws/templates/{file}: the CloudFormation template. Signed in, the organization's
/// External ID is filled in; fetched by AWS for a quick-create, it is a required parameter.
#[cfg(feature = "ssr")]
pub async fn template_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    session: tower_sessions::Session,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Some(kind) = AwsKind::from_template_file(&file) else {
        return AppError::NotFound("There is no such template.".into()).into_response();
    };
    // The management template's StackSet targets, as the organization page's form sends them.
    let targets: Vec<String> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "targets")
        .map(|(_, value)| value.into_owned())
        .collect();
    if targets.iter().any(|t| !template::is_target_id(t)) {
        return AppError::invalid("targets", "Each target must be an organization root or OU id (r-… or ou-…-…).").into_response();
    }
    let external_id = match crate::auth::session::current(&session, &state).await {
        Ok(Some(user)) => match external_id(&state.pool, user.organization_id).await {
            Ok(id) => Some(id),
            Err(err) => return err.into_response(),
        },
        Ok(None) => None,
        Err(err) => return err.into_response(),
    };
    let principal = match state.aws.principal_arn().await {
        Ok(p) => p,
        // AWS's own words are for signed-in users; anyone else learns only that it failed.
        Err(err) if external_id.is_some() => return err.into_response(),
        Err(_) => {
            return AppError::Upstream("The template cannot be made right now. Try again in a few minutes.".into())
                .into_response()
        }
    };
    let body = template::render(kind, &principal, external_id.as_deref(), &targets);
    (
        [
            (header::CONTENT_TYPE, "application/x-yaml; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"xops-{}\"", kind.template_file())),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}
