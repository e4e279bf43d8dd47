//! Your account → Security (the authenticator app and recovery codes), the sign-in's second
//! step, and the organization's requirement of a second factor.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::two_factor::{
    load_security, recovery_codes_once, ConfirmAuthenticator, RegenerateRecoveryCodes, RemoveAuthenticator,
    RequireSecondFactor, StartAuthenticator, VerifySignIn, RECOVERY_CODES,
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
fn AuthenticatorPanel(security: super::two_factor::Security) -> impl IntoView {
    let start = ServerAction::<StartAuthenticator>::new();
    let confirm = ServerAction::<ConfirmAuthenticator>::new();
    let remove = ServerAction::<RemoveAuthenticator>::new();
    let (start_error, confirm_error, remove_error) = (error_of(start), error_of(confirm), error_of(remove));
    let body = match (security.authenticator_added, security.enrolling) {
        (Some(added), _) => view! {
            <p>{format!("On since {added}. After your password, Xops 360 asks for the code your app shows.")}</p>
            <ActionForm action=remove attr:class="form" attr:novalidate=true>
                <StepUpCode fresh=security.fresh error=remove_error />
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
            <p>{format!("{} of {RECOVERY_CODES} recovery codes left.", security.recovery_codes_left)}</p>
            <ActionForm action=regenerate attr:class="form" attr:novalidate=true>
                <StepUpCode fresh=security.fresh error />
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
                let fresh = security.await.map(|s| s.fresh || s.authenticator_added.is_none()).unwrap_or(true);
                view! { <StepUpCode fresh error /> }
            })}
        </Transition>
    }
}

/// The code a step-up asks for, unless a second factor was given in the last five minutes.
#[component]
fn StepUpCode(fresh: bool, error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    (!fresh).then(|| {
        view! {
            <label for="step_up_code">"Code from your authenticator app, or a recovery code"</label>
            <input id="step_up_code" name="code" type="text" autocomplete="one-time-code" maxlength="24" required />
            <p class="hint">"To confirm it is you. Not asked again for five minutes."</p>
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
            <p class="auth-switch"><A href="/signin">"Sign in as someone else"</A></p>
        </AuthCard>
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
