//! Edit (rename) and Delete: dialogs on top of the page they were opened from, which is where
//! Proceed and Delete Account lead back to, with the guide's success message.
use leptos::prelude::*;

use super::{load_account_details, AccountDetails, DeleteAccount, RenameAccount};
use crate::ui::{error_of, here, Dialog, DialogRequest, FieldError, FormError, Submit};

/// Loads one of the organization's accounts, then opens the dialog with `render`'s content (so
/// that it opens whole, and its autofocus field gets the focus). A Viewer, who may not `doing`,
/// is told who may instead.
fn account_dialog<V: IntoView + 'static>(
    request: DialogRequest,
    account_id: i64,
    title: &'static str,
    doing: &'static str,
    render: impl Fn(AccountDetails) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let details = Resource::new(move || account_id, load_account_details);
    let workspace: super::workspace::WorkspaceResource = expect_context();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    let may_change = workspace.may_change().await;
                    let content = match details.await {
                        Ok(_) if !may_change => view! {
                            <p role="alert">{format!("Only an Admin or Owner can {doing}. Ask one in your organization.")}</p>
                        }.into_any(),
                        Ok(details) => render(details).into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    };
                    view! { <Dialog request title=title.into()>{content}</Dialog> }
                })
            }}
        </Transition>
    }
}

#[component]
pub fn RenameDialog(account_id: i64) -> impl IntoView {
    let action = ServerAction::<RenameAccount>::new();
    let error = error_of(action);
    let back = here();
    account_dialog(DialogRequest::Rename(account_id), account_id, "Edit account name", "rename accounts", move |d| {
                let back = back.clone();
                view! {
                    <p class="lead">{format!("{} account {}", d.summary.provider.label(), d.summary.external_account_id)}</p>
                    <ActionForm action attr:class="form" attr:novalidate=true>
                        <input type="hidden" name="account_id" value=d.summary.id />
                        <input type="hidden" name="return_to" value=back.clone() />
                        // Its own id: the page behind may have a form with a "name" field too (EKS, a link page).
                        <label for="rename_name">{format!("{} Account Name", d.summary.provider.label())}</label>
                        <input id="rename_name" name="name" type="text" maxlength="64" required autofocus value=d.summary.name.clone() />
                        <FieldError error field="name" />
                        <FormError error />
                        <div class="form-actions">
                            <Submit label="Proceed" busy="Saving…" />
                            <a href=back data-noscroll="true" class="btn">"Cancel"</a>
                        </div>
                    </ActionForm>
                }
            })
}

#[component]
pub fn DeleteDialog(account_id: i64) -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    let error = error_of(action);
    let back = here();
    account_dialog(DialogRequest::Delete(account_id), account_id, "Delete account", "delete accounts", move |d| {
                let name = d.summary.name.clone();
                let back = back.clone();
                if d.summary.deleted_through_support() {
                    return view! {
                        <p>"There is currently no provision to delete AWS Management accounts from the Xops portal. To delete the account, submit a support request via the following link"</p>
                        <div class="form-actions">
                            <a href=format!("/support?account_id={}", d.summary.id) class="btn btn-primary">"Submit Support Request"</a>
                            <a href=back data-noscroll="true" class="btn">"Cancel"</a>
                        </div>
                    }
                        .into_any();
                }
                view! {
                    <p>
                        {format!(
                            "This removes the {} account {} ({}) from Xops 360. Xops stops reading it; nothing changes in the account itself.",
                            d.summary.provider.label(),
                            name,
                            d.summary.external_account_id
                        )}
                    </p>
                    <ActionForm action attr:class="form" attr:novalidate=true>
                        <input type="hidden" name="account_id" value=d.summary.id />
                        <input type="hidden" name="return_to" value=back.clone() />
                        <label for="confirm_name">"Enter the account name to confirm: " <strong>{name.clone()}</strong></label>
                        <input id="confirm_name" name="confirm_name" type="text" autocomplete="off" required autofocus />
                        <FieldError error field="confirm_name" />
                        <FormError error />
                        <div class="form-actions">
                            <crate::islands::ConfirmByName expected=name.clone() field="confirm_name" label="Delete Account" />
                            <a href=back data-noscroll="true" class="btn">"Cancel"</a>
                        </div>
                    </ActionForm>
                }
                    .into_any()
            })
}
