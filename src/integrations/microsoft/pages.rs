use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::certificates::{load_certificate_info, GenerateCertificate};
use super::federated::{load_federated_values, AddCredentialSteps, FederatedValuesView, ShowFederatedValues};
use super::link::LinkMicrosoftAccount;
use super::subscriptions::{azure_management_groups, azure_subscriptions, RefreshAzureSubscriptions, SubscriptionRow, UpdateAzureSubscriptions};
use crate::domain::{Card, MsService};
use crate::integrations::list::CardAccounts;
use crate::ui::{dialog_link, error_of, here, typed, DialogRequest, FieldError, FormError, Notice, Submit};

/// The Azure card: Link a New Azure Account, and the Azure accounts already linked.
#[component]
pub fn AzurePage() -> impl IntoView {
    view! {
        <Title text="Azure" />
        <section class="page">
            <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / Azure"</p>
            <h1>"Link a New Azure Account"</h1>
            <Notice />
            <crate::accounts::workspace::ForChangers doing="link accounts"><MsLinkForm service=MsService::Azure /></crate::accounts::workspace::ForChangers>
            <crate::accounts::workspace::SupportContact />
            <h2>"Azure accounts"</h2>
            <CardAccounts card=Card::Azure />
        </section>
    }
}

/// The Microsoft card: M365 or Entra ID, and the Microsoft accounts already linked.
#[component]
pub fn MicrosoftPage() -> impl IntoView {
    view! {
        <Title text="Microsoft" />
        <section class="page">
            <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / Microsoft"</p>
            <h1>"Microsoft"</h1>
            <Notice />
            <div class="card-grid">
                <A href="/integrations/microsoft/m365" attr:class="platform-card">
                    {crate::integrations::marks::provider_mark(Card::Microsoft)}
                    <span class="card-title">"M365"</span>
                    <span class="card-blurb">"Microsoft 365 (Exchange Online) through an app with Exchange.ManageAsApp."</span>
                </A>
                <A href="/integrations/microsoft/entra" attr:class="platform-card">
                    {crate::integrations::marks::provider_mark(Card::Microsoft)}
                    <span class="card-title">"Entra ID"</span>
                    <span class="card-blurb">"Microsoft Entra ID through an app with AccessReview.Read.All."</span>
                </A>
            </div>
            <h2>"Microsoft accounts"</h2>
            <CardAccounts card=Card::Microsoft />
        </section>
    }
}

/// Link a New Microsoft Account, for M365 or Entra ID.
#[component]
pub fn LinkMicrosoftPage() -> impl IntoView {
    let params = use_params_map();
    let service =
        move || params.read().get("service").and_then(|s| MsService::parse(&s)).filter(|s| s.provider().card() == Card::Microsoft);
    move || {
        match service() {
        None => view! { <section class="page"><h1>"Page not found"</h1><p>"There is no such Microsoft service."</p></section> }.into_any(),
        Some(service) => view! {
            <Title text="Link a New Microsoft Account" />
            <section class="page">
                <p class="breadcrumb">
                    <A href="/integrations">"Integrations"</A> " / " <A href="/integrations/microsoft">"Microsoft"</A> " / " {service.label()}
                </p>
                <h1>"Link a New Microsoft Account"</h1>
                <p class="lead">{service.label()}</p>
                <crate::accounts::workspace::ForChangers doing="link accounts"><MsLinkForm service /></crate::accounts::workspace::ForChangers>
                <crate::accounts::workspace::SupportContact />
            </section>
        }
        .into_any(),
    }
    }
}

#[component]
fn MsLinkForm(service: MsService) -> impl IntoView {
    let generate = ServerAction::<GenerateCertificate>::new();
    let show_values = ServerAction::<ShowFederatedValues>::new();
    let link = ServerAction::<LinkMicrosoftAccount>::new();
    let generate_error = error_of(generate);
    let show_values_error = error_of(show_values);
    let link_error = error_of(link);
    let query = use_query_map();
    let certificate_id = move || query.read().get("certificate").and_then(|c| c.parse::<i64>().ok());
    let certificate = Resource::new(certificate_id, |id| async move {
        match id {
            Some(id) => load_certificate_info(id).await.ok(),
            None => None,
        }
    });
    let download_requested = move || query.read().get("download").as_deref() == Some("1");
    let federated = move || query.read().get("signs_in").as_deref() == Some("federated");
    let subject_id = move || query.read().get("subject").and_then(|c| c.parse::<i64>().ok());
    let values = Resource::new(subject_id, |id| async move {
        match id {
            Some(id) => load_federated_values(id).await.ok(),
            None => None,
        }
    });
    view! {
        <div class="link-layout">
            <section class="panel">
                <ActionForm action=link attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="service" value=service.as_str() />
                    <input type="hidden" name="certificate_id" value=move || certificate_id().map(|id| id.to_string()).unwrap_or_default() />
                    <input type="hidden" name="subject_id" value=move || subject_id().map(|id| id.to_string()).unwrap_or_default() />
                    <label for="name">"Friendly name"</label>
                    <input id="name" name="name" type="text" maxlength="64" required placeholder="e.g. Contoso production" value=typed("name") />
                    <FieldError error=link_error field="name" />
                    <label for="app_id">"App ID"</label>
                    <input id="app_id" name="app_id" type="text" required spellcheck="false" autocomplete="off" placeholder="Application (client) ID" value=typed("app_id") />
                    <FieldError error=link_error field="app_id" />
                    <label for="tenant_id">"Tenant ID"</label>
                    <input id="tenant_id" name="tenant_id" type="text" required spellcheck="false" autocomplete="off" placeholder="Directory (tenant) ID" value=typed("tenant_id") />
                    <FieldError error=link_error field="tenant_id" />
                    {service.asks_organization_id().then(|| view! {
                        <label for="organization_id">"Organization ID"</label>
                        <input id="organization_id" name="organization_id" type="text" required spellcheck="false" placeholder="contoso.onmicrosoft.com" value=typed("organization_id") />
                        <FieldError error=link_error field="organization_id" />
                    })}
                    // The choice shows its own step by CSS alone (`:has`), so it works without JavaScript.
                    <fieldset class="signs-in">
                        <legend>"How Xops signs in"</legend>
                        <label><input type="radio" name="signs_in" value="certificate" checked=move || !federated() /> " Certificate"</label>
                        <label><input type="radio" name="signs_in" value="federated" checked=federated /> " Federated credential (no certificate)"</label>
                    </fieldset>
                    <div class="federated-step">
                        <button type="submit" formaction="/api/show_federated_values" class="btn">"Show Federated Credential Values"</button>
                        <FormError error=show_values_error />
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                values.await.map(|values| view! {
                                    <FederatedValuesView values />
                                    <p class="hint">"Add a federated credential with these values to the app registration before you Connect. \
                                        Connect keeps trying for up to 2 minutes while a credential added a moment ago takes effect."</p>
                                })
                            })}
                        </Transition>
                        <FieldError error=link_error field="subject" />
                    </div>
                    <div class="certificate-step">
                        // The whole form goes to generate_certificate, which brings it back with the
                        // certificate shown and its download started.
                        <button type="submit" formaction="/api/generate_certificate" class="btn">"Generate Public Key & Download"</button>
                        <FormError error=generate_error />
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                certificate.await.map(|c| view! {
                                    <div class="certificate">
                                        // The download starts by itself: the island, or without JavaScript a refresh.
                                        {download_requested().then(|| view! {
                                            <crate::islands::StartDownload url=c.download_url.clone() />
                                            <noscript inner_html=format!(r#"<meta http-equiv="refresh" content="0;url={}">"#, c.download_url.replace('"', "")) />
                                        })}
                                        <a class="btn btn-small" href=c.download_url.clone() download="">"Download certificate (.cer)"</a>
                                        <p class="hint">"Thumbprint " <code class="thumbprint">{c.thumbprint}</code> " · expires " {c.expires}</p>
                                        <p class="hint">"Upload it to the app registration (Certificates & secrets → Upload certificate) before you Connect."</p>
                                    </div>
                                })
                            })}
                        </Transition>
                        <FieldError error=link_error field="certificate" />
                    </div>
                    <FormError error=link_error />
                    // With the federated credential's values shown, the button says how Microsoft's answer goes.
                    <Submit label="Connect" busy="Signing in to Microsoft…" progress=subject_id().map(super::federated::wait_progress) />
                </ActionForm>
            </section>
            {guidance(service)}
        </div>
    }
}

fn guidance(service: MsService) -> impl IntoView {
    let register = move || view! {
        <li>"In the " <strong>"Azure Portal"</strong> " (or Microsoft Entra admin center), open " <strong>"App Registrations"</strong> " → "
            <strong>"New Registration"</strong> ", give it a name, keep " <em>"Accounts in this organizational directory only"</em> ", click " <strong>"Register"</strong> "."</li>
    };
    let global_reader = move || view! {
        <li>"Entra ID → " <strong>"Roles and administrators"</strong> " → " <strong>"Global Reader"</strong> " → Add assignment: select the app."</li>
    };
    let upload = view! {
        <li>"Copy the " <strong>"Application (client) ID"</strong> " and " <strong>"Directory (tenant) ID"</strong> " into App ID and Tenant ID here, then click "
            <strong>"Generate Public Key & Download"</strong> "."</li>
        <li>"In the app registration: " <strong>"Certificates & secrets"</strong> " → " <strong>"Upload Certificate"</strong> " → choose the downloaded .cer → " <strong>"Add"</strong> ". Then click " <strong>"Connect"</strong> "."</li>
    };
    let federated = view! {
        <li>"Copy the " <strong>"Application (client) ID"</strong> " and " <strong>"Directory (tenant) ID"</strong> " into App ID and Tenant ID here, choose "
            <strong>"Federated credential (no certificate)"</strong> " and click " <strong>"Show Federated Credential Values"</strong> "."</li>
        <AddCredentialSteps then="Then click Connect." />
    };
    let specific = move || match service {
        MsService::Azure => view! {
            <li>"Entra ID → " <strong>"Properties"</strong> " → set " <strong>"Access management for Azure resources"</strong> " to Yes."</li>
            {global_reader()}
            <li><strong>"Management Groups"</strong> " → the tenant group or subscription → " <strong>"Access Control (IAM)"</strong> " → Add role assignment → "
                <strong>"Reader"</strong> " → Select members: the app → Review + Assign."</li>
            <li>"If applicable, the same way: " <strong>"Key Vault Reader"</strong> " (for vaults with access policies also List/Get Keys and List Secrets), "
                <strong>"Cost Management Reader"</strong> ", " <strong>"Billing Reader"</strong> "."</li>
        }
        .into_any(),
        MsService::M365 => view! {
            <li><strong>"API Permissions"</strong> " → Add a permission → APIs my organization uses → " <strong>"Office 365 Exchange Online"</strong>
                " → Application permissions → " <strong>"Exchange.ManageAsApp"</strong> " → Add permissions → " <strong>"Grant admin consent"</strong> "."</li>
            {global_reader()}
            <li>"Entra ID → " <strong>"Domain names"</strong> ": copy the " <code>".onmicrosoft.com"</code> " domain into Organization ID."</li>
        }
        .into_any(),
        MsService::Entra => view! {
            <li><strong>"API Permissions"</strong> " → Add a permission → Microsoft APIs → " <strong>"Microsoft Graph"</strong>
                " → Application permissions → " <strong>"AccessReview.Read.All"</strong> " → Add permissions → " <strong>"Grant admin consent"</strong> "."</li>
            {global_reader()}
        }
        .into_any(),
    };
    view! {
        <aside class="panel setup">
            <details class="guidance" open=true>
                <summary role="button"><span class="info-button" aria-hidden="true">"i"</span><span class="visually-hidden">"Information: "</span>"Setup instructions"</summary>
                <ol class="only-certificate">{register()}{specific()}{upload}</ol>
                <ol class="only-federated">{register()}{specific()}{federated}</ol>
                {service.asks_organization_id().then(|| view! {
                    <p class="hint"><strong>"Note:"</strong> " The M365 scan requires all users/accounts to have the " <strong>"O365_BUSINESS_PREMIUM"</strong> " license; missing licenses may cause scan failure."</p>
                })}
                <p class="hint only-certificate">"Only the public certificate leaves Xops; its private key is generated and kept encrypted on our side."</p>
                <p class="hint only-federated">"With a federated credential there is nothing to upload or renew: each time Xops signs in, it signs a token \
                    valid for 5 minutes with keys it rolls over itself, and Microsoft checks it against the credential."</p>
            </details>
        </aside>
    }
}

/// Managing Azure Subscriptions: Selected Subscriptions and the List of Subscriptions, Update.
#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let params = use_params_map();
    let account_id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(-1);
    let update = ServerAction::<UpdateAzureSubscriptions>::new();
    let refresh = ServerAction::<RefreshAzureSubscriptions>::new();
    let update_error = error_of(update);
    let refresh_error = error_of(refresh);
    let rows = Resource::new(
        move || (account_id(), update.version().get(), refresh.version().get()),
        |(id, _, _)| async move { Ok::<_, crate::error::AppError>((azure_subscriptions(id).await?, azure_management_groups(id).await?)) },
    );
    let query = use_query_map();
    let changes = move || {
        let q = query.read();
        match (q.get("connected"), q.get("disconnected")) {
            (Some(c), Some(d)) if c.parse::<u32>().is_ok() && d.parse::<u32>().is_ok() => {
                Some(format!("Subscriptions updated: {c} connected, {d} disconnected."))
            }
            _ => None,
        }
    };
    let here = StoredValue::new(here());
    let workspace: crate::accounts::workspace::WorkspaceResource = expect_context();
    view! {
        <Title text="Azure subscriptions" />
        <section class="page">
            <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / " <A href="/integrations/azure">"Azure"</A> " / Subscriptions"</p>
            <h1>"Subscription Management"</h1>
            // One notice: after Update, the counts say it all.
            {move || match changes() {
                Some(c) => view! { <p class="notice" role="status">{c}</p> }.into_any(),
                None => view! { <Notice /> }.into_any(),
            }}
            <div class="form-actions">
                // A Viewer reads the lists; changing them is for Admins and Owners.
                {crate::accounts::workspace::with_workspace(move |ws| ws.may_change().then(|| view! {
                    {dialog_link(DialogRequest::Rename(account_id()), &here.get_value(), "Change name", "btn btn-small")}
                    <ActionForm action=refresh attr:class="inline-form">
                        <input type="hidden" name="account_id" value=account_id />
                        <button type="submit" class="btn btn-small" disabled=move || refresh.pending().get()>"Refresh"</button>
                    </ActionForm>
                }))}
                <crate::islands::RowFilter label="Filter subscriptions" />
            </div>
            <FormError error=refresh_error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (rows, groups) = match rows.await {
                        Ok(rows) => rows,
                        Err(err) => return view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    };
                    let may_change = workspace.may_change().await;
                    let (selected, others): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.selected);
                    let row = move |r: SubscriptionRow| {
                        let haystack = format!("{} {}", r.name, r.id).to_lowercase();
                        let enabled = r.state == "Enabled";
                        view! {
                            <li data-filter=haystack>
                                <label class="subscription">
                                    // The property too: a list rebuilt after Update reuses check boxes the user
                                    // has touched, whose attribute no longer decides what they show.
                                    <input type="checkbox" name="selected[]" value=r.id.clone() checked=r.selected prop:checked=r.selected
                                        disabled=!may_change || (!enabled && !r.selected) || r.via_group.is_some() />
                                    <span>{r.name}</span>
                                    <code>{r.id}</code>
                                    {r.via_group.map(|g| view! { <span class="hint">{format!("through management group {g}")}</span> })}
                                    {(!enabled).then(|| view! { <span class="status status-warning">{r.state}</span> })}
                                </label>
                            </li>
                        }
                    };
                    let lists = view! {
                            <h2>"Selected Subscriptions"</h2>
                            {if selected.is_empty() {
                                view! { <p class="muted">"None yet: check subscriptions below and click Update."</p> }.into_any()
                            } else {
                                view! { <ul class="subscriptions">{selected.into_iter().map(row).collect_view()}</ul> }.into_any()
                            }}
                            <h2>"List of Subscriptions"</h2>
                            {if others.is_empty() {
                                view! { <p class="muted">"No other subscriptions."</p> }.into_any()
                            } else {
                                view! { <ul class="subscriptions">{others.into_iter().map(row).collect_view()}</ul> }.into_any()
                            }}
                            <h2>"Management Groups"</h2>
                            {if groups.is_empty() {
                                view! { <p class="muted">"Xops sees no management group. To connect whole groups, give the app the Reader role on them, then Refresh."</p> }.into_any()
                            } else {
                                view! {
                                    <p class="hint">"A checked group connects every subscription under it, including those added later (at the next check)."</p>
                                    <ul class="subscriptions">{groups.into_iter().map(|g| view! {
                                        <li><label class="subscription">
                                            <input type="checkbox" name="groups[]" value=g.id.clone() checked=g.selected prop:checked=g.selected disabled=!may_change />
                                            <span>{format!("Every subscription under {}", g.name)}</span>
                                            <code>{g.id}</code>
                                        </label></li>
                                    }).collect_view()}</ul>
                                }.into_any()
                            }}
                    };
                    if !may_change {
                        return view! { <div class="form">{lists}</div> }.into_any();
                    }
                    view! {
                        <ActionForm action=update attr:class="form">
                            <input type="hidden" name="account_id" value=account_id />
                            {lists}
                            <FieldError error=update_error field="groups" />
                            <FieldError error=update_error field="selected" />
                            <FormError error=update_error />
                            <Submit label="Update" busy="Updating…" />
                        </ActionForm>
                    }
                        .into_any()
                })}
            </Transition>
        </section>
    }
}
