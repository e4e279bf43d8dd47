//! AWS and EKS: link a cross-account role (verified against STS before it is saved), the
//! CloudFormation templates that create it, and re-testing it later.
mod pages;
#[cfg(feature = "ssr")]
pub mod sts;
#[cfg(feature = "ssr")]
pub mod template;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use pages::{AwsPage, EksPage, LinkAwsPage};

/// Which account a role gives Xops: an AWS Organization's management account, one of its
/// member (linked) accounts, or an account whose EKS clusters Xops reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AwsKind {
    Management,
    Linked,
    Eks,
}

impl AwsKind {
    pub fn parse(s: &str) -> Option<AwsKind> {
        match s {
            "management" => Some(AwsKind::Management),
            "linked" => Some(AwsKind::Linked),
            "eks" => Some(AwsKind::Eks),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AwsKind::Management => "management",
            AwsKind::Linked => "linked",
            AwsKind::Eks => "eks",
        }
    }

    /// The provider and kind columns of the account row.
    pub fn provider_and_kind(self) -> (&'static str, &'static str) {
        match self {
            AwsKind::Management => ("aws", "management"),
            AwsKind::Linked => ("aws", "linked"),
            AwsKind::Eks => ("eks", ""),
        }
    }

    pub fn template_file(self) -> &'static str {
        match self {
            AwsKind::Management => "management.yaml",
            AwsKind::Linked => "linked.yaml",
            AwsKind::Eks => "eks.yaml",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AwsKind::Management => "Management Account",
            AwsKind::Linked => "Linked Account",
            AwsKind::Eks => "EKS",
        }
    }

    /// Where the user returns after linking.
    pub fn home(self) -> &'static str {
        match self {
            AwsKind::Eks => "/integrations/eks",
            _ => "/integrations/aws",
        }
    }
}

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
    let stack = template::TemplateKind::from_file(kind.template_file()).map(|t| t.stack_name()).unwrap_or("Xops");
    let launch_stack_url = format!(
        "https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate?templateURL={}&stackName={}&param_ExternalId={}",
        crate::domain::percent_encode(&template_url),
        stack,
        crate::domain::percent_encode(&external_id)
    );
    Ok(AwsSetup { external_id, has_management, principal, template_url, launch_stack_url })
}

/// Verifies the role and, only if AWS confirms it, links the account.
#[server(endpoint = "link_aws_account")]
pub async fn link_aws_account(kind: String, name: String, role_arn: String) -> Result<(), AppError> {
    let kept = [("name", name.as_str()), ("role_arn", role_arn.as_str())];
    let result = link_aws_account_inner(kind, &name, &role_arn).await;
    crate::server::keep_typed::<LinkAwsAccount>(&result, &kept);
    result
}

#[cfg(feature = "ssr")]
async fn link_aws_account_inner(kind: String, name: &str, role_arn: &str) -> Result<(), AppError> {
    use crate::domain::{AccountName, RoleArn};
    let (state, session, user) = crate::auth::session::require_user().await?;
    let kind = AwsKind::parse(&kind)
        .ok_or_else(|| AppError::BadRequest("Choose Management Account or Linked Account.".into()))?;
    let name = AccountName::parse(&name)?;
    let arn = RoleArn::parse(&role_arn)?;
    let org = user.organization_id;
    let (provider, kind_column) = kind.provider_and_kind();

    let management = management_roles(&state.pool, org).await?;
    if kind == AwsKind::Linked && management.is_empty() {
        return Err(AppError::BadRequest(
            "Link a management account first: a linked account is checked against its management account's AWS Organization.".into(),
        ));
    }
    crate::accounts::ensure_name_free(&state.pool, org, provider, &name, None).await?;
    if let Some(existing) = crate::accounts::linked_as(&state.pool, org, provider, arn.account_id()).await? {
        return Err(AppError::conflict(
            RoleArn::FIELD,
            format!("AWS account {} is already linked as \"{existing}\".", arn.account_id()),
        ));
    }

    let external_id = external_id(&state.pool, org).await?;
    let management = (kind == AwsKind::Linked).then_some(management.as_slice());
    let verified = state.aws.verify(&arn, &external_id, management).await?;

    let arn_text = arn.to_string();
    let account = crate::accounts::NewAccount {
        provider,
        kind: kind_column,
        name: name.as_str(),
        external_account_id: arn.account_id(),
        role_arn: &arn_text,
        app_id: "",
        domain: "",
        status: verified.status,
        status_message: &verified.message,
    };
    let id = crate::accounts::insert_account(&state.pool, org, &account).await?;

    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    let detail =
        format!("{} \"{name}\" ({}) linked, status {}", kind.label(), arn.account_id(), verified.status.as_str());
    crate::audit::record(&state.pool, &actor, "link_account", &detail).await;
    crate::accounts::make_current(&session, id).await?;
    let notice = if verified.status == crate::accounts::AccountStatus::Connected { "linked" } else { "linked-warning" };
    leptos_axum::redirect(&format!("{}?notice={notice}", kind.home()), false);
    Ok(())
}

/// Runs the verification of an existing AWS or EKS account again.
#[cfg(feature = "ssr")]
pub async fn reverify(
    state: &crate::server::AppState,
    organization_id: i64,
    kind: AwsKind,
    role_arn: &str,
) -> Result<sts::Verified, AppError> {
    let arn = crate::domain::RoleArn::parse(role_arn)?;
    let external_id = external_id(&state.pool, organization_id).await?;
    let management = management_roles(&state.pool, organization_id).await?;
    let management = (kind == AwsKind::Linked).then_some(management.as_slice());
    state.aws.verify(&arn, &external_id, management).await
}

#[cfg(feature = "ssr")]
async fn external_id(pool: &sqlx::SqlitePool, organization_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT external_id FROM organizations WHERE id = ?")
        .bind(organization_id)
        .fetch_one(pool)
        .await?)
}

#[cfg(feature = "ssr")]
async fn management_roles(
    pool: &sqlx::SqlitePool,
    organization_id: i64,
) -> Result<Vec<crate::domain::RoleArn>, AppError> {
    let arns: Vec<String> = sqlx::query_scalar(
        "SELECT role_arn FROM cloud_accounts WHERE organization_id = ? AND provider = 'aws' AND kind = 'management' ORDER BY id",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?;
    Ok(arns.iter().filter_map(|a| crate::domain::RoleArn::parse(a).ok()).collect())
}

/// GET /aws/templates/{file}: the CloudFormation template. Signed in, the organization's
/// External ID is filled in; fetched by AWS for a quick-create, it is a required parameter.
#[cfg(feature = "ssr")]
pub async fn template_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    session: tower_sessions::Session,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Some(kind) = template::TemplateKind::from_file(&file) else {
        return AppError::NotFound("There is no such template.".into()).into_response();
    };
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
        Err(err) => return err.into_response(),
    };
    let body = template::render(kind, &principal, external_id.as_deref());
    (
        [
            (header::CONTENT_TYPE, "application/x-yaml; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"xops-{}\"", kind.file())),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}
