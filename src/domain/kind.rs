//! What kind of account a saved one is. The provider says it for all but AWS, whose roles are
//! an organization's management account, one of its members (linked), or EKS; the account
//! row keeps the provider and, for AWS, the kind (`column`).
use serde::{Deserialize, Serialize};

use super::aws::AwsKind;
use super::microsoft::MsService;
use super::provider::{Card, Provider};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountKind {
    /// An AWS role: a management or linked account (provider `aws`), or EKS (`eks`).
    Aws(AwsKind),
    /// An app registration for one Microsoft service.
    Microsoft(MsService),
}

impl AccountKind {
    /// The kind of a saved account, from its `provider` and `kind` columns.
    pub fn of(provider: Provider, column: &str) -> AccountKind {
        match provider {
            Provider::Aws if column == AwsKind::Management.kind_column() => AccountKind::Aws(AwsKind::Management),
            Provider::Aws => AccountKind::Aws(AwsKind::Linked),
            Provider::Eks => AccountKind::Aws(AwsKind::Eks),
            Provider::Azure => AccountKind::Microsoft(MsService::Azure),
            Provider::M365 => AccountKind::Microsoft(MsService::M365),
            Provider::Entra => AccountKind::Microsoft(MsService::Entra),
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            AccountKind::Aws(kind) => kind.provider(),
            AccountKind::Microsoft(service) => service.provider(),
        }
    }

    /// The account row's `kind` column ('' where the provider has one kind).
    pub fn column(self) -> &'static str {
        match self {
            AccountKind::Aws(kind) => kind.kind_column(),
            AccountKind::Microsoft(_) => "",
        }
    }

    pub fn aws(self) -> Option<AwsKind> {
        match self {
            AccountKind::Aws(kind) => Some(kind),
            AccountKind::Microsoft(_) => None,
        }
    }

    /// The kind as lists show it ("Management"), where the provider has kinds.
    pub fn short_label(self) -> Option<&'static str> {
        match self {
            AccountKind::Aws(kind @ (AwsKind::Management | AwsKind::Linked)) => Some(kind.short_label()),
            AccountKind::Aws(AwsKind::Eks) | AccountKind::Microsoft(_) => None,
        }
    }

    /// "AWS (Management)", or just the provider where it has one kind of account.
    pub fn label(self) -> String {
        match self.short_label() {
            Some(kind) => format!("{} ({kind})", self.provider().label()),
            None => self.provider().label().to_string(),
        }
    }

    /// Where this kind of account's setup instructions are: its link page (the guide's "i").
    pub fn setup_href(self) -> String {
        match self {
            AccountKind::Aws(AwsKind::Management) => "/integrations/aws/link/management".into(),
            AccountKind::Aws(AwsKind::Linked) => "/integrations/aws/link/linked".into(),
            AccountKind::Aws(AwsKind::Eks) => Card::Eks.href(),
            AccountKind::Microsoft(service) => service.page().into(),
        }
    }

    /// Accounts the portal never deletes itself: an AWS management account goes through a
    /// support request (the guide), since its linked accounts are checked through it.
    pub fn deleted_through_support(self) -> bool {
        self == AccountKind::Aws(AwsKind::Management)
    }

    /// The kind of the accounts verified through this one: a management account's linked accounts.
    pub fn dependents(self) -> Option<AccountKind> {
        match self {
            AccountKind::Aws(AwsKind::Management) => Some(AccountKind::Aws(AwsKind::Linked)),
            AccountKind::Aws(AwsKind::Linked | AwsKind::Eks) | AccountKind::Microsoft(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_and_column_reads_back() {
        for &provider in Provider::ALL {
            let kind = AccountKind::of(provider, "");
            assert_eq!(kind.provider(), provider);
            assert_eq!(AccountKind::of(provider, kind.column()), kind);
        }
        let management = AccountKind::of(Provider::Aws, "management");
        assert_eq!(management, AccountKind::Aws(AwsKind::Management));
        assert_eq!(management.label(), "AWS (Management)");
        assert_eq!(AccountKind::of(Provider::Eks, "").label(), "EKS");
    }

    #[test]
    fn only_aws_management_accounts_need_support_to_be_deleted() {
        let management = AccountKind::of(Provider::Aws, "management");
        assert!(management.deleted_through_support());
        assert!(!AccountKind::of(Provider::Aws, "linked").deleted_through_support());
        assert!(!AccountKind::of(Provider::Azure, "management").deleted_through_support());
        assert_eq!(management.dependents(), Some(AccountKind::Aws(AwsKind::Linked)));
        assert_eq!(AccountKind::of(Provider::Eks, "").dependents(), None);
    }
}
