//! The management account's organization page (`/accounts/:id/organization`): the tree of
//! units with what is under each, one unit's accounts a page at a time (1,000 accounts are
//! never all on the page), exclusions, Link accounts with its live progress, Retry failed, the
//! sync setting, and how to deploy the member role with the StackSet.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::actions::{
    aws_organization, LinkOrganizationAccounts, OrganizationView, ReadAwsOrganization,
    RetryFailedLinks, RunView, SetOrganizationAutoLink, SetOrganizationExclusion,
};
use super::tree::{AccountRow, Exclusion, Mark, UnitRow};
use crate::ui::{error_of, FieldError, FormError, Notice};

/// The button that changes a node's exclusion: (label, the exclusion it sets).
fn exclusion_toggle(own: Exclusion, excluded: bool) -> (&'static str, &'static str) {
    match (excluded, own) {
        (true, Exclusion::Excluded) => ("Include", Exclusion::Follows.as_str()),
        (true, Exclusion::Follows | Exclusion::Included) => ("Include", Exclusion::Included.as_str()),
        (false, _) => ("Exclude", Exclusion::Excluded.as_str()),
    }
}

fn mark_view(account: &AccountRow) -> AnyView {
    let (class, text) = match &account.mark {
        Mark::Management => ("status status-connected", "Management account (linked here)".to_string()),
        Mark::Linked(name) => ("status status-connected", format!("Linked here as \"{name}\"")),
        Mark::NotLinked if account.excluded => ("status", "Excluded".to_string()),
        Mark::NotLinked => ("status", "Not linked".to_string()),
        Mark::Inactive(state) => ("status status-warning", format!("{state}: cannot be linked")),
        Mark::Gone => ("status status-failed", "Left the organization".to_string()),
    };
    view! {
        <span class=class>{text}</span>
        {account.new.then(|| view! { " " <span class="status status-warning">"New"</span> })}
    }
    .into_any()
}

#[component]
pub fn OrganizationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let account_id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(-1);
    let unit = move || query.read().get("unit");
    let page = move || query.read().get("page").and_then(|p| p.parse::<usize>().ok());
    let read = ServerAction::<ReadAwsOrganization>::new();
    let link = ServerAction::<LinkOrganizationAccounts>::new();
    let retry = ServerAction::<RetryFailedLinks>::new();
    let exclusion = ServerAction::<SetOrganizationExclusion>::new();
    let auto_link = ServerAction::<SetOrganizationAutoLink>::new();
    let data = Resource::new(
        move || {
            let versions = [read.version().get(), link.version().get(), retry.version().get(), exclusion.version().get()];
            (account_id(), unit(), page(), versions, auto_link.version().get())
        },
        |(id, unit, page, ..)| aws_organization(id, unit, page),
    );
    let read_error = error_of(read);
    let link_error = error_of(link);
    let retry_error = error_of(retry);
    let exclusion_error = error_of(exclusion);
    let workspace: crate::accounts::workspace::WorkspaceResource = expect_context();
    view! {
        <Title text="AWS Organization" />
        <section class="page organization">
            <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / " <A href="/integrations/aws">"AWS"</A> " / Organization"</p>
            <h1>"AWS Organization"</h1>
            <Notice />
            <FormError error=read_error />
            <FormError error=link_error />
            <FieldError error=link_error field="selected" />
            <FormError error=retry_error />
            <FieldError error=retry_error field="selected" />
            <FormError error=exclusion_error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Reading, linking and excluding are for Admins and Owners; a Viewer sees the tree.
                    let may_change = workspace.may_change().await;
                    match data.await {
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                        Ok(org) => view! {
                            <Summary org=org.clone() read may_change />
                            {(org.read_at.is_some()).then(|| view! {
                                <LinkPanel org=org.clone() link auto_link may_change />
                                <Progress account_id=org.management_id unit=org.unit.as_ref().map(|u| u.id.clone()).unwrap_or_default() initial=org.run.clone() retry may_change />
                                <Tree org=org.clone() link exclusion may_change />
                                <StackSetSteps org />
                            })}
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Summary(org: OrganizationView, read: ServerAction<ReadAwsOrganization>, may_change: bool) -> impl IntoView {
    let label = if org.read_at.is_some() { "Read again" } else { "Read the organization" };
    view! {
        <p class="lead">
            "Management account " <strong>{org.management_name.clone()}</strong> " (" <code>{org.management_account.clone()}</code> ")"
            {(!org.aws_organization_id.is_empty()).then(|| view! { ", organization " <code>{org.aws_organization_id.clone()}</code> })}
            ". " {match &org.read_at {
                Some(at) => format!("Read from AWS Organizations {at}; read again every few hours."),
                None => "Xops has not read this organization yet: it lists the root, the organizational units and the accounts with the management role.".to_string(),
            }}
        </p>
        {(!org.read_error.is_empty()).then(|| view! { <p class="form-error" role="alert">"The last read failed: " {org.read_error.clone()}</p> })}
        {may_change.then(|| view! {
            <ActionForm action=read attr:class="inline-form">
                <input type="hidden" name="account_id" value=org.management_id />
                <button type="submit" class="btn" disabled=move || read.pending().get()>
                    {move || if read.pending().get() { "Reading…" } else { label }}
                </button>
            </ActionForm>
        })}
    }
}

#[component]
fn LinkPanel(
    org: OrganizationView,
    link: ServerAction<LinkOrganizationAccounts>,
    auto_link: ServerAction<SetOrganizationAutoLink>,
    may_change: bool,
) -> impl IntoView {
    let t = org.totals.clone();
    let tiles = [
        ("Accounts", t.accounts, "tile"),
        ("Linked", t.linked, "tile tile-connected"),
        ("Ready to link", t.eligible, "tile"),
        ("Not active", t.inactive, "tile tile-warning"),
        ("Excluded", t.excluded, "tile"),
        ("Left the organization", t.gone, "tile tile-failed"),
    ];
    let id = org.management_id;
    let unit = org.unit.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let new_unit = unit.clone();
    view! {
        <ul class="tiles">
            {tiles.into_iter().map(|(label, count, class)| view! {
                <li class=class><span class="tile-count">{count}</span> <span class="tile-label">{label}</span></li>
            }).collect_view()}
        </ul>
        {may_change.then(|| view! { <div class="form-actions">
            <ActionForm action=link attr:class="inline-form">
                <input type="hidden" name="account_id" value=id />
                <input type="hidden" name="scope" value="all" />
                <input type="hidden" name="unit" value=unit.clone() />
                <button type="submit" class="btn btn-primary" disabled=move || link.pending().get() || t.eligible == 0>
                    {format!("Link accounts ({})", t.eligible)}
                </button>
            </ActionForm>
            {(t.new > 0).then(move || view! {
                <ActionForm action=link attr:class="inline-form">
                    <input type="hidden" name="account_id" value=id />
                    <input type="hidden" name="scope" value="new" />
                    <input type="hidden" name="unit" value=new_unit />
                    <button type="submit" class="btn">{format!("Link new accounts ({})", t.new)}</button>
                </ActionForm>
            })}
            <ActionForm action=auto_link attr:class="inline-form">
                <input type="hidden" name="account_id" value=id />
                <label class="check">
                    <input type="checkbox" name="auto_link" value="on" checked=org.auto_link />
                    " Link new accounts automatically at each sync"
                </label>
                " " <button type="submit" class="btn btn-small">"Save"</button>
            </ActionForm>
        </div> })}
        <p class="hint">
            "Each account is verified as a single link is: Xops assumes "
            <code>{format!("arn:aws:iam::<account>:role/{}", org.member_role)}</code>
            " with your External ID, checks the account it answers as, and refuses a role that does not require the External ID."
        </p>
    }
}

/// The newest run: a progress bar with counts, live while it runs (the `LiveProgress` island;
/// without JavaScript the page refreshes itself), then the failures with Retry failed.
#[component]
fn Progress(account_id: i64, unit: String, initial: Option<RunView>, retry: ServerAction<RetryFailedLinks>, may_change: bool) -> impl IntoView {
    let unit = StoredValue::new(unit);
    initial.map(|r| {
            view! {
                <section class="run" aria-live="polite">
                    <h2>"Link accounts"</h2>
                    // Without JavaScript the page asks again by itself until the run is done. As
                    // markup, so that with JavaScript (which renders this too) the browser parses it
                    // as the text of a noscript and never refreshes a page that asks by itself.
                    {r.running.then(|| view! { <noscript inner_html=r#"<meta http-equiv="refresh" content="2">"# /> })}
                    <LiveProgress account_id initial=r.clone() />
                    {(!r.failures.is_empty()).then(|| view! {
                        <h3>"Failed"</h3>
                        <ul class="run-failures">
                            {r.failures.iter().map(|(id, name, message)| view! {
                                <li data-account=id.clone()><strong>{name.clone()}</strong> " " <code>{id.clone()}</code> <p class="status-cause">{message.clone()}</p></li>
                            }).collect_view()}
                        </ul>
                        {(!r.running && may_change).then(|| view! {
                            <ActionForm action=retry attr:class="inline-form">
                                <input type="hidden" name="account_id" value=account_id />
                                <input type="hidden" name="unit" value=unit.get_value() />
                                <button type="submit" class="btn btn-primary" disabled=move || retry.pending().get()>"Retry failed"</button>
                            </ActionForm>
                        })}
                    })}
                    {(!r.warnings.is_empty()).then(|| view! {
                        <h3>"Linked with a warning"</h3>
                        <ul class="run-failures">
                            {r.warnings.iter().map(|(id, name, message)| view! {
                                <li><strong>{name.clone()}</strong> " " <code>{id.clone()}</code> <p class="status-cause">{message.clone()}</p></li>
                            }).collect_view()}
                        </ul>
                    })}
                </section>
            }
        })
}

/// A run's progress bar and counts. While it runs they are asked for every second; when it is
/// done the page is loaded again, to show its outcome and the tree as it now is.
#[island]
fn LiveProgress(account_id: i64, initial: RunView) -> impl IntoView {
    let run = RwSignal::new(initial);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if run.with(|r| r.running) {
            // Were the timer refused, the page would still be right after a reload.
            let _ = set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        use leptos::server_fn::ServerFn;
                        let path = <super::actions::OrganizationProgress as ServerFn>::PATH;
                        match crate::islands::call_server::<Option<RunView>>(path, &format!("account_id={account_id}")).await {
                            Some(Some(now)) if now.running => run.set(now),
                            Some(_) => {
                                let _ = window().location().reload();
                            }
                            // Asked again a second later.
                            None => run.update(|_| ()),
                        }
                    })
                },
                std::time::Duration::from_secs(1),
            );
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = account_id;
    move || {
        run.with(|r| {
            let status = if r.running {
                format!("Linking: {} of {} checked ({} linked, {} with a warning, {} failed)", r.done, r.total, r.linked, r.warning, r.failed)
            } else {
                format!("Last run ({}, by {}): {} linked, {} with a warning, {} failed", r.started_at, r.started_by, r.linked, r.warning, r.failed)
            };
            view! {
                <progress max=r.total value=r.done aria-label="Accounts checked">{format!("{} of {}", r.done, r.total)}</progress>
                <p class="run-status" role="status">{status}</p>
            }
        })
    }
}

#[component]
fn Tree(
    org: OrganizationView,
    link: ServerAction<LinkOrganizationAccounts>,
    exclusion: ServerAction<SetOrganizationExclusion>,
    may_change: bool,
) -> impl IntoView {
    let id = org.management_id;
    let shown = org.unit.clone();
    let shown_id = shown.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let unit_row = {
        let shown_id = shown_id.clone();
        move |u: UnitRow| {
            let (label, value) = exclusion_toggle(u.own, u.excluded);
            let current = u.id == shown_id;
            let back_to = shown_id.clone();
            view! {
                <li class=format!("unit depth-{}", u.depth.min(6)) class:excluded=u.excluded>
                    <a href=format!("/accounts/{id}/organization?unit={}", u.id) aria-current=current.then_some("page")>{u.name.clone()}</a>
                    " " <code>{u.id.clone()}</code>
                    <span class="hint">{format!(" {} accounts, {} linked, {} ready{}", u.accounts, u.linked, u.eligible, if u.excluded { ", excluded" } else { "" })}</span>
                    {may_change.then(|| view! {
                        <ActionForm action=exclusion attr:class="inline-form">
                            <input type="hidden" name="account_id" value=id />
                            <input type="hidden" name="node_id" value=u.id.clone() />
                            <input type="hidden" name="exclusion" value=value />
                            <input type="hidden" name="unit" value=back_to />
                            <button type="submit" class="btn btn-small" aria-label=format!("{label} {}", u.name)>{label}</button>
                        </ActionForm>
                    })}
                </li>
            }
        }
    };
    let pages = org.unit_accounts.div_ceil(super::tree::ACCOUNTS_PER_PAGE);
    let pager = (pages > 1).then(|| {
        let links = (1..=pages)
            .map(|p| view! { <a href=format!("/accounts/{id}/organization?unit={shown_id}&page={p}")>{p}</a> " " })
            .collect_view();
        view! { <p class="hint">{format!("Page {} of {pages}: ", org.page)} {links}</p> }
    });
    let account_row = |a: AccountRow| {
        let (label, value) = exclusion_toggle(a.own, a.excluded);
        let back_to = shown_id.clone();
        let (node_id, aria) = (a.id.clone(), format!("{label} {}", a.name));
        let action = (a.mark != Mark::Management && may_change).then(move || view! {
            <ActionForm action=exclusion attr:class="inline-form">
                <input type="hidden" name="account_id" value=id />
                <input type="hidden" name="node_id" value=node_id />
                <input type="hidden" name="exclusion" value=value />
                <input type="hidden" name="unit" value=back_to />
                <button type="submit" class="btn btn-small" aria-label=aria>{label}</button>
            </ActionForm>
        });
        view! {
            <tr data-account=a.id.clone()>
                <td>{(a.eligible() && may_change).then(|| view! {
                    <input type="checkbox" form="link-selected" name="selected[]" value=a.id.clone() aria-label=format!("Link {}", a.name) />
                })}</td>
                <td>{a.name.clone()}</td>
                <td><code>{a.id.clone()}</code></td>
                <td>{mark_view(&a)}</td>
                <td>{action}</td>
            </tr>
        }
    };
    let empty = org.accounts.is_empty();
    let rows = org.accounts.into_iter().map(account_row).collect_view();
    let units = org.units.into_iter().map(unit_row).collect_view();
    let heading = shown.as_ref().map(|u| format!("Accounts directly in {}", u.name));
    view! {
        <h2>"Organization"</h2>
        <div class="org-tree">
            <ul class="units" aria-label="Organizational units">{units}</ul>
            <div class="unit-accounts">
                <h3>{heading}</h3>
                {may_change.then(|| view! {
                    <ActionForm action=link attr:class="inline-form" attr:id="link-selected">
                        <input type="hidden" name="account_id" value=id />
                        <input type="hidden" name="scope" value="selected" />
                        <input type="hidden" name="unit" value=shown_id.clone() />
                        <button type="submit" class="btn btn-small" disabled=move || link.pending().get()>"Link selected"</button>
                    </ActionForm>
                })}
                {pager}
                <table class="accounts">
                    <thead><tr><th scope="col">"Link"</th><th scope="col">"Name"</th><th scope="col">"Account ID"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                {empty.then(|| view! { <p class="muted">"No account directly in this unit."</p> })}
            </div>
        </div>
    }
}

/// How to give every member account the role at once: a service-managed StackSet in the
/// management account's stack, aimed at the root or units chosen here.
#[component]
fn StackSetSteps(org: OrganizationView) -> impl IntoView {
    view! {
        <h2>"Deploy the member role"</h2>
        <ol class="steps">
            <li>"Once per organization: in the management account, open CloudFormation → StackSets and choose "
                <strong>"Activate trusted access"</strong> " (AWS Organizations trusts CloudFormation StackSets)."</li>
            <li>"Choose where the role goes, and download the management template with them:"
                <form method="get" action="/aws/templates/management.yaml" class="form targets">
                    {org.units.iter().map(|u| view! {
                        <label class=format!("check depth-{}", u.depth.min(6))>
                            <input type="checkbox" name="targets" value=u.id.clone() checked=u.is_root />
                            " " {u.name.clone()} " " <code>{u.id.clone()}</code>
                        </label>
                    }).collect_view()}
                    <button type="submit" class="btn">"Download template"</button>
                </form>
            </li>
            <li>"Update the stack " <strong>{crate::domain::AwsKind::Management.stack_name()}</strong>
                " with it (Update → Replace current template → Upload a template file). Keep ExternalId ("
                <code>{org.external_id.clone()}</code> "); MemberTargets holds what you chose. Acknowledge that it creates IAM resources."</li>
            <li>"CloudFormation creates the StackSet " <strong>"Xops-Member-Accounts"</strong> ": the role "
                <code>{org.member_role.clone()}</code> " in every account under those targets, and in each account that joins them later. When its stack instances are CURRENT, choose "
                <strong>"Link accounts"</strong> " above."</li>
        </ol>
    }
}
