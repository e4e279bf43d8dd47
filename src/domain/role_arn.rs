use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleArn {
    partition: String,
    account_id: String,
    /// "/" or "/a/b/", as IAM writes paths.
    path: String,
    name: String,
}

pub const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

impl RoleArn {
    pub const FIELD: &'static str = "role_arn";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let err = |m: &str| AppError::invalid(Self::FIELD, m);
        let value = raw.trim();
        if value.is_empty() {
            return Err(err("Paste the AWS Role ARN from the stack's Outputs tab."));
        }
        if value.len() > 2048 {
            return Err(err("That is too long for an AWS Role ARN."));
        }
        let shape = "An AWS Role ARN looks like arn:aws:iam::123456789012:role/XopsReadOnlyAccess.";
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let [arn, partition, service, region, account_id, resource] = parts.as_slice() else {
            return Err(err(shape));
        };
        if *arn != "arn" {
            return Err(err(shape));
        }
        if !PARTITIONS.contains(partition) {
            return Err(err("The ARN's partition must be aws, aws-cn or aws-us-gov."));
        }
        if *service != "iam" {
            return Err(err("This is not an IAM ARN: a role ARN starts with arn:aws:iam::."));
        }
        if !region.is_empty() {
            return Err(err("IAM ARNs have no region: a role ARN starts with arn:aws:iam:: (two colons)."));
        }
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("The account in the ARN must be the 12-digit AWS account ID."));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(err("This ARN is not a role: it must contain :role/ followed by the role name."));
        };
        let (path, name) = match path_and_name.rsplit_once('/') {
            Some((path, name)) => (format!("/{path}/"), name),
            None => ("/".to_string(), path_and_name),
        };
        if path.len() > 512 || path.contains("//") || !path.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(err("The role path in the ARN is not a valid IAM path."));
        }
        if name.is_empty() || name.len() > 64 {
            return Err(err("A role name has 1 to 64 characters."));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)) {
            return Err(err("A role name may contain only letters, digits and + = , . @ _ -"));
        }
        Ok(RoleArn {
            partition: partition.to_string(),
            account_id: account_id.to_string(),
            path,
            name: name.to_string(),
        })
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:iam::{}:role{}{}", self.partition, self.account_id, self.path, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_role_arns_parse_and_print_back() {
        for ok in [
            "arn:aws:iam::123456789012:role/XopsReadOnlyAccess",
            "arn:aws-cn:iam::123456789012:role/Xops",
            "arn:aws-us-gov:iam::123456789012:role/Xops",
            "arn:aws:iam::123456789012:role/service-role/Xops",
            "arn:aws:iam::123456789012:role/a/b/c/Xops+=,.@_-1",
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(64)),
        ] {
            let arn = RoleArn::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(arn.to_string(), ok);
        }
        let arn = RoleArn::parse("  arn:aws:iam::123456789012:role/ops/Xops \n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((arn.account_id(), arn.name(), arn.partition()), ("123456789012", "Xops", "aws"));
    }

    #[test]
    fn invalid_role_arns_are_refused_at_the_field() {
        for bad in [
            "",
            "   ",
            "XopsReadOnlyAccess",
            "arn:aws:iam::123456789012",
            "arn:aws:iam::123456789012:user/Xops",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/ops/",
            "arn:aws:iam::12345678901:role/Xops",
            "arn:aws:iam::1234567890123:role/Xops",
            "arn:aws:iam::12345678901a:role/Xops",
            "arn:aws:iam:us-east-1:123456789012:role/Xops",
            "arn:aws:sts::123456789012:assumed-role/Xops/session",
            "arn:gcp:iam::123456789012:role/Xops",
            "arn:AWS:iam::123456789012:role/Xops",
            "arm:aws:iam::123456789012:role/Xops",
            "arn:aws:iam::123456789012:role/Xops Role",
            "arn:aws:iam::123456789012:role/Xops*",
            "arn:aws:iam::123456789012:role/ops//Xops",
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
            "arn:aws:iam::123456789012:role/Xöps",
        ] {
            let err = RoleArn::parse(bad).expect_err(bad);
            assert_eq!(err.field(), Some("role_arn"), "{bad}");
        }
    }
}
