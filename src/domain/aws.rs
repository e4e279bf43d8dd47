//! The kinds of account an AWS role gives Xops, and what each one's setup is called.
use serde::{Deserialize, Serialize};

use super::provider::Provider;

/// An AWS Organization's management account, one of its member (linked) accounts, or an
/// account whose EKS clusters Xops reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray)]
pub enum AwsKind {
    Management,
    Linked,
    Eks,
}

impl AwsKind {
    pub const ALL: &'static [AwsKind] = <AwsKind as strum::VariantArray>::VARIANTS;

    /// From a URL or form value (`as_str`).
    pub fn parse(s: &str) -> Option<AwsKind> {
        AwsKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AwsKind::Management => "management",
            AwsKind::Linked => "linked",
            AwsKind::Eks => "eks",
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            AwsKind::Management | AwsKind::Linked => Provider::Aws,
            AwsKind::Eks => Provider::Eks,
        }
    }

    /// The account row's kind column.
    pub fn kind_column(self) -> &'static str {
        match self {
            AwsKind::Management => "management",
            AwsKind::Linked => "linked",
            AwsKind::Eks => "",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AwsKind::Management => "Management Account",
            AwsKind::Linked => "Linked Account",
            AwsKind::Eks => "EKS",
        }
    }

    /// The kind as a list's Provider column shows it: "AWS (Management)".
    pub fn short_label(self) -> &'static str {
        match self {
            AwsKind::Management => "Management",
            AwsKind::Linked => "Linked",
            AwsKind::Eks => "EKS",
        }
    }

    /// The CloudFormation template's file name (`/aws/templates/{file}`).
    pub fn template_file(self) -> &'static str {
        match self {
            AwsKind::Management => "management.yaml",
            AwsKind::Linked => "linked.yaml",
            AwsKind::Eks => "eks.yaml",
        }
    }

    pub fn from_template_file(file: &str) -> Option<AwsKind> {
        AwsKind::ALL.iter().copied().find(|k| k.template_file() == file)
    }

    /// The role the template creates.
    pub fn role_name(self) -> &'static str {
        match self {
            AwsKind::Management | AwsKind::Linked => "XopsReadOnlyAccess",
            AwsKind::Eks => "XopsEksReadOnlyAccess",
        }
    }

    pub fn stack_name(self) -> &'static str {
        match self {
            AwsKind::Management => "Xops-Management-Account",
            AwsKind::Linked => "Xops-Linked-Account",
            AwsKind::Eks => "Xops-EKS",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_from_urls_and_template_files() {
        for &kind in AwsKind::ALL {
            assert_eq!(AwsKind::parse(kind.as_str()), Some(kind));
            assert_eq!(AwsKind::from_template_file(kind.template_file()), Some(kind));
        }
        assert_eq!(AwsKind::from_template_file("../x.yaml"), None);
    }
}
