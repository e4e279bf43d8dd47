//! The providers the portal links and the Integrations cards that hold them: the one place
//! that lists them. Every decision per provider is an exhaustive `match` here or in
//! `integrations/`, so adding one makes the compiler name every place to wire it.
use serde::{Deserialize, Serialize};

use super::aws::AwsKind;
use super::microsoft::MsService;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Eks,
    Azure,
    M365,
    Entra,
}

impl Provider {
    pub const ALL: [Provider; 5] = [Provider::Aws, Provider::Eks, Provider::Azure, Provider::M365, Provider::Entra];

    /// The `provider` column (also the value in URLs and notices).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Eks => "eks",
            Provider::Azure => "azure",
            Provider::M365 => "m365",
            Provider::Entra => "entra",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Eks => "EKS",
            Provider::Azure => "Azure",
            Provider::M365 => "Microsoft 365",
            Provider::Entra => "Microsoft Entra ID",
        }
    }

    /// What its accounts' external id is: lists head that column with it.
    pub fn account_id_label(self) -> &'static str {
        match self {
            Provider::Aws | Provider::Eks => "Account ID",
            Provider::Azure | Provider::M365 | Provider::Entra => "Tenant ID",
        }
    }

    pub fn card(self) -> Card {
        match self {
            Provider::Aws => Card::Aws,
            Provider::Eks => Card::Eks,
            Provider::Azure => Card::Azure,
            Provider::M365 | Provider::Entra => Card::Microsoft,
        }
    }

    /// The confirmation after a link, in this provider's own terms (`?notice=linked-<provider>`).
    pub fn linked_notice(self) -> &'static str {
        match self {
            Provider::Aws | Provider::Eks => "Account connected. Xops verified the role with your External ID.",
            Provider::Azure => {
                "Account connected. Xops signed in with your certificate: choose the subscriptions to connect below."
            }
            Provider::M365 => {
                "Account connected. Xops signed in with your certificate and the app holds Exchange.ManageAsApp."
            }
            Provider::Entra => {
                "Account connected. Xops signed in with your certificate and the app holds AccessReview.Read.All."
            }
        }
    }

    /// The kind column as lists show it ("Management"), where the provider has kinds.
    pub fn kind_label(self, kind: &str) -> Option<&'static str> {
        match self {
            Provider::Aws => AwsKind::of(self, kind).map(AwsKind::short_label),
            Provider::Eks | Provider::Azure | Provider::M365 | Provider::Entra => None,
        }
    }

    /// "AWS (Management)", or just the provider where it has one kind of account.
    pub fn label_with_kind(self, kind: &str) -> String {
        match self.kind_label(kind) {
            Some(kind) => format!("{} ({kind})", self.label()),
            None => self.label().to_string(),
        }
    }

    /// Where this kind of account's setup instructions are: its link page (the guide's "i").
    pub fn setup_href(self, kind: &str) -> String {
        match self {
            Provider::Aws => match AwsKind::of(self, kind) {
                Some(AwsKind::Management) => "/integrations/aws/link/management".into(),
                Some(AwsKind::Linked) | Some(AwsKind::Eks) | None => "/integrations/aws/link/linked".into(),
            },
            Provider::Eks => Card::Eks.href(),
            Provider::Azure => MsService::Azure.page().into(),
            Provider::M365 => MsService::M365.page().into(),
            Provider::Entra => MsService::Entra.page().into(),
        }
    }

    /// Accounts the portal never deletes itself: an AWS management account goes through a
    /// support request (the guide), since its linked accounts are checked through it.
    pub fn deleted_through_support(self, kind: &str) -> bool {
        AwsKind::of(self, kind) == Some(AwsKind::Management)
    }

    /// The accounts verified through this one, as (provider, kind): a management account's
    /// linked accounts.
    pub fn dependents(self, kind: &str) -> Option<(Provider, &'static str)> {
        match AwsKind::of(self, kind)? {
            AwsKind::Management => Some((Provider::Aws, AwsKind::Linked.kind_column())),
            AwsKind::Linked | AwsKind::Eks => None,
        }
    }
}

/// The Integrations cards, in the guide's order; Microsoft holds both M365 and Entra ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Card {
    Aws,
    Azure,
    Microsoft,
    Eks,
}

impl Card {
    pub const ALL: [Card; 4] = [Card::Aws, Card::Azure, Card::Microsoft, Card::Eks];

    pub fn slug(self) -> &'static str {
        match self {
            Card::Aws => "aws",
            Card::Azure => "azure",
            Card::Microsoft => "microsoft",
            Card::Eks => "eks",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Card> {
        Card::ALL.into_iter().find(|c| c.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            Card::Aws => "AWS (Amazon Web Services)",
            Card::Azure => "Azure",
            Card::Microsoft => "Microsoft",
            Card::Eks => "EKS",
        }
    }

    /// The guide asks the account's type first ("Select AWS Account Type") for these cards.
    pub fn asks_account_type(self) -> bool {
        match self {
            Card::Aws => true,
            Card::Azure | Card::Microsoft | Card::Eks => false,
        }
    }

    /// The card's name inside a sentence ("No Azure accounts linked yet").
    pub fn noun(self) -> &'static str {
        match self {
            Card::Aws => "AWS",
            Card::Azure => "Azure",
            Card::Microsoft => "Microsoft",
            Card::Eks => "EKS",
        }
    }

    /// The card's button on Integrations, in the guide's words.
    pub fn add_label(self) -> &'static str {
        match self {
            Card::Aws | Card::Azure | Card::Eks => "Add Account",
            Card::Microsoft => "Add Account for Microsoft",
        }
    }

    /// What the first-login selection page says under the card's title.
    pub fn blurb(self) -> &'static str {
        match self {
            Card::Aws => "Cross-account IAM role with an External ID",
            Card::Eks => "Amazon Elastic Kubernetes Service clusters",
            Card::Azure => "App registration with a certificate",
            Card::Microsoft => "Microsoft 365 and Microsoft Entra ID",
        }
    }

    /// The first-login selection page lists the cards as the guide does: AWS, EKS, Azure, Microsoft.
    pub fn selection_rank(self) -> u8 {
        match self {
            Card::Aws => 0,
            Card::Eks => 1,
            Card::Azure => 2,
            Card::Microsoft => 3,
        }
    }

    pub fn href(self) -> String {
        format!("/integrations/{}", self.slug())
    }

    pub fn holds(self, provider: Provider) -> bool {
        provider.card() == self
    }

    /// The providers under this card, in `Provider::ALL` order.
    pub fn providers(self) -> impl Iterator<Item = Provider> {
        Provider::ALL.into_iter().filter(move |p| p.card() == self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Connected,
    Warning,
    Failed,
}

impl AccountStatus {
    pub fn parse(s: &str) -> AccountStatus {
        match s {
            "connected" => AccountStatus::Connected,
            "warning" => AccountStatus::Warning,
            _ => AccountStatus::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Connected => "connected",
            AccountStatus::Warning => "warning",
            AccountStatus::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::Connected => "Connected",
            AccountStatus::Warning => "Warning",
            AccountStatus::Failed => "Failed",
        }
    }

    pub fn css_class(self) -> &'static str {
        match self {
            AccountStatus::Connected => "status status-connected",
            AccountStatus::Warning => "status status-warning",
            AccountStatus::Failed => "status status-failed",
        }
    }
}

/// What a verification found, whatever the provider: stored with the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub status: AccountStatus,
    /// What the check saw, or the warning's cause and fix.
    pub message: String,
}

/// Why an account is verified: to link it (nothing is saved yet; a refusal says how to set it
/// up), again once saved (Re-test, the scheduled checks; a refusal says what changed), or with
/// a renewal's new certificate before it replaces the current one (Verify and switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Link,
    Recheck,
    Renewal,
    /// A member account linked from its AWS Organization's tree (a StackSet made its role).
    Member,
}

/// What started a check, as its history row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CheckReason {
    Link,
    Retest,
    Scheduled,
    /// Verify and switch: the account signed in with its new certificate.
    Renewal,
}

impl CheckReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckReason::Link => "link",
            CheckReason::Retest => "retest",
            CheckReason::Scheduled => "scheduled",
            CheckReason::Renewal => "renewal",
        }
    }

    pub fn parse(s: &str) -> CheckReason {
        match s {
            "link" => CheckReason::Link,
            "retest" => CheckReason::Retest,
            "renewal" => CheckReason::Renewal,
            _ => CheckReason::Scheduled,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckReason::Link => "Linked",
            CheckReason::Retest => "Re-test",
            CheckReason::Scheduled => "Scheduled check",
            CheckReason::Renewal => "Certificate switched",
        }
    }
}

impl Verified {
    pub fn connected(message: impl Into<String>) -> Verified {
        Verified { status: AccountStatus::Connected, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_belongs_to_one_card_and_every_card_holds_one() {
        assert_eq!(Provider::M365.card(), Card::Microsoft);
        assert_eq!(Provider::Entra.card(), Card::Microsoft);
        assert_eq!(Card::Microsoft.providers().collect::<Vec<_>>(), [Provider::M365, Provider::Entra]);
        for card in Card::ALL {
            assert!(card.providers().next().is_some(), "{card:?} holds no provider");
        }
        assert_eq!(Card::from_slug("eks"), Some(Card::Eks));
        assert_eq!(Card::from_slug("gcp"), None);
    }

    #[test]
    fn names_parse_back() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn only_aws_management_accounts_need_support_to_be_deleted() {
        assert!(Provider::Aws.deleted_through_support("management"));
        assert!(!Provider::Aws.deleted_through_support("linked"));
        assert!(!Provider::Azure.deleted_through_support("management"));
        assert_eq!(Provider::Aws.dependents("management"), Some((Provider::Aws, "linked")));
        assert_eq!(Provider::Eks.dependents(""), None);
    }

    #[test]
    fn microsoft_links_do_not_claim_an_external_id() {
        assert!(Provider::Aws.linked_notice().contains("External ID"));
        for p in [Provider::Azure, Provider::M365, Provider::Entra] {
            assert!(!p.linked_notice().contains("External ID"), "{p:?}");
        }
    }
}
