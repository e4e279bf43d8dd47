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

/// The StackSet that gives every member account under the chosen targets the Linked Account
/// role, now and when accounts join: the management template's, when `MemberTargets` is set.
pub const STACK_SET_NAME: &str = "Xops-Member-Accounts";

/// An organization root (`r-…`) or organizational unit (`ou-…-…`) id, as AWS writes them.
pub fn is_target_id(id: &str) -> bool {
    let part = |s: &str, min: usize| (min..=32).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    match id.split('-').collect::<Vec<_>>().as_slice() {
        ["r", root] => part(root, 4),
        ["ou", root, unit] => part(root, 4) && part(unit, 8),
        _ => false,
    }
}

/// Renders the template as YAML. Every value is written as a JSON string (a valid YAML
/// scalar), so nothing a setting holds can change the document's structure. `targets` are
/// the management template's default `MemberTargets` (ids checked by `is_target_id`).
pub fn render(kind: AwsKind, principal_arn: &str, external_id: Option<&str>, targets: &[String]) -> String {
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
    let stack_set = match kind {
        AwsKind::Management => true,
        AwsKind::Linked | AwsKind::Eks => false,
    };
    if stack_set {
        out.push_str("  MemberTargets:\n    Type: CommaDelimitedList\n");
        out.push_str("    Description: \"Organization root or OU ids whose accounts get the Xops member role (blank: none)\"\n");
        out.push_str(&format!("    Default: {}\n", q(&targets.join(","))));
        out.push_str("Conditions:\n  DeployMemberRoles:\n");
        out.push_str("    \"Fn::Not\": [{ \"Fn::Equals\": [{ \"Fn::Join\": [\"\", { \"Ref\": \"MemberTargets\" }] }, \"\"] }]\n");
    }
    out.push_str("Resources:\n");
    if stack_set {
        member_stack_set(&mut out, principal_arn);
    }
    out.push_str("  XopsRole:\n    Type: \"AWS::IAM::Role\"\n    Properties:\n");
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

/// The service-managed StackSet: the Linked Account template in every account under
/// `MemberTargets`, in this stack's region (IAM is global), kept there as accounts join.
fn member_stack_set(out: &mut String, principal_arn: &str) {
    let q = |s: &str| json!(s).to_string();
    out.push_str("  XopsMemberRoles:\n    Type: \"AWS::CloudFormation::StackSet\"\n    Condition: DeployMemberRoles\n");
    out.push_str("    Properties:\n");
    out.push_str(&format!("      StackSetName: {}\n", q(STACK_SET_NAME)));
    out.push_str("      Description: \"Xops 360 read-only role in each member account (Linked Account template)\"\n");
    out.push_str("      PermissionModel: SERVICE_MANAGED\n");
    out.push_str("      AutoDeployment:\n        Enabled: true\n        RetainStacksOnAccountRemoval: false\n");
    out.push_str("      ManagedExecution:\n        Active: true\n");
    out.push_str("      Capabilities: [\"CAPABILITY_NAMED_IAM\"]\n");
    out.push_str("      OperationPreferences:\n        FailureTolerancePercentage: 100\n        MaxConcurrentPercentage: 100\n");
    out.push_str("      Parameters:\n        - ParameterKey: ExternalId\n          ParameterValue: { \"Ref\": \"ExternalId\" }\n");
    out.push_str("      StackInstancesGroup:\n        - DeploymentTargets:\n            OrganizationalUnitIds: { \"Ref\": \"MemberTargets\" }\n");
    out.push_str("          Regions: [{ \"Ref\": \"AWS::Region\" }]\n");
    out.push_str(&format!("      TemplateBody: {}\n", q(&render(AwsKind::Linked, principal_arn, None, &[]))));
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
            render(AwsKind::Management, "arn:aws:iam::111122223333:role/XopsPlatform", Some("xops-0123abcd"), &[]);
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
        let eks = render(AwsKind::Eks, "arn:aws:iam::111122223333:root", None, &[]);
        let doc = parse(&eks);
        assert!(doc["Parameters"]["ExternalId"].get("Default").is_none(), "AWS fetches it without our session");
        assert!(eks.contains("eks:ListClusters") && eks.contains("eks:DescribeCluster"));
        let linked = parse(&render(AwsKind::Linked, "arn:aws:iam::111122223333:root", Some("x1"), &[]));
        assert!(linked["Resources"]["XopsRole"]["Properties"].get("Policies").is_none());
    }

    #[test]
    fn hostile_setting_values_stay_strings() {
        let yaml = render(AwsKind::Linked, "arn:aws:iam::1:role/x\"\nEvil: true", Some("a\"\nb: c"), &[]);
        let doc = parse(&yaml);
        assert!(doc.get("Evil").is_none());
        assert_eq!(doc["Parameters"]["ExternalId"]["Default"].as_str(), Some("a\"\nb: c"));
    }

    #[test]
    fn the_management_template_deploys_member_roles_to_the_chosen_targets_only_when_asked() {
        let targets = vec!["r-ab12".to_string(), "ou-ab12-abcdefgh".to_string()];
        let doc = parse(&render(AwsKind::Management, "arn:aws:iam::111122223333:role/P", Some("xops-1"), &targets));
        assert_eq!(doc["Parameters"]["MemberTargets"]["Default"].as_str(), Some("r-ab12,ou-ab12-abcdefgh"));
        let set = &doc["Resources"]["XopsMemberRoles"];
        assert_eq!(set["Condition"].as_str(), Some("DeployMemberRoles"));
        assert_eq!(set["Properties"]["PermissionModel"].as_str(), Some("SERVICE_MANAGED"));
        assert_eq!(set["Properties"]["AutoDeployment"]["Enabled"].as_bool(), Some(true));
        // The member stacks are the Linked Account template, trusting the principal with the External ID.
        let body = parse(set["Properties"]["TemplateBody"].as_str().unwrap_or_default());
        let statement = &body["Resources"]["XopsRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(statement["Principal"]["AWS"]["Fn::Sub"].as_str(), Some("arn:${AWS::Partition}:iam::111122223333:role/P"));
        assert_eq!(statement["Condition"]["StringEquals"]["sts:ExternalId"]["Ref"].as_str(), Some("ExternalId"));
        assert_eq!(set["Properties"]["Parameters"][0]["ParameterValue"]["Ref"].as_str(), Some("ExternalId"));
        // No StackSet in the other templates; without targets the condition leaves it out.
        let blank = parse(&render(AwsKind::Management, "arn:aws:iam::1:role/P", None, &[]));
        assert_eq!(blank["Parameters"]["MemberTargets"]["Default"].as_str(), Some(""));
        assert!(parse(&render(AwsKind::Linked, "arn:aws:iam::1:role/P", None, &[]))["Resources"].get("XopsMemberRoles").is_none());
    }

    #[test]
    fn target_ids_are_roots_or_units() {
        assert!(is_target_id("r-ab12") && is_target_id("ou-ab12-abcdefgh"));
        for bad in ["", "r-", "r-AB12", "ou-ab12", "ou-ab12-abc", "r-ab12,x", "123456789012", "ou-ab12-abcdefgh-x"] {
            assert!(!is_target_id(bad), "{bad}");
        }
    }
}
