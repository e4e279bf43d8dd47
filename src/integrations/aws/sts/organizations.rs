//! Reading a management account's AWS Organization with its role: the root, the organizational
//! units under it (any depth) and the accounts in each, with their state. Every list is read
//! page by page; the calls are made one after another, because AWS Organizations allows each
//! account only a few requests a second (the SDK retries when it is throttled).
use aws_sdk_organizations::types::Account;

use super::explain::{explain_failure, failure_message, Failure};
use super::Aws;
use crate::domain::RoleArn;
use crate::error::AppError;

/// The largest page AWS Organizations returns for these lists.
const PAGE: i32 = 20;

/// A root, an organizational unit or an account, under its parent (empty for a root).
#[derive(Debug, Clone, PartialEq)]
pub struct OrgNode {
    pub id: String,
    pub parent_id: String,
    pub kind: NodeKind,
    pub name: String,
    /// An account's state: ACTIVE, SUSPENDED, PENDING_CLOSURE …; empty for a root or a unit.
    pub state: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Root,
    Unit,
    Account,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Root => "root",
            NodeKind::Unit => "ou",
            NodeKind::Account => "account",
        }
    }

    pub fn parse(s: &str) -> NodeKind {
        match s {
            "root" => NodeKind::Root,
            "ou" => NodeKind::Unit,
            _ => NodeKind::Account,
        }
    }
}

/// An organization as one read found it.
#[derive(Debug, Clone)]
pub struct OrganizationRead {
    pub organization_id: String,
    /// Roots first, then each parent's units and accounts, parents before their children.
    pub nodes: Vec<OrgNode>,
    /// Requests made to AWS Organizations (for the benchmarks).
    pub requests: usize,
}

impl Aws {
    /// Reads the organization `management` (the management account's Xops role) belongs to.
    pub async fn read_organization(&self, management: &RoleArn, external_id: &str) -> Result<OrganizationRead, AppError> {
        let principal = self.principal_arn().await.unwrap_or_else(|_| "the Xops platform principal".into());
        let credentials = self
            .assume(management, Some(external_id))
            .await
            .map_err(|f| explain_failure(&f, management, &principal, external_id))?;
        let client = self.organizations(credentials);
        let explain = |f: Failure| explain_read(&f, management);
        let mut requests = 1;
        let described = self.call(client.describe_organization().send()).await.map_err(explain)?;
        let organization = described.organization();
        let organization_id = organization.and_then(|o| o.id()).unwrap_or_default().to_string();
        let master = organization.and_then(|o| o.master_account_id()).unwrap_or_default();
        if master != management.account_id() {
            return Err(AppError::Refused(format!(
                "AWS account {} is a member of {organization_id}, not its management account ({master}): only the \
                 management account can list the organization. Link account {master} as the management account.",
                management.account_id()
            )));
        }

        let mut nodes = Vec::new();
        let mut token = None;
        loop {
            let page = self.call(client.list_roots().set_next_token(token).send()).await.map_err(explain)?;
            requests += 1;
            for root in page.roots() {
                let id = root.id().unwrap_or_default().to_string();
                let name = crate::domain::visible_name(root.name().unwrap_or("Root"));
                nodes.push(OrgNode { id, parent_id: String::new(), kind: NodeKind::Root, name, state: String::new() });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }

        // Breadth first: each parent's units are appended and read in turn.
        let mut next = 0;
        while next < nodes.len() {
            let parent = nodes[next].clone();
            next += 1;
            if parent.kind == NodeKind::Account {
                continue;
            }
            let mut token = None;
            loop {
                let request = client.list_organizational_units_for_parent().parent_id(&parent.id).max_results(PAGE);
                let page = self.call(request.set_next_token(token).send()).await.map_err(explain)?;
                requests += 1;
                for unit in page.organizational_units() {
                    nodes.push(OrgNode {
                        id: unit.id().unwrap_or_default().to_string(),
                        parent_id: parent.id.clone(),
                        kind: NodeKind::Unit,
                        name: crate::domain::visible_name(unit.name().unwrap_or_default()),
                        state: String::new(),
                    });
                }
                token = page.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            let mut token = None;
            loop {
                let request = client.list_accounts_for_parent().parent_id(&parent.id).max_results(PAGE);
                let page = self.call(request.set_next_token(token).send()).await.map_err(explain)?;
                requests += 1;
                nodes.extend(page.accounts().iter().map(|a| account_node(a, &parent.id)));
                token = page.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(OrganizationRead { organization_id, nodes, requests })
    }
}

fn account_node(account: &Account, parent_id: &str) -> OrgNode {
    // `State` replaced `Status`; an organization answering only the older field still says
    // ACTIVE or SUSPENDED there.
    let state = match (account.state(), account.status()) {
        (Some(state), _) => state.as_str().to_string(),
        (None, Some(status)) => status.as_str().to_string(),
        (None, None) => String::new(),
    };
    OrgNode {
        id: account.id().unwrap_or_default().to_string(),
        parent_id: parent_id.to_string(),
        kind: NodeKind::Account,
        name: crate::domain::visible_name(account.name().unwrap_or_default()),
        state,
    }
}

/// The user-facing error for a failed read of the organization: cause and fix.
fn explain_read(f: &Failure, management: &RoleArn) -> AppError {
    let Failure::Service { code, .. } = f else {
        return AppError::Upstream(failure_message(f, None));
    };
    match code.as_str() {
        "AWSOrganizationsNotInUseException" => AppError::Refused(format!(
            "AWS account {} is not in an AWS Organization, so there is no organization to read. Create one in AWS \
             Organizations (or link this account's members one by one under Linked Account).",
            management.account_id()
        )),
        "AccessDeniedException" | "AccessDenied" => AppError::Refused(format!(
            "The Xops role in AWS account {} may not read AWS Organizations. Update the stack \"{}\" with the current \
             Xops management template (it allows organizations:List* and organizations:Describe*), then read again.",
            management.account_id(),
            crate::domain::AwsKind::Management.stack_name()
        )),
        _ => AppError::Upstream(failure_message(f, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_state_falls_back_to_the_older_status() {
        use aws_sdk_organizations::types::{AccountState, AccountStatus};
        let suspended = Account::builder().id("111111111111").status(AccountStatus::Suspended).build();
        assert_eq!(account_node(&suspended, "ou-1").state, "SUSPENDED");
        let closing = Account::builder().id("2").state(AccountState::PendingClosure).status(AccountStatus::Active).build();
        assert_eq!(account_node(&closing, "r-1").state, "PENDING_CLOSURE");
    }

    #[test]
    fn node_kinds_read_back() {
        for kind in [NodeKind::Root, NodeKind::Unit, NodeKind::Account] {
            assert_eq!(NodeKind::parse(kind.as_str()), kind);
        }
    }
}
