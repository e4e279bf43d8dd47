//! The CloudFormation template that creates the read-only role Xops assumes. One per kind of
//! account; the organization's External ID is its default when downloaded signed in, and a
//! required parameter when AWS fetches it for a Launch Stack quick-create.
use serde_json::json;

use crate::domain::AwsKind;

/// The extra read actions each kind needs beyond SecurityAudit and ViewOnlyAccess.
fn extra_actions(kind: AwsKind) -> Option<(&'static str, Vec<&'static str>)> {
    match kind {
        AwsKind::Management => Some((
            "XopsOrganizationsAndBillingRead",
            vec![
                "organizations:Describe*",
                "organizations:List*",
                "ce:Describe*",
                "ce:Get*",
                "ce:List*",
                "cur:DescribeReportDefinitions",
                "budgets:ViewBudget",
                "billing:GetBillingData",
                "billing:GetBillingDetails",
                "account:GetAccountInformation",
            ],
        )),
        AwsKind::Linked => None,
        AwsKind::Eks => Some(("XopsEksRead", vec!["eks:ListClusters", "eks:DescribeCluster"])),
    }
}

/// `arn:aws:iam::1:role/X` → `arn:${AWS::Partition}:iam::1:role/X`, for `Fn::Sub`.
fn with_partition_variable(principal_arn: &str) -> String {
    match principal_arn.splitn(3, ':').collect::<Vec<_>>().as_slice() {
        ["arn", _, rest] => format!("arn:${{AWS::Partition}}:{rest}"),
        _ => principal_arn.to_string(),
    }
}

/// Renders the template as YAML. Every value is written as a JSON string (a valid YAML
/// scalar), so nothing a setting holds can change the document's structure.
pub fn render(kind: AwsKind, principal_arn: &str, external_id: Option<&str>) -> String {
    let q = |s: &str| json!(s).to_string();
    let mut out = String::new();
    out.push_str("AWSTemplateFormatVersion: \"2010-09-09\"\n");
    out.push_str(&format!(
        "Description: {}\n",
        q(&format!(
            "Xops 360 read-only access ({}). Creates one IAM role that only Xops can assume, with your External ID.",
            kind.stack_name()
        ))
    ));
    out.push_str("Parameters:\n  ExternalId:\n    Type: String\n");
    out.push_str("    Description: \"The External ID that Xops 360 shows for your organization. Do not change it.\"\n");
    out.push_str("    MinLength: 2\n    MaxLength: 1224\n    AllowedPattern: \"[\\\\w+=,.@:/-]*\"\n");
    if let Some(external_id) = external_id {
        out.push_str(&format!("    Default: {}\n", q(external_id)));
    }
    out.push_str(&format!("  RoleName:\n    Type: String\n    Default: {}\n", q(kind.role_name())));
    out.push_str("Resources:\n  XopsRole:\n    Type: \"AWS::IAM::Role\"\n    Properties:\n");
    out.push_str("      RoleName: { \"Ref\": \"RoleName\" }\n");
    out.push_str("      MaxSessionDuration: 3600\n");
    out.push_str("      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n");
    out.push_str("          - Effect: Allow\n            Principal:\n");
    out.push_str(&format!("              AWS: {{ \"Fn::Sub\": {} }}\n", q(&with_partition_variable(principal_arn))));
    out.push_str("            Action: \"sts:AssumeRole\"\n            Condition:\n              StringEquals:\n");
    out.push_str("                \"sts:ExternalId\": { \"Ref\": \"ExternalId\" }\n");
    out.push_str("      ManagedPolicyArns:\n");
    out.push_str("        - { \"Fn::Sub\": \"arn:${AWS::Partition}:iam::aws:policy/SecurityAudit\" }\n");
    out.push_str("        - { \"Fn::Sub\": \"arn:${AWS::Partition}:iam::aws:policy/job-function/ViewOnlyAccess\" }\n");
    if let Some((policy_name, actions)) = extra_actions(kind) {
        out.push_str(&format!("      Policies:\n        - PolicyName: {}\n", q(policy_name)));
        out.push_str("          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n");
        out.push_str("              - Effect: Allow\n                Resource: \"*\"\n                Action:\n");
        for action in actions {
            out.push_str(&format!("                  - {}\n", q(action)));
        }
    }
    out.push_str("Outputs:\n  RoleArn:\n    Description: \"Copy this AWS Role ARN into Xops 360\"\n");
    out.push_str("    Value: { \"Fn::GetAtt\": [\"XopsRole\", \"Arn\"] }\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> serde_yaml::Value {
        serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{yaml}"))
    }

    #[test]
    fn the_role_trusts_the_principal_only_with_the_external_id() {
        let yaml =
            render(AwsKind::Management, "arn:aws:iam::111122223333:role/XopsPlatform", Some("xops-0123abcd"));
        let doc = parse(&yaml);
        let params = &doc["Parameters"]["ExternalId"];
        assert_eq!(params["Default"].as_str(), Some("xops-0123abcd"));
        let statement = &doc["Resources"]["XopsRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(
            statement["Principal"]["AWS"]["Fn::Sub"].as_str(),
            Some("arn:${AWS::Partition}:iam::111122223333:role/XopsPlatform")
        );
        assert_eq!(statement["Condition"]["StringEquals"]["sts:ExternalId"]["Ref"].as_str(), Some("ExternalId"));
        assert_eq!(doc["Outputs"]["RoleArn"]["Value"]["Fn::GetAtt"][0].as_str(), Some("XopsRole"));
        let policies = doc["Resources"]["XopsRole"]["Properties"]["ManagedPolicyArns"].as_sequence().map(Vec::len);
        assert_eq!(policies, Some(2));
        assert!(yaml.contains("organizations:List*") && yaml.contains("ce:Get*"));
        assert!(!yaml.contains("arn:aws:"), "no hard-coded partition");
    }

    #[test]
    fn eks_adds_cluster_reads_and_linked_adds_nothing() {
        let eks = render(AwsKind::Eks, "arn:aws:iam::111122223333:root", None);
        let doc = parse(&eks);
        assert!(doc["Parameters"]["ExternalId"].get("Default").is_none(), "AWS fetches it without our session");
        assert!(eks.contains("eks:ListClusters") && eks.contains("eks:DescribeCluster"));
        let linked = parse(&render(AwsKind::Linked, "arn:aws:iam::111122223333:root", Some("x1")));
        assert!(linked["Resources"]["XopsRole"]["Properties"].get("Policies").is_none());
    }

    #[test]
    fn hostile_setting_values_stay_strings() {
        let yaml = render(AwsKind::Linked, "arn:aws:iam::1:role/x\"\nEvil: true", Some("a\"\nb: c"));
        let doc = parse(&yaml);
        assert!(doc.get("Evil").is_none());
        assert_eq!(doc["Parameters"]["ExternalId"]["Default"].as_str(), Some("a\"\nb: c"));
    }
}
