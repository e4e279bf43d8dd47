//! What the API answers and takes, as types: the handlers answer with them, and the OpenAPI
//! document (`openapi.rs`) describes them from the same definitions, examples included.
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AccountStatus, Provider};

/// The organization the token belongs to.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "name": "Acme", "external_id": "xops-3f9a1c2b7d4e", "aws_principal": "arn:aws:iam::999999999999:root"}))]
pub struct Organization {
    pub id: i64,
    pub name: String,
    /// What the organization's AWS roles must require (`sts:ExternalId`) in their trust policy.
    pub external_id: String,
    /// The AWS principal those roles trust (`Principal.AWS`), or null if the portal cannot tell now.
    pub aws_principal: Option<String>,
}

/// A linked cloud account.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": 42, "provider": "aws", "kind": "linked", "name": "Payments production",
    "external_account_id": "123456789012", "status": "connected", "status_message": "",
    "last_checked": "2026-12-07 09:30 UTC", "certificate_expires": null
}))]
pub struct Account {
    pub id: i64,
    #[schema(value_type = ProviderName)]
    pub provider: Provider,
    /// For AWS accounts: `management`, `linked` or `eks`; null for Microsoft ones.
    pub kind: Option<String>,
    pub name: String,
    /// The AWS account ID, or the Microsoft tenant ID.
    pub external_account_id: String,
    #[schema(value_type = StatusName)]
    pub status: AccountStatus,
    /// What the last check found, with what to fix when it is not `connected`.
    pub status_message: String,
    /// When it was last checked ("2026-12-07 09:30 UTC"), or null if never.
    pub last_checked: Option<String>,
    /// For accounts that sign in with a certificate: the day it expires.
    pub certificate_expires: Option<String>,
}

impl From<&crate::accounts::AccountSummary> for Account {
    fn from(a: &crate::accounts::AccountSummary) -> Account {
        let kind = a.kind.column();
        Account {
            id: a.id,
            provider: a.provider,
            kind: (!kind.is_empty()).then(|| kind.to_string()),
            name: a.name.clone(),
            external_account_id: a.external_account_id.clone(),
            status: a.status,
            status_message: a.status_message.clone(),
            last_checked: a.last_checked.clone(),
            certificate_expires: a.certificate_expires.clone(),
        }
    }
}

/// The providers, as the API names them.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described: accounts carry `domain::Provider`, which serialises the same
pub enum ProviderName {
    Aws,
    Eks,
    Azure,
    M365,
    Entra,
}

/// An account's health: `connected`, `warning` (works, with something to fix soon) or `failed`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described: accounts carry `domain::AccountStatus`
pub enum StatusName {
    Connected,
    Warning,
    Failed,
}

/// A page of accounts.
#[derive(Serialize, ToSchema)]
pub struct AccountPage {
    pub accounts: Vec<Account>,
    /// Pass as `cursor` for the next page; null on the last.
    #[schema(example = "42")]
    pub next_cursor: Option<String>,
}

/// One check of an account.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"checked_at": "2026-12-07 09:30 UTC", "reason": "scheduled", "status": "connected", "message": "", "duration_ms": 312}))]
pub struct Check {
    pub checked_at: String,
    /// What started it: `linked`, `scheduled`, `retest`, …
    pub reason: String,
    #[schema(value_type = StatusName)]
    pub status: String,
    pub message: String,
    pub duration_ms: i64,
}

/// A page of an account's checks, newest first.
#[derive(Serialize, ToSchema)]
pub struct CheckPage {
    pub checks: Vec<Check>,
    /// Pass as `before` for older checks; null on the last page.
    #[schema(example = "9001")]
    pub next_before: Option<String>,
}

/// The health dashboard's counts.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"connected": 12, "warning": 1, "failed": 0, "certificates_expiring": 1}))]
pub struct HealthCounts {
    pub connected: i64,
    pub warning: i64,
    pub failed: i64,
    /// Accounts whose certificate expires within 30 days.
    pub certificates_expiring: i64,
}

/// Control characters (Cc) and format characters (Cf), as `domain::has_control_chars` and
/// `domain::has_format_chars` refuse them.
macro_rules! not_in_names {
    () => { concat!(
    r"\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e",
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb",
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f",
    ) };
}
/// What an account name may hold, as a JSON Schema pattern (Python's and ECMAScript's syntax):
/// one line of 1 to 64 characters with no control or invisible format characters
/// (`domain::names`), around which spaces are trimmed. Set on the schemas by `openapi.rs`.
pub const ACCOUNT_NAME_PATTERN: &str = concat!(
    r"^\s*[^\s", not_in_names!(), r"](?:[^", not_in_names!(), r"]*[^\s", not_in_names!(), r"])?\s*$"
);
/// The longest account name, spaces around it included (`domain::AccountName`).
pub const ACCOUNT_NAME_MAX: usize = 64;

/// `PATCH /api/v1/accounts/{id}`.
#[derive(ToSchema)]
#[allow(dead_code)] // only described: the handler reads the body field by field, to name the wrong one
#[schema(example = json!({"name": "Payments production"}))]
pub struct Rename {
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
}

/// `POST /api/v1/accounts/aws`: the Link form's fields.
#[derive(ToSchema)]
#[allow(dead_code)] // only described, as `Rename`
#[schema(example = json!({"name": "Payments production", "role_arn": "arn:aws:iam::123456789012:role/XopsReadOnly", "kind": "linked"}))]
pub struct LinkAws {
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// The role's ARN, which trusts Xops with the organization's External ID.
    #[schema(pattern = "^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([!-.0-~]+/)*[A-Za-z0-9+=,.@_-]{1,64}$")]
    pub role_arn: String,
    pub kind: AwsKindName,
}

/// What an AWS account is to the portal.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum AwsKindName {
    Management,
    Linked,
    Eks,
}

/// An RFC 9457 problem: every refusal, with the sentence the page would show.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank", "title": "Conflict", "status": 409,
    "detail": "This role is linked already, as Payments production.", "field": "role_arn"
}))]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What happened and what to do.
    pub detail: String,
    /// The request's field, parameter or header that was wrong, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A Microsoft service an app registration is linked for.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described: the handlers parse it with `domain::MsService`
pub enum MicrosoftService {
    Azure,
    M365,
    Entra,
}

/// `POST /api/v1/certificates`.
#[derive(ToSchema)]
#[allow(dead_code)] // only described, as `Rename`
#[schema(example = json!({"service": "azure"}))]
pub struct NewCertificate {
    pub service: MicrosoftService,
}

/// A certificate made for a Microsoft link: upload `certificate_pem` (the `.cer`) to the app
/// registration (Certificates & secrets → Certificates → Upload certificate). Its private key
/// never leaves the portal.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12, "service": "azure", "thumbprint": "3F2A9C0B1D4E5F60718293A4B5C6D7E8F9012345",
    "expires": "2027-12-07 16:00 UTC", "certificate_pem": "-----BEGIN CERTIFICATE-----\nMIIE…\n-----END CERTIFICATE-----\n"
}))]
pub struct Certificate {
    pub id: i64,
    #[schema(value_type = MicrosoftService)]
    pub service: String,
    /// SHA-1, as the app registration lists it.
    pub thumbprint: String,
    pub expires: String,
    pub certificate_pem: String,
}

/// `POST /api/v1/accounts/microsoft`: Connect's fields.
#[derive(ToSchema)]
#[allow(dead_code)] // only described, as `Rename`
#[schema(example = json!({
    "service": "azure", "name": "Contoso", "app_id": "6f1c2a9e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
    "tenant_id": "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a", "certificate_id": 12
}))]
pub struct LinkMicrosoft {
    pub service: MicrosoftService,
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// The app registration's Application (client) ID.
    #[schema(pattern = r"^\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$")]
    pub app_id: String,
    /// The Directory (tenant) ID.
    #[schema(pattern = r"^\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$")]
    pub tenant_id: String,
    /// Microsoft 365 only: the tenant's domain ending in .onmicrosoft.com.
    #[schema(pattern = r"^\s*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.[oO][nN][mM][iI][cC][rR][oO][sS][oO][fF][tT]\.[cC][oO][mM]\s*$")]
    pub organization_id: Option<String>,
    /// The `id` of the certificate made for it (`POST /api/v1/certificates`), uploaded to the
    /// app. Send this or `subject_id`.
    #[schema(minimum = 1)]
    pub certificate_id: Option<i64>,
    /// The `id` of the federated credential values made for it (`POST
    /// /api/v1/federated-credentials`), added to the app. Send this or `certificate_id`.
    #[schema(minimum = 1)]
    pub subject_id: Option<i64>,
}

/// The values of a federated credential for a Microsoft link with no certificate: add them to
/// the app registration (Certificates & secrets → Federated credentials → Add credential →
/// Other issuer), then Connect with `subject_id` = `id`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "service": "azure", "issuer": "https://xops.example.com",
    "subject": "xops:link:3f2a9c0b1d4e5f60718293a4b5c6d7e8", "audience": "api://AzureADTokenExchange"
}))]
pub struct FederatedCredential {
    pub id: i64,
    #[schema(value_type = MicrosoftService)]
    pub service: String,
    pub issuer: String,
    /// The Subject identifier (an explicit subject identifier).
    pub subject: String,
    pub audience: String,
}

/// An Azure subscription the app can see, and whether it is connected.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "11111111-0000-0000-0000-000000000001", "name": "Production", "state": "Enabled", "selected": true, "via_group": null}))]
pub struct Subscription {
    pub id: String,
    pub name: String,
    /// Azure's state: only `Enabled` ones can be connected.
    pub state: String,
    pub selected: bool,
    /// The selected management group that connected it, if one did.
    pub via_group: Option<String>,
}

/// A management group of the tenant: selected, everything under it is connected, now and later.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "platform", "name": "Platform", "selected": false}))]
pub struct ManagementGroup {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// An Azure account's subscriptions and management groups.
#[derive(Serialize, ToSchema)]
pub struct AzureSelection {
    pub subscriptions: Vec<Subscription>,
    pub management_groups: Vec<ManagementGroup>,
}

/// `PUT /api/v1/accounts/{id}/subscriptions`: what is connected. A list left out stays as it is.
#[derive(ToSchema)]
#[allow(dead_code)] // only described, as `Rename`
#[schema(example = json!({"selected": ["11111111-0000-0000-0000-000000000001"], "management_groups": []}))]
pub struct SelectionUpdate {
    /// The ids of the subscriptions to connect; the others not under a selected group are disconnected.
    pub selected: Option<Vec<String>>,
    /// The ids of the management groups to select.
    pub management_groups: Option<Vec<String>>,
}
