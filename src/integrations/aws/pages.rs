use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::link::{load_aws_setup, AwsSetup, LinkAwsAccount};
use crate::accounts::workspace::with_workspace;
use crate::domain::{AwsKind, Card};
use crate::integrations::list::CardAccounts;
use crate::integrations::marks::provider_mark;
use crate::ui::{dialog_link, error_of, here, typed, Dialog, DialogRequest, FieldError, FormError, Notice, Submit};

/// The AWS card: its accounts, and Add Account, which opens Select AWS Account Type.
#[component]
pub fn AwsPage() -> impl IntoView {
    let here = StoredValue::new(here());
    view! {
        <Title text="AWS" />
        <section class="page">
            <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / AWS (Amazon Web Services)"</p>
            <div class="page-head">
                <h1>"AWS (Amazon Web Services)"</h1>
                {with_workspace(move |ws| ws.may_change().then(|| dialog_link(DialogRequest::AccountType, &here.get_value(), "Add Account", "btn btn-primary")))}
            </div>
            <Notice />
            <h2>"AWS accounts"</h2>
            <CardAccounts card=Card::Aws />
        </section>
    }
}

/// The guide's "Select AWS Account Type" window: Management Account, or Linked Account once a
/// management account is linked. The link form then leads back to the page it was opened on.
#[component]
pub fn AccountTypeDialog() -> impl IntoView {
    // Opened on the selection page, it leads back to where Add Cloud Account was chosen.
    let began = crate::onboarding::landing::began_on(leptos_router::hooks::use_query_map().get_untracked().get("from"));
    let here = StoredValue::new(began.unwrap_or_else(here));
    view! {
        <Dialog request=DialogRequest::AccountType title="Select AWS Account Type".into()>
            {with_workspace(move |ws| {
                // The form leads back here, except on the first link (from the first-login
                // selection): that user goes on to the new account's card.
                let from = if ws.total_accounts() > 0 { format!("?from={}", crate::domain::percent_encode(&here.get_value())) } else { String::new() };
                let has_management =
                    ws.accounts_of(Card::Aws).iter().any(|a| a.kind.aws() == Some(AwsKind::Management));
                let linked = if has_management {
                    view! {
                        <a href=format!("/integrations/aws/link/linked{from}") class="platform-card">
                            {provider_mark(Card::Aws)}
                            <span class="card-title">"Linked Account"</span>
                            <span class="card-blurb">"A member (child) account of your AWS Organization."</span>
                        </a>
                    }
                        .into_any()
                } else {
                    view! {
                        <div class="platform-card disabled" aria-disabled="true">
                            {provider_mark(Card::Aws)}
                            <span class="card-title">"Linked Account"</span>
                            <span class="card-blurb">"Link a management account first."</span>
                        </div>
                    }
                        .into_any()
                };
                view! {
                    <div class="card-grid card-grid-two">
                        <a href=format!("/integrations/aws/link/management{from}") class="platform-card">
                            {provider_mark(Card::Aws)}
                            <span class="card-title">"Management Account"</span>
                            <span class="card-blurb">"The account that owns your AWS Organization (payer account)."</span>
                        </a>
                        {linked}
                    </div>
                }
            })}
        </Dialog>
    }
}

/// Link a New AWS Account, for a management or a linked account.
#[component]
pub fn LinkAwsPage() -> impl IntoView {
    let params = use_params_map();
    let kind = move || params.read().get("kind").and_then(|k| AwsKind::parse(&k)).filter(|k| *k != AwsKind::Eks);
    move || {
        match kind() {
        None => view! { <section class="page"><h1>"Page not found"</h1><p>"There is no such AWS account type."</p></section> }
            .into_any(),
        Some(kind) => view! {
            <Title text="Link a New AWS Account" />
            <section class="page">
                <p class="breadcrumb">
                    <A href="/integrations">"Integrations"</A> " / " <A href="/integrations/aws">"AWS"</A> " / " {kind.label()}
                </p>
                <h1>"Link a New AWS Account"</h1>
                <p class="lead">{kind.label()}</p>
                <crate::accounts::workspace::ForChangers doing="link accounts"><LinkAwsForm kind /></crate::accounts::workspace::ForChangers>
                <crate::accounts::workspace::SupportContact />
            </section>
        }
        .into_any(),
    }
    }
}

/// The EKS card: Link a New AWS Account for EKS, and the EKS accounts already linked.
#[component]
pub fn EksPage() -> impl IntoView {
    view! {
        <Title text="EKS" />
        <section class="page">
            <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / EKS"</p>
            <h1>"Link a New AWS Account"</h1>
            <p class="lead">"EKS: Xops reads your Amazon EKS clusters through a read-only role."</p>
            <Notice />
            <crate::accounts::workspace::ForChangers doing="link accounts"><LinkAwsForm kind=AwsKind::Eks /></crate::accounts::workspace::ForChangers>
            <crate::accounts::workspace::SupportContact />
            <h2>"EKS accounts"</h2>
            <CardAccounts card=Card::Eks />
        </section>
    }
}

#[component]
fn LinkAwsForm(kind: AwsKind) -> impl IntoView {
    let action = ServerAction::<LinkAwsAccount>::new();
    let error = error_of(action);
    let setup = Resource::new(move || (), move |_| load_aws_setup(kind.as_str().to_string()));
    view! {
        <div class="link-layout">
            <section class="panel">
                <ActionForm action attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <input type="hidden" name="return_to" value=typed("from") />
                    <label for="name">"AWS Account Name"</label>
                    <input id="name" name="name" type="text" maxlength="64" required placeholder="e.g. Production" value=typed("name") />
                    <FieldError error field="name" />
                    <label for="role_arn">"AWS Role ARN"</label>
                    <input
                        id="role_arn"
                        name="role_arn"
                        type="text"
                        required
                        spellcheck="false"
                        autocomplete="off"
                        placeholder="arn:aws:iam::123456789012:role/XopsReadOnlyAccess"
                        value=typed("role_arn")
                    />
                    <FieldError error field="role_arn" />
                    <FormError error />
                    <Submit label="Connect" busy="Verifying with AWS…" />
                </ActionForm>
            </section>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match setup.await {
                        Ok(setup) => guidance(kind, setup).into_any(),
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The information ("i") button and the step-by-step setup it opens.
fn guidance(kind: AwsKind, setup: AwsSetup) -> impl IntoView {
    let account = match kind {
        AwsKind::Management => "your AWS Organization's management account",
        AwsKind::Linked => "the linked (member) account",
        AwsKind::Eks => "the account that runs your EKS clusters",
    };
    let permissions = match kind {
        AwsKind::Management => "Read-only: the SecurityAudit and ViewOnlyAccess managed policies, plus reading AWS Organizations, billing and Cost Explorer.",
        AwsKind::Linked => "Read-only: the SecurityAudit and ViewOnlyAccess managed policies.",
        AwsKind::Eks => "Read-only: the SecurityAudit and ViewOnlyAccess managed policies, plus eks:ListClusters and eks:DescribeCluster.",
    };
    view! {
        <aside class="panel setup">
            <div class="external-id">
                <label for="external_id">"Your External ID"</label>
                <div class="copy-row">
                    <input id="external_id" type="text" readonly value=setup.external_id.clone() />
                    <crate::islands::CopyButton text=setup.external_id.clone() />
                </div>
                <p class="hint">"Every role you create for Xops must require this External ID. The template sets it for you."</p>
            </div>
            <details class="guidance">
                // The guide's Information ("i") button: a disclosure, so it works without JavaScript too.
                <summary role="button">
                    <span class="info-button" aria-hidden="true">"i"</span>
                    <span class="visually-hidden">"Information: "</span>
                    "Setup instructions"
                </summary>
                <ol>
                    <li>{format!("Sign in to the AWS Management Console of {account}.")}</li>
                    <li>
                        "Create the Cloud Formation stack: "
                        <a href=setup.launch_stack_url.clone() target="_blank" rel="noopener noreferrer">"Launch Stack"</a>
                        " opens the AWS console's quick-create page with the template and your External ID filled in. Or "
                        <a href=format!("/aws/templates/{}", kind.template_file()) download="">"download the CloudFormation template"</a>
                        " and create a stack from it (CloudFormation → Create stack → Upload a template file)."
                    </li>
                    <li>"Acknowledge that the stack creates an IAM role, create it, and wait until its status is CREATE_COMPLETE."</li>
                    <li>"Open the stack's " <strong>"Outputs"</strong> " tab and copy the " <strong>"RoleArn"</strong> " value."</li>
                    <li>"Come back here, enter an " <strong>"AWS Account Name"</strong> ", paste the " <strong>"AWS Role ARN"</strong> " and click " <strong>"Connect"</strong> "."</li>
                </ol>
                <p class="hint">{permissions}</p>
                {match setup.principal {
                    Ok(principal) => view! { <p class="hint">"The role trusts only the Xops principal " <code>{principal}</code> ", and only with your External ID."</p> }.into_any(),
                    Err(why) => view! { <p class="form-error">{why}</p> }.into_any(),
                }}
            </details>
        </aside>
    }
}

