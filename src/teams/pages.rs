//! Members (the profile menu): who belongs to the organization, with what role, and who is
//! invited; an invitation's own page; and the list of one's organizations to switch between.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    invitation_details, invitation_link_once, load_members, my_organizations, AcceptInvitation, ChangeRole, InviteMember,
    JoinWithPassword, LeaveOrganization, Member, Members, PendingInvitation, RemoveMember, RevokeInvitation, SwitchOrganization,
    INVITATION_DAYS,
};
use crate::domain::Role;
use crate::error::AppError;
use crate::ui::{AuthCard, error_of, typed, FieldError, FormError, Notice, Submit};

/// /members
#[component]
pub fn MembersPage() -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let leave = ServerAction::<LeaveOrganization>::new();
    let invite_error = error_of(invite);
    let list_error = Signal::derive(move || {
        [error_of(change).get(), error_of(remove).get(), error_of(revoke).get(), error_of(leave).get()].into_iter().flatten().next()
    });
    let members = Resource::new(|| (), |_| load_members());
    let query = use_query_map();
    let invited = move || query.read().get("invited").and_then(|id| id.parse::<i64>().ok());
    let link = Resource::new(invited, |id| async move {
        match id {
            Some(id) => invitation_link_once(id).await,
            None => Ok(None),
        }
    });
    view! {
        <Title text="Members" />
        <section class="page">
            <h1>"Members"</h1>
            <Notice />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    link.await.ok().flatten().map(|link| view! {
                        <div class="panel secret-once" role="status">
                            <h2>"Invitation sent: the link is also here to copy, this once"</h2>
                            <p>{format!("It works once, for {INVITATION_DAYS} days, and only for the address invited.")}</p>
                            <p><code class="secret">{link.clone()}</code> " " <crate::islands::CopyButton text=link /></p>
                        </div>
                    })
                })}
            </Transition>
            <FormError error=list_error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match members.await {
                        Ok(members) => members_view(members, invite, invite_error, change, remove, revoke, leave).into_any(),
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn members_view(
    members: Members,
    invite: ServerAction<InviteMember>,
    invite_error: Signal<Option<AppError>>,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    revoke: ServerAction<RevokeInvitation>,
    leave: ServerAction<LeaveOrganization>,
) -> impl IntoView {
    let you = members.your_role;
    let manages = you.includes(Role::Owner);
    let grantable: Vec<Role> = Role::ALL.iter().copied().filter(|r| you.may_grant(*r)).collect();
    let invites = !grantable.is_empty();
    view! {
        <p class="muted">{format!("The people of {}, and what each may do. Your role: {}.", members.organization, you.label())}</p>
        <div class="panel">
            <h2>"Members"</h2>
            <table class="members">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Last sign-in"</th><th scope="col">"Two-factor"</th>
                    {manages.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                </tr></thead>
                <tbody>
                    {members.members.into_iter().map(|m| member_row(m, manages, change, remove)).collect_view()}
                </tbody>
            </table>
        </div>
        <ActionForm action=leave attr:class="leave-form">
            <button type="submit" class="btn btn-small btn-danger">"Leave this organization"</button>
        </ActionForm>
        <div class="panel">
            <h2>"Invitations"</h2>
            {pending_list(members.invitations, invites, revoke)}
            {invites.then(|| view! {
                <ActionForm action=invite attr:class="invite-form" attr:novalidate=true>
                    <label for="invite-email">"Email address"</label>
                    <input id="invite-email" name="email" type="email" required autocomplete="off" value=typed("email") />
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        {grantable.iter().map(|r| view! {
                            <option value=r.as_str() selected=*r == Role::Viewer>{r.label()}</option>
                        }).collect_view()}
                    </select>
                    <Submit label="Invite" busy="Inviting…" />
                </ActionForm>
                <FieldError error=invite_error field="email" />
                <FieldError error=invite_error field="role" />
                <FormError error=invite_error />
                <ul class="hint role-help">
                    {Role::ALL.iter().map(|r| view! { <li><strong>{r.label()}</strong>": "{r.description()}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

fn member_row(m: Member, manages: bool, change: ServerAction<ChangeRole>, remove: ServerAction<RemoveMember>) -> impl IntoView {
    let who = if m.name.is_empty() { m.email.clone() } else { m.name.clone() };
    // Those who signed up before names were asked have none: the email says who they are.
    let name = match (m.name.is_empty(), m.is_you) {
        (true, true) => "(you)".to_string(),
        (true, false) => "—".to_string(),
        (false, true) => format!("{} (you)", m.name),
        (false, false) => m.name.clone(),
    };
    let (email, role, user_id, is_you) = (m.email.clone(), m.role, m.user_id, m.is_you);
    let actions = manages.then(move || {
        let select_id = format!("role-{user_id}");
        let (role_label, change_label, remove_label) = (format!("Role of {who}"), format!("Change role of {who}"), format!("Remove {who}"));
        view! {
            <td class="row-actions">
                <ActionForm action=change attr:class="inline-form">
                    <input type="hidden" name="user_id" value=user_id />
                    <label for=select_id.clone() class="visually-hidden">{role_label}</label>
                    <select id=select_id name="role">
                        {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == role>{r.label()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="btn btn-small" aria-label=change_label>"Change role"</button>
                </ActionForm>
                // One leaves by Leave this organization, below the table.
                {(!is_you).then(|| view! {
                    <ActionForm action=remove attr:class="inline-form">
                        <input type="hidden" name="user_id" value=user_id />
                        <button type="submit" class="btn btn-small btn-danger" aria-label=remove_label>"Remove"</button>
                    </ActionForm>
                })}
            </td>
        }
    });
    view! {
        <tr data-member=m.email>
            <td>{name}</td>
            <td>{email}</td>
            <td>{m.role.label()}</td>
            <td>{m.last_sign_in}</td>
            <td>{if m.two_factor { "On" } else { "Off" }}</td>
            {actions}
        </tr>
    }
}

fn pending_list(invitations: Vec<PendingInvitation>, revokes: bool, revoke: ServerAction<RevokeInvitation>) -> impl IntoView {
    if invitations.is_empty() {
        return view! { <p class="muted">"No invitation is waiting for an answer."</p> }.into_any();
    }
    let list = view! {
            <ul class="targets">
                {invitations.into_iter().map(|i| view! {
                    <li data-invitation=i.email.clone()>
                        <code>{i.email.clone()}</code> " " {i.role.label()}
                        <span class="muted">{format!(" invited by {}, expires {}", i.invited_by, i.expires)}</span> " "
                        {revokes.then(|| view! {
                            <button type="submit" name="id" value=i.id class="btn btn-small btn-danger"
                                aria-label=format!("Revoke the invitation of {}", i.email)>"Revoke"</button>
                        })}
                    </li>
                }).collect_view()}
            </ul>
    };
    if revokes {
        view! { <ActionForm action=revoke>{list}</ActionForm> }.into_any()
    } else {
        list.into_any()
    }
}

/// /invite/:token, the link of an invitation mail: join as the signed-in user, sign in first,
/// or (for an address with no account) choose a name and password.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let join = ServerAction::<JoinWithPassword>::new();
    let (accept_error, join_error) = (error_of(accept), error_of(join));
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invitation = Resource::new(token, invitation_details);
    view! {
        <Title text="Invitation" />
        <AuthCard>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let invitation = match invitation.await {
                        Ok(invitation) => invitation,
                        Err(err) => return view! {
                            <h1>"This invitation cannot be used"</h1>
                            <p role="alert">{err.to_string()}</p>
                            <p class="auth-switch"><A href="/signin">"Sign in"</A></p>
                        }.into_any(),
                    };
                    let next = format!("/invite/{}", token());
                    let intro = format!(
                        "{} invited {} to join \"{}\" as {}. {}",
                        invitation.invited_by, invitation.email, invitation.organization, invitation.role.label(),
                        invitation.role.description()
                    );
                    let join_label = format!("Join {}", invitation.organization);
                    let how = match invitation.signed_in_as.clone() {
                        Some(me) if me == invitation.email => view! {
                            <ActionForm action=accept attr:class="form">
                                <input type="hidden" name="token" value=token />
                                <FormError error=accept_error />
                                <Submit label=join_label busy="Joining…" />
                            </ActionForm>
                        }.into_any(),
                        Some(me) => view! {
                            <p role="alert">{format!("You are signed in as {me}. This invitation is for {}: sign out, then sign in as {} to accept it.", invitation.email, invitation.email)}</p>
                        }.into_any(),
                        None if invitation.has_account => view! {
                            <p>{format!("{} has an account: sign in to accept.", invitation.email)}</p>
                            <p><A href=format!("/signin?next={}", crate::domain::percent_encode(&next)) attr:class="btn btn-primary">"Sign in to join"</A></p>
                        }.into_any(),
                        None => view! {
                            <ActionForm action=join attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="token" value=token />
                                <input type="email" name="email" autocomplete="username" value=invitation.email.clone() hidden />
                                <label for="name">"Your name"</label>
                                <input id="name" name="name" type="text" autocomplete="name" maxlength="100" required value=typed("name") />
                                <FieldError error=join_error field="name" />
                                <label for="password">"Password"</label>
                                <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required />
                                <p class="hint">"8 to 128 characters. A long passphrase is best."</p>
                                <FieldError error=join_error field="password" />
                                <FormError error=join_error />
                                <Submit label="Create account and join" busy="Joining…" />
                            </ActionForm>
                        }.into_any(),
                    };
                    view! {
                        <h1>{format!("Join {}", invitation.organization)}</h1>
                        <p class="muted">{intro}</p>
                        <p class="muted">{format!("The invitation expires {}.", invitation.expires)}</p>
                        {how}
                    }.into_any()
                })}
            </Suspense>
        </AuthCard>
    }
}

/// /organizations: the organizations the user belongs to, to switch between.
#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let switch = ServerAction::<SwitchOrganization>::new();
    let error = error_of(switch);
    let organizations = Resource::new(|| (), |_| my_organizations());
    view! {
        <Title text="Your organizations" />
        <section class="page">
            <h1>"Your organizations"</h1>
            <FormError error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match organizations.await {
                        Ok(list) => view! {
                            <ActionForm action=switch>
                                <ul class="targets">
                                    {list.into_iter().map(|o| view! {
                                        <li>
                                            <strong>{o.name.clone()}</strong> <span class="muted">{format!(" {}", o.role.label())}</span> " "
                                            {if o.current {
                                                view! { <span class="status status-connected">"Current"</span> }.into_any()
                                            } else {
                                                view! {
                                                    <button type="submit" name="organization_id" value=o.id class="btn btn-small"
                                                        aria-label=format!("Switch to {}", o.name)>"Switch"</button>
                                                }.into_any()
                                            }}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </ActionForm>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
