//! Edit (rename) and Delete: one page each, so both work without JavaScript.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::{load_account_details, AccountDetails, DeleteAccount, RenameAccount};
use crate::ui::{error_of, FieldError, FormError, Submit};

/// Loads the account named by the `:id` route parameter and renders it with `render`.
fn with_account<V: IntoView + 'static>(
    render: impl Fn(AccountDetails) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let details = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_account_details(id).await,
            None => Err(crate::error::AppError::NotFound("That account does not exist in your organization.".into())),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(details) => render(details).into_any(),
                    Err(err) => view! { <p class="form-error">{err.to_string()}</p> <A href="/integrations">"Back to Integrations"</A> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn EditAccountPage() -> impl IntoView {
    let action = ServerAction::<RenameAccount>::new();
    super::workspace::refresh_after(action);
    let error = error_of(action);
    view! {
        <Title text="Edit account name" />
        <section class="page narrow">
            <h1>"Edit account name"</h1>
            {with_account(move |d| {
                let back = d.summary.provider.card().href();
                view! {
                    <p class="lead">{format!("{} account {}", d.summary.provider.label(), d.summary.external_account_id)}</p>
                    <ActionForm action attr:class="form panel" attr:novalidate=true>
                        <input type="hidden" name="account_id" value=d.summary.id />
                        <label for="name">{format!("{} Account Name", d.summary.provider.label())}</label>
                        <input id="name" name="name" type="text" maxlength="64" required value=d.summary.name.clone() />
                        <FieldError error field="name" />
                        <FormError error />
                        <div class="form-actions">
                            <Submit pending=action.pending().into() label="Proceed" busy="Saving…" />
                            <A href=back attr:class="btn">"Cancel"</A>
                        </div>
                    </ActionForm>
                }
            })}
        </section>
    }
}

#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    super::workspace::refresh_after(action);
    let error = error_of(action);
    // Without JavaScript the button stays enabled and the server checks the typed name;
    // hydrated, it is enabled only once the name matches.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Title text="Delete account" />
        <section class="page narrow">
            {with_account(move |d| {
                let name = d.summary.name.clone();
                let typed = RwSignal::new(String::new());
                let back = d.summary.provider.card().href();
                if d.summary.deleted_through_support() {
                    return view! {
                        <h1>{format!("Delete {name}")}</h1>
                        <p>"There is currently no provision to delete AWS Management accounts from the Xops portal. To delete the account, submit a support request via the following link"</p>
                        <A href=format!("/support?account_id={}", d.summary.id) attr:class="btn btn-primary">"Submit Support Request"</A>
                    }
                        .into_any();
                }
                let matches = {
                    let name = name.clone();
                    move || typed.get().trim() == name
                };
                view! {
                    <h1>{format!("Delete {name}")}</h1>
                    <p>
                        {format!(
                            "This removes the {} account {} from Xops 360. Xops stops reading it; nothing changes in the account itself.",
                            d.summary.provider.label(),
                            d.summary.external_account_id
                        )}
                    </p>
                    <ActionForm action attr:class="form panel" attr:novalidate=true>
                        <input type="hidden" name="account_id" value=d.summary.id />
                        <label for="confirm_name">"Enter the account name to confirm: " <strong>{name.clone()}</strong></label>
                        <input id="confirm_name" name="confirm_name" type="text" autocomplete="off" required
                            on:input=move |ev| typed.set(event_target_value(&ev)) />
                        <FieldError error field="confirm_name" />
                        <FormError error />
                        <div class="form-actions">
                            <button type="submit" class="btn btn-danger"
                                disabled=move || action.pending().get() || (hydrated.get() && !matches())>
                                "Delete Account"
                            </button>
                            <A href=back attr:class="btn">"Cancel"</A>
                        </div>
                    </ActionForm>
                }
                    .into_any()
            })}
        </section>
    }
}
