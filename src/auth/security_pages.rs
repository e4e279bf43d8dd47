//! Your account → Security (the authenticator app and recovery codes), the sign-in's second
//! step, and the organization's requirement of a second factor.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::passkeys::{my_passkeys, AddPasskey, RemovePasskey, SignInWithPasskey, VerifyWithPasskey};
use super::two_factor::{
    load_security, recovery_codes_once, ConfirmAuthenticator, RegenerateRecoveryCodes, RemoveAuthenticator,
    RequireSecondFactor, StartAuthenticator, VerifySignIn,
};
use crate::ui::{error_of, AuthCard, FieldError, FormError, Notice, Submit};

/// /account/security
#[component]
pub fn SecurityPage() -> impl IntoView {
    let security = Resource::new(|| (), |_| load_security());
    // Spent by being shown: read once, as the page renders.
    let codes = Resource::new(|| (), |_| recovery_codes_once());
    view! {
        <Title text="Security" />
        <section class="page">
            <h1>"Security"</h1>
            <Notice />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let security = match security.await {
                        Ok(security) => security,
                        Err(err) => return view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    };
                    let codes = codes.await.ok().flatten();
                    let required = (security.required && security.authenticator_added.is_none()).then(|| view! {
                        <p class="notice notice-warning" role="status">
                            "Your organization requires a second factor. Add an authenticator app below to go on using Xops 360."
                        </p>
                    });
                    view! {
                        {required}
                        <PasskeysPanel fresh=security.fresh />
                        <AuthenticatorPanel security=security.clone() />
                        <RecoveryCodesPanel security codes />
                    }.into_any()
                })}
            </Transition>
            <p><A href="/account">"Back to Your account"</A></p>
        </section>
    }
}

#[component]
fn PasskeysPanel(fresh: bool) -> impl IntoView {
    let passkeys = Resource::new(|| (), |_| my_passkeys());
    let add = ServerAction::<AddPasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let (add_error, remove_error) = (error_of(add), error_of(remove));
    view! {
        <div class="panel" id="passkeys">
            <h2>"Passkeys"</h2>
            <p>"A passkey signs you in with your device's screen lock or a security key: after your password, or on its own with no password. It cannot be phished."</p>
            <FormError error=remove_error />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = passkeys.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="muted">"No passkey yet."</p> }.into_any();
                    }
                    view! {
                        <ul class="passkeys">
                            {list.into_iter().map(|p| {
                                let label = format!("Remove passkey {}", p.name);
                                let (name, shown) = (p.name.clone(), p.name);
                                view! {
                                    <li data-passkey-name=name>
                                        <strong>{shown}</strong>
                                        <span class="muted">{format!(" · added {} · last used {}", p.created, p.last_used)}</span>
                                        <ActionForm action=remove attr:class="form inline-form" attr:novalidate=true>
                                            <input type="hidden" name="id" value=p.id />
                                            <StepUpCode id=format!("step_up_passkey_{}", p.id) fresh passkeys=true error=remove_error />
                                            <button type="submit" class="btn btn-small btn-danger" aria-label=label>"Remove"</button>
                                        </ActionForm>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
            <ActionForm action=add attr:class="form">
                <label for="passkey_name">"Name of the new passkey"</label>
                <input id="passkey_name" name="name" type="text" maxlength="60" required placeholder="Work laptop" />
                <FieldError error=add_error field="passkey_name" />
                <input type="hidden" name="credential" value="" />
                <button type="button" class="btn btn-primary" data-passkey="passkey_registration_options" data-ceremony="create" hidden>"Add a passkey"</button>
                <p class="hint" data-passkey-status role="status"></p>
                <p class="hint" data-passkey-nojs>"Adding a passkey needs JavaScript. Without it, add an authenticator app below."</p>
                <FormError error=add_error />
            </ActionForm>
            <script type="module" src="/passkeys.js"></script>
        </div>
    }
}

#[component]
fn AuthenticatorPanel(security: super::two_factor::Security) -> impl IntoView {
    let start = ServerAction::<StartAuthenticator>::new();
    let confirm = ServerAction::<ConfirmAuthenticator>::new();
    let remove = ServerAction::<RemoveAuthenticator>::new();
    let (start_error, confirm_error, remove_error) = (error_of(start), error_of(confirm), error_of(remove));
    let body = match (security.authenticator_added, security.enrolling) {
        (Some(added), _) => view! {
            <p>{format!("On since {added}. After your password, Xops 360 asks for the code your app shows.")}</p>
            <ActionForm action=remove attr:class="form" attr:novalidate=true>
                <StepUpCode id="step_up_authenticator" fresh=security.fresh passkeys=security.has_passkeys error=remove_error />
                <FormError error=remove_error />
                <Submit label="Remove authenticator" busy="Removing…" danger=true />
            </ActionForm>
        }
        .into_any(),
        (None, Some(enrolment)) => view! {
            <ol class="steps">
                <li>
                    "Scan this QR code with your authenticator app (Microsoft Authenticator, Google Authenticator, 1Password, …)."
                    <div class="qr-code" role="img" aria-label="QR code of your authenticator key" inner_html=enrolment.qr_svg></div>
                </li>
                <li>"No camera? Enter this key in the app instead: " <code class="totp-secret">{enrolment.secret}</code></li>
                <li>"Enter the 6-digit code the app now shows."</li>
            </ol>
            <ActionForm action=confirm attr:class="form" attr:novalidate=true>
                <label for="code">"Code from the app"</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required />
                <FieldError error=confirm_error field="code" />
                <FormError error=confirm_error />
                <Submit label="Confirm" busy="Checking…" />
            </ActionForm>
        }
        .into_any(),
        (None, None) => view! {
            <p>"Off. Add an authenticator app: after your password, Xops 360 then asks for the code it shows, so a stolen password alone opens nothing."</p>
            <ActionForm action=start attr:class="form">
                <FormError error=start_error />
                <Submit label="Add an authenticator" busy="Preparing…" />
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <div class="panel" id="authenticator">
            <h2>"Authenticator app"</h2>
            {body}
        </div>
    }
}

#[component]
fn RecoveryCodesPanel(security: super::two_factor::Security, codes: Option<Vec<String>>) -> impl IntoView {
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let error = error_of(regenerate);
    let shown = codes.map(|codes| {
        let text = codes.join("\n");
        view! {
            <div class="notice notice-warning" role="status">
                <p><strong>"Save these recovery codes now. They are shown only this once."</strong>
                   " Each signs you in once if you lose your phone. Keep them in your password manager or on paper."</p>
                <ol class="recovery-codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ol>
                <crate::islands::CopyButton text />
            </div>
        }
    });
    let body = if security.authenticator_added.is_some() {
        view! {
            <p>{match security.recovery_codes_left {
                1 => "1 recovery code left.".to_string(),
                left => format!("{left} recovery codes left."),
            }}</p>
            <ActionForm action=regenerate attr:class="form" attr:novalidate=true>
                <StepUpCode id="step_up_recovery" fresh=security.fresh passkeys=security.has_passkeys error />
                <FormError error />
                <Submit label="Make new recovery codes" busy="Making…" />
            </ActionForm>
            <p class="hint">"New codes replace the old ones: those stop working at once."</p>
        }
        .into_any()
    } else {
        view! { <p class="muted">"You get ten when you add your first second factor."</p> }.into_any()
    };
    view! {
        <div class="panel" id="recovery-codes">
            <h2>"Recovery codes"</h2>
            {shown}
            {body}
        </div>
    }
}

/// The step-up code of a form, if this user must give one: they have a second factor, not
/// given in the last five minutes.
#[component]
pub fn StepUpField(error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let security = Resource::new(|| (), |_| load_security());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (fresh, passkeys) = security
                    .await
                    .map(|s| (s.fresh || (s.authenticator_added.is_none() && !s.has_passkeys), s.has_passkeys))
                    .unwrap_or((true, false));
                view! { <StepUpCode id="step_up_code" fresh passkeys error /> }
            })}
        </Transition>
    }
}

/// The code a step-up asks for, unless a second factor was given in the last five minutes; with
/// a passkey, "Confirm with a passkey" puts its answer in the same field and sends the form.
#[component]
fn StepUpCode(
    #[prop(into)] id: String,
    fresh: bool,
    passkeys: bool,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    (!fresh).then(|| {
        let passkey = passkeys.then(|| {
            view! {
                <button type="button" class="btn btn-secondary" data-passkey="passkey_step_up_options" data-passkey-field="code" hidden>
                    "Confirm with a passkey"
                </button>
                <p class="hint" data-passkey-status role="status"></p>
                <script type="module" src="/passkeys.js"></script>
            }
        });
        view! {
            <label for=id.clone()>"Code from your authenticator app, or a recovery code"</label>
            <input id=id name="code" type="text" autocomplete="one-time-code" required />
            <p class="hint">"To confirm it is you. Not asked again for a few minutes."</p>
            {passkey}
            <FieldError error field="code" />
        }
    })
}

/// /signin/verify: the sign-in's second step.
#[component]
pub fn VerifySignInPage() -> impl IntoView {
    let action = ServerAction::<VerifySignIn>::new();
    let error = error_of(action);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Two-step verification" />
        <AuthCard>
            <h1>"Two-step verification"</h1>
            <p>"Enter the 6-digit code your authenticator app shows for Xops 360."</p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" value=next />
                <label for="code">"Authentication code"</label>
                <input id="code" name="code" type="text" autocomplete="one-time-code" maxlength="24" required autofocus />
                <p class="hint">"Lost your phone? Enter one of your recovery codes instead."</p>
                <FieldError error field="code" />
                <FormError error />
                <Submit label="Verify" busy="Checking…" />
            </ActionForm>
            <PasskeyVerify />
            <p class="auth-switch"><A href="/signin">"Sign in as someone else"</A></p>
        </AuthCard>
    }
}

/// The inside of a form that signs in with a passkey (its ceremony in `public/passkeys.js`),
/// or says that passkeys need JavaScript.
#[component]
fn PasskeyFields(options: &'static str, label: &'static str, error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <input type="hidden" name="next" value=next />
        <input type="hidden" name="credential" value="" />
        <button type="button" class="btn btn-secondary" data-passkey=options hidden>{label}</button>
        <p class="hint" data-passkey-status role="status"></p>
        <p class="hint" data-passkey-nojs>"Passkeys need JavaScript. Use your password and an authenticator code."</p>
        <FormError error />
        <script type="module" src="/passkeys.js"></script>
    }
}

/// The second step's passkey.
#[component]
fn PasskeyVerify() -> impl IntoView {
    let action = ServerAction::<VerifyWithPasskey>::new();
    let error = error_of(action);
    view! {
        <ActionForm action attr:class="form passkey-form">
            <PasskeyFields options="passkey_verify_options" label="Use a passkey instead" error />
        </ActionForm>
    }
}

/// The sign-in page's passkey sign-in (no password).
#[component]
pub fn PasskeySignIn() -> impl IntoView {
    let action = ServerAction::<SignInWithPasskey>::new();
    let error = error_of(action);
    view! {
        <ActionForm action attr:class="form passkey-form">
            <PasskeyFields options="passkey_sign_in_options" label="Sign in with a passkey" error />
        </ActionForm>
    }
}

/// Organization settings: the Owner's switch requiring a second factor of every member.
#[component]
pub fn SecondFactorPolicy() -> impl IntoView {
    let security = Resource::new(|| (), |_| load_security());
    let action = ServerAction::<RequireSecondFactor>::new();
    let error = error_of(action);
    view! {
        <div class="panel" id="second-factor-policy">
            <h2>"Two-factor sign-in"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let required = security.await.map(|s| s.required).unwrap_or(false);
                    let (said, label, value) = if required {
                        ("Required: every member gives a second factor after the password. Members without one are sent to add one, and can do nothing else until they have.", "Stop requiring", "false")
                    } else {
                        ("Not required: each member chooses. Require it, and members without a second factor are sent to add one at their next click.", "Require for everyone", "true")
                    };
                    view! {
                        <p>{said}</p>
                        <ActionForm action attr:class="form">
                            <input type="hidden" name="required" value=value />
                            <FieldError error field="required" />
                            <FormError error />
                            <Submit label busy="Saving…" />
                        </ActionForm>
                    }
                })}
            </Transition>
        </div>
    }
}
