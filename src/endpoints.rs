//! Every endpoint that takes input, listed once: each server function (which every form posts
//! to, with JavaScript or without) with who may call it and what it changes. This is the one
//! table of roles: `gate` refuses a member whose role is short of an endpoint's before the
//! endpoint reads any input. The list is kept complete by a test (a server function missing
//! here fails it); the bad-input suite calls every entry with the fields read from its
//! arguments' type, and the role suite every entry with every role.
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;

use crate::accounts::workspace::{LoadCardPage, LoadWorkspace, SelectAccount};
use crate::accounts::{DeleteAccount, LoadAccountDetails, RenameAccount};
use crate::auth::sign_up::{ConfirmSignUp, SignUp, SignUpLink};
use crate::auth::recovery::{ChangePassword, ForgotPassword, ResetLink, ResetPassword};
use crate::auth::two_factor::{
    ConfirmAuthenticator, LoadSecurity, RecoveryCodesOnce, RegenerateRecoveryCodes, RemoveAuthenticator, RequireSecondFactor,
    StartAuthenticator, VerifySignIn,
};
use crate::settings::api_tokens::{ApiTokenOnce, ApiTokens, CreateApiToken, RevokeApiToken};
use crate::auth::passkeys::{
    AddPasskey, MyPasskeys, PasskeyRegistrationOptions, PasskeySignInOptions, PasskeyStepUpOptions, PasskeyVerifyOptions, RemovePasskey, SignInWithPasskey,
    VerifyWithPasskey,
};
use crate::auth::sessions::{EndOtherSessions, EndSession, MySessions};
use crate::auth::{SignIn, SignOut};
use crate::health::dashboard::HealthOverview;
use crate::integrations::aws::link::{LinkAwsAccount, LoadAwsSetup};
use crate::integrations::aws::organization::actions::{
    AwsOrganization, LinkOrganizationAccounts, OrganizationProgress, ReadAwsOrganization, RetryFailedLinks,
    SetOrganizationAutoLink, SetOrganizationExclusion,
};
use crate::integrations::microsoft::certificates::{GenerateCertificate, LoadCertificateInfo};
use crate::integrations::microsoft::federated::{FederatedWait, LoadFederatedValues, ShowFederatedValues};
use crate::integrations::microsoft::link::LinkMicrosoftAccount;
use crate::integrations::microsoft::switch::{StartFederatedSwitch, SwitchToFederated};
use crate::integrations::microsoft::renewal::{CertificateRenewal, RenewCertificate, SwitchCertificate};
use crate::integrations::microsoft::subscriptions::{
    AzureManagementGroups, AzureSubscriptions, RefreshAzureSubscriptions, UpdateAzureSubscriptions,
};
use crate::integrations::retest::RetestAccount;
use crate::audit_log::AuditTrail;
use crate::domain::Role;
use crate::teams::{
    AcceptInvitation, ChangeRole, InvitationDetails, InvitationLinkOnce, InviteMember, JoinWithPassword, LoadMembers,
    DeleteOrganization, LeaveOrganization, MyOrganizations, RemoveMember, RenameOrganization, RevokeInvitation, SwitchOrganization,
};
use crate::settings::{AddNotificationEmail, AddWebhook, NotificationSettings, RemoveNotificationTarget, WebhookSecretOnce};
use crate::support::inbox::{CloseSupportRequest, DeleteRequestedAccount, SupportInbox};
use crate::support::{CreateSupportRequest, SupportRequests};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: signing up and in (and out), and invitations (which check their own session).
    Anyone,
    /// A signed-in member with at least this role, on their organization's data only.
    Member(Role),
    /// One of the platform's operators (`XOPS_OPERATORS`), across organizations.
    Operator,
}

/// What an endpoint changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changes {
    Nothing,
    /// Only the caller's own session (signing in, choosing the current account).
    OwnSession,
    /// What the organization holds (accounts, settings, requests; or a new organization).
    Organization,
}

pub struct Endpoint {
    /// Its path (`/api/sign_in`).
    pub path: &'static str,
    pub access: Access,
    pub changes: Changes,
    /// The form fields it reads, from its arguments' type.
    pub fields: &'static [&'static str],
    /// What it does, as a refusal names it: "Only an Admin or Owner can {doing}."
    pub doing: &'static str,
    /// Every field may be left empty (a list's filters): an empty call is a question, not a mistake.
    pub filters_only: bool,
    /// A member whose organization requires a second factor, and who has none, may call it
    /// (adding one); every other endpoint refuses them until they have.
    pub while_enrolling: bool,
}

impl Endpoint {
    /// Its name, as the path ends (`sign_in`).
    pub fn name(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    fn doing(self, doing: &'static str) -> Endpoint {
        Endpoint { doing, ..self }
    }

    fn filters_only(self) -> Endpoint {
        Endpoint { filters_only: true, ..self }
    }

    fn while_enrolling(self) -> Endpoint {
        Endpoint { while_enrolling: true, ..self }
    }

    /// Why a member with `role` may not call it, if they may not.
    pub fn refusal(&self, role: Role) -> Option<String> {
        match self.access {
            Access::Member(needed) if !role.includes(needed) => {
                Some(format!("Only {} can {}. Ask one in your organization.", needed.who(), self.doing))
            }
            _ => None,
        }
    }
}

fn listed<S: ServerFn + DeserializeOwned>(access: Access, changes: Changes) -> Endpoint {
    Endpoint { path: S::PATH, access, changes, fields: field_names::<S>(), doing: "", filters_only: false, while_enrolling: false }
}

/// Every endpoint, by feature, with the least role that may call it.
pub fn all() -> Vec<Endpoint> {
    use Access::{Anyone, Member, Operator};
    use Changes::{Nothing, Organization, OwnSession};
    use Role::{Admin, Owner, Viewer};
    let read = Member(Viewer);
    let admin = Member(Admin);
    let owner = Member(Owner);
    vec![
        listed::<SignUp>(Anyone, Organization),
        listed::<SignUpLink>(Anyone, Nothing),
        listed::<ConfirmSignUp>(Anyone, Organization),
        listed::<SignIn>(Anyone, OwnSession),
        listed::<SignOut>(Anyone, OwnSession),
        listed::<LoadWorkspace>(read, Nothing),
        listed::<LoadCardPage>(read, Nothing),
        listed::<SelectAccount>(read, OwnSession),
        listed::<LoadAccountDetails>(read, Nothing),
        listed::<RenameAccount>(admin, Organization).doing("rename accounts"),
        listed::<DeleteAccount>(admin, Organization).doing("delete accounts"),
        // Every member may ask for a fresh check: it changes no setting.
        listed::<RetestAccount>(read, Organization),
        listed::<LoadAwsSetup>(read, Nothing),
        listed::<LinkAwsAccount>(admin, Organization).doing("link accounts"),
        listed::<AwsOrganization>(read, Nothing),
        listed::<OrganizationProgress>(read, Nothing),
        listed::<ReadAwsOrganization>(admin, Organization).doing("read an AWS Organization"),
        listed::<LinkOrganizationAccounts>(admin, Organization).doing("link an organization's accounts"),
        listed::<RetryFailedLinks>(admin, Organization).doing("link an organization's accounts"),
        listed::<SetOrganizationExclusion>(admin, Organization).doing("change which accounts are linked"),
        listed::<SetOrganizationAutoLink>(admin, Organization).doing("change which accounts are linked"),
        listed::<GenerateCertificate>(admin, Organization).doing("link accounts"),
        listed::<LoadCertificateInfo>(read, Nothing),
        listed::<ShowFederatedValues>(admin, Organization).doing("link accounts"),
        listed::<LoadFederatedValues>(read, Nothing),
        listed::<FederatedWait>(read, Nothing),
        listed::<LinkMicrosoftAccount>(admin, Organization).doing("link accounts"),
        listed::<CertificateRenewal>(read, Nothing),
        listed::<RenewCertificate>(admin, Organization).doing("renew certificates"),
        listed::<SwitchCertificate>(admin, Organization).doing("renew certificates"),
        listed::<StartFederatedSwitch>(admin, Organization).doing("renew certificates"),
        listed::<SwitchToFederated>(admin, Organization).doing("renew certificates"),
        listed::<AzureSubscriptions>(read, Nothing),
        listed::<AzureManagementGroups>(read, Nothing),
        listed::<UpdateAzureSubscriptions>(admin, Organization).doing("choose subscriptions"),
        listed::<RefreshAzureSubscriptions>(admin, Organization).doing("choose subscriptions"),
        listed::<HealthOverview>(read, Nothing),
        listed::<NotificationSettings>(read, Nothing),
        listed::<AddNotificationEmail>(admin, Organization).doing("change notifications"),
        listed::<AddWebhook>(admin, Organization).doing("change notifications"),
        // Shows a new webhook's secret once: the showing is spent.
        listed::<WebhookSecretOnce>(admin, Organization).doing("change notifications"),
        listed::<RemoveNotificationTarget>(admin, Organization).doing("change notifications"),
        listed::<CreateSupportRequest>(admin, Organization).doing("ask support for changes"),
        listed::<SupportRequests>(read, Nothing),
        listed::<LoadMembers>(read, Nothing),
        listed::<AuditTrail>(admin, Nothing).doing("read the audit log").filters_only(),
        listed::<InviteMember>(admin, Organization).doing("invite people"),
        // Shows a new invitation's link once: the showing is spent.
        listed::<InvitationLinkOnce>(admin, Organization).doing("invite people"),
        listed::<RevokeInvitation>(admin, Organization).doing("revoke invitations"),
        listed::<ChangeRole>(owner, Organization).doing("change roles"),
        listed::<RemoveMember>(owner, Organization).doing("remove members"),
        // Anyone may leave (but the last Owner).
        listed::<LeaveOrganization>(read, Organization),
        listed::<MyOrganizations>(read, Nothing),
        listed::<RenameOrganization>(owner, Organization).doing("rename the organization"),
        listed::<DeleteOrganization>(owner, Organization).doing("delete the organization"),
        // Your own account: any member, about themselves only.
        listed::<ChangePassword>(read, OwnSession),
        listed::<ForgotPassword>(Anyone, Nothing),
        listed::<ResetLink>(Anyone, Nothing),
        listed::<ResetPassword>(Anyone, OwnSession),
        // Checks that the caller belongs to the organization they switch to.
        listed::<SwitchOrganization>(read, OwnSession),
        // An invitation's page and its two ways in: by its link's token, for whoever holds it
        // (joining needs the invited address's session or a new password).
        // A second factor: your own, while enrolling too; the organization's rule, the Owner's.
        listed::<LoadSecurity>(read, Nothing).while_enrolling(),
        listed::<StartAuthenticator>(read, OwnSession).while_enrolling(),
        listed::<ConfirmAuthenticator>(read, OwnSession).while_enrolling(),
        // Shows a new set of recovery codes once: the showing is spent.
        listed::<RecoveryCodesOnce>(read, OwnSession).while_enrolling(),
        listed::<RegenerateRecoveryCodes>(read, OwnSession),
        listed::<RemoveAuthenticator>(read, OwnSession),
        listed::<RequireSecondFactor>(owner, Organization).doing("require a second factor"),
        listed::<VerifySignIn>(Anyone, OwnSession),
        listed::<MyPasskeys>(read, Nothing).while_enrolling(),
        listed::<PasskeyRegistrationOptions>(read, OwnSession).while_enrolling(),
        listed::<AddPasskey>(read, OwnSession).while_enrolling(),
        listed::<RemovePasskey>(read, OwnSession),
        listed::<PasskeyStepUpOptions>(read, OwnSession),
        listed::<PasskeySignInOptions>(Anyone, OwnSession),
        listed::<SignInWithPasskey>(Anyone, OwnSession),
        listed::<PasskeyVerifyOptions>(Anyone, OwnSession),
        listed::<VerifyWithPasskey>(Anyone, OwnSession),
        listed::<MySessions>(read, Nothing),
        listed::<ApiTokens>(admin, Nothing).doing("manage API tokens"),
        listed::<CreateApiToken>(admin, Organization).doing("manage API tokens"),
        // Shows a new token once: the showing is spent.
        listed::<ApiTokenOnce>(admin, Organization).doing("manage API tokens"),
        listed::<RevokeApiToken>(admin, Organization).doing("manage API tokens"),
        listed::<EndSession>(read, OwnSession),
        listed::<EndOtherSessions>(read, OwnSession),
        listed::<InvitationDetails>(Anyone, Nothing),
        listed::<AcceptInvitation>(Anyone, Organization),
        listed::<JoinWithPassword>(Anyone, Organization),
        listed::<SupportInbox>(Operator, Nothing),
        listed::<CloseSupportRequest>(Operator, Organization),
        listed::<DeleteRequestedAccount>(Operator, Organization),
    ]
}

/// The registry's entry for `path` (`/api/sign_in`), from a map built once.
pub fn find(path: &str) -> Option<&'static Endpoint> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static BY_PATH: OnceLock<HashMap<&'static str, Endpoint>> = OnceLock::new();
    BY_PATH.get_or_init(|| all().into_iter().map(|e| (e.path, e)).collect()).get(path)
}

/// Refuses, before the endpoint reads any input, a caller whose role in their organization is
/// short of what the endpoint needs (403, saying who may), or who is not signed in (401). The
/// user it finds is handed on, so the endpoint does not look them up again.
#[cfg(feature = "ssr")]
pub async fn gate(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    session: tower_sessions::Session,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let Some(endpoint) = find(req.uri().path()).filter(|e| matches!(e.access, Access::Member(_))) else {
        return next.run(req).await;
    };
    let refused = match crate::auth::session::current(&session, &state).await {
        Err(err) => err,
        Ok(None) => crate::error::AppError::Unauthorized,
        Ok(Some(user)) if user.must_enrol && !endpoint.while_enrolling => crate::error::AppError::Forbidden(
            "Your organization requires a second factor. Add an authenticator app under Your account → Security first.".into(),
        ),
        Ok(Some(user)) => match endpoint.refusal(user.role) {
            Some(sentence) => crate::error::AppError::Forbidden(sentence),
            None => {
                req.extensions_mut().insert(user);
                return next.run(req).await;
            }
        },
    };
    refusal_response(endpoint.path, &req, refused)
}

/// An error before the endpoint ran, in the shape its own errors have: JSON for the app's
/// fetches, the sentence as text for a browser's plain form post.
#[cfg(feature = "ssr")]
fn refusal_response(path: &str, req: &axum::extract::Request, err: crate::error::AppError) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        return err.into_response();
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&err).unwrap_or_default();
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(value) = HeaderValue::from_str(path) {
        res.headers_mut().insert(leptos::server_fn::error::SERVER_FN_ERROR_HEADER, value);
    }
    res
}

/// The fields `T` reads (a server function's arguments), asked of its derived `Deserialize`
/// with no input: it names them to `deserialize_struct` before reading anything.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names read")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_from_the_arguments() {
        let sign_in = all().into_iter().find(|e| e.name() == "sign_in").map(|e| e.fields);
        assert_eq!(sign_in, Some(&["email", "password", "next"][..]));
        let sign_out = all().into_iter().find(|e| e.name() == "sign_out").map(|e| e.fields);
        assert_eq!(sign_out, Some(&[][..]));
    }
}
