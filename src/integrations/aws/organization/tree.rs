//! The organization as the tree page shows it: each unit with what is under it, the accounts
//! of the unit being looked at, and which accounts a run may link. What is excluded follows
//! the tree: a node's own choice, else its parent's, so excluding a unit excludes everything
//! under it and an account can be included again under an excluded unit.
use serde::{Deserialize, Serialize};

/// Accounts listed per page of a unit.
pub const ACCOUNTS_PER_PAGE: usize = 100;

/// A node's own choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exclusion {
    /// As its parent.
    Follows,
    Excluded,
    /// Included although its parent is excluded.
    Included,
}

impl Exclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::Follows => "",
            Exclusion::Excluded => "excluded",
            Exclusion::Included => "included",
        }
    }

    pub fn parse(s: &str) -> Option<Exclusion> {
        [Exclusion::Follows, Exclusion::Excluded, Exclusion::Included].into_iter().find(|e| e.as_str() == s)
    }
}

/// What an account is to this organization of Xops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    /// The management account itself (linked here, as the management account).
    Management,
    /// Linked here, under this name.
    Linked(String),
    NotLinked,
    /// Not ACTIVE (SUSPENDED, PENDING_CLOSURE …): cannot be linked.
    Inactive(String),
    /// No longer in the organization (it left, or was removed) as of the last read.
    Gone,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
    pub is_root: bool,
    pub depth: usize,
    pub own: Exclusion,
    pub excluded: bool,
    /// Accounts anywhere under it, those linked, and those a run would link.
    pub accounts: usize,
    pub linked: usize,
    pub eligible: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub mark: Mark,
    pub own: Exclusion,
    pub excluded: bool,
    /// Found by a sync after the first read, and not linked yet.
    pub new: bool,
}

impl AccountRow {
    /// Can be linked now: in the organization, ACTIVE, not linked, not excluded.
    pub fn eligible(&self) -> bool {
        self.mark == Mark::NotLinked && !self.excluded
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub accounts: usize,
    pub linked: usize,
    pub eligible: usize,
    pub inactive: usize,
    pub excluded: usize,
    pub gone: usize,
    pub new: usize,
}

/// A node as stored.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredNode {
    pub node_id: String,
    pub parent_id: String,
    pub kind: String,
    pub name: String,
    pub state: String,
    pub exclusion: String,
    pub first_seen_at: i64,
    pub gone_at: Option<i64>,
}

/// The organization with what this Xops organization knows of each account.
#[cfg(feature = "ssr")]
pub struct Tree {
    pub units: Vec<UnitRow>,
    /// Every account, in tree order.
    pub accounts: Vec<(String, AccountRow)>,
}

#[cfg(feature = "ssr")]
impl Tree {
    /// `linked`: account id → its name here; `first_read_at`: when the organization was first
    /// read (accounts seen later are new).
    pub fn build(
        nodes: &[StoredNode],
        linked: &std::collections::HashMap<String, String>,
        management_account: &str,
        first_read_at: i64,
    ) -> Tree {
        use std::collections::HashMap;
        let mut children: HashMap<&str, Vec<&StoredNode>> = HashMap::new();
        for node in nodes {
            children.entry(node.parent_id.as_str()).or_default().push(node);
        }
        for list in children.values_mut() {
            // Units before accounts, each by name.
            list.sort_by(|a, b| (a.kind == "account", &a.name, &a.node_id).cmp(&(b.kind == "account", &b.name, &b.node_id)));
        }
        let mut tree = Tree { units: Vec::new(), accounts: Vec::new() };
        // Depth first from each root, with the parent's exclusion handed down.
        let mut stack: Vec<(&StoredNode, usize, bool)> =
            nodes.iter().filter(|n| n.kind == "root").map(|n| (n, 0, false)).collect();
        stack.reverse();
        while let Some((node, depth, parent_excluded)) = stack.pop() {
            let own = Exclusion::parse(&node.exclusion).unwrap_or(Exclusion::Follows);
            let excluded = match own {
                Exclusion::Follows => parent_excluded,
                Exclusion::Excluded => true,
                Exclusion::Included => false,
            };
            if node.kind == "account" {
                let mark = if node.gone_at.is_some() {
                    Mark::Gone
                } else if node.node_id == management_account {
                    Mark::Management
                } else if let Some(name) = linked.get(&node.node_id) {
                    Mark::Linked(name.clone())
                } else if node.state != "ACTIVE" {
                    Mark::Inactive(if node.state.is_empty() { "UNKNOWN".into() } else { node.state.clone() })
                } else {
                    Mark::NotLinked
                };
                let new = mark == Mark::NotLinked && node.first_seen_at > first_read_at;
                let row = AccountRow { id: node.node_id.clone(), name: node.name.clone(), mark, own, excluded, new };
                tree.accounts.push((node.parent_id.clone(), row));
                continue;
            }
            if depth > 64 {
                continue; // a cycle in stored data; AWS allows five levels of units
            }
            tree.units.push(UnitRow {
                id: node.node_id.clone(),
                name: node.name.clone(),
                is_root: node.kind == "root",
                depth,
                own,
                excluded,
                accounts: 0,
                linked: 0,
                eligible: 0,
            });
            for child in children.get(node.node_id.as_str()).into_iter().flatten().rev() {
                stack.push((child, depth + 1, excluded));
            }
        }
        tree.count_under_units(nodes);
        tree
    }

    /// Each unit's counts of the accounts anywhere under it.
    fn count_under_units(&mut self, nodes: &[StoredNode]) {
        use std::collections::HashMap;
        let parent: HashMap<&str, &str> = nodes.iter().map(|n| (n.node_id.as_str(), n.parent_id.as_str())).collect();
        let index: HashMap<String, usize> = self.units.iter().enumerate().map(|(i, u)| (u.id.clone(), i)).collect();
        for (unit_id, account) in &self.accounts {
            let mut at = unit_id.as_str();
            for _ in 0..64 {
                let Some(&i) = index.get(at) else { break };
                let unit = &mut self.units[i];
                unit.accounts += usize::from(account.mark != Mark::Gone);
                unit.linked += usize::from(matches!(account.mark, Mark::Linked(_) | Mark::Management));
                unit.eligible += usize::from(account.eligible());
                match parent.get(at) {
                    Some(p) if !p.is_empty() => at = p,
                    _ => break,
                }
            }
        }
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for (_, a) in &self.accounts {
            t.accounts += usize::from(a.mark != Mark::Gone);
            t.linked += usize::from(matches!(a.mark, Mark::Linked(_) | Mark::Management));
            t.eligible += usize::from(a.eligible());
            t.inactive += usize::from(matches!(a.mark, Mark::Inactive(_)));
            t.excluded += usize::from(a.excluded && a.mark != Mark::Gone);
            t.gone += usize::from(a.mark == Mark::Gone);
            t.new += usize::from(a.new && !a.excluded);
        }
        t
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn node(id: &str, parent: &str, kind: &str, state: &str, exclusion: &str) -> StoredNode {
        StoredNode {
            node_id: id.into(),
            parent_id: parent.into(),
            kind: kind.into(),
            name: id.to_uppercase(),
            state: state.into(),
            exclusion: exclusion.into(),
            first_seen_at: if id.starts_with("new") { 20 } else { 10 },
            gone_at: (id == "left").then_some(30),
        }
    }

    fn tree() -> Tree {
        let nodes = vec![
            node("r-1", "", "root", "", ""),
            node("ou-a", "r-1", "ou", "", "excluded"),
            node("ou-b", "ou-a", "ou", "", ""),
            node("111", "ou-b", "account", "ACTIVE", ""),
            node("222", "ou-b", "account", "ACTIVE", "included"),
            node("333", "r-1", "account", "SUSPENDED", ""),
            node("444", "r-1", "account", "ACTIVE", ""),
            node("new1", "r-1", "account", "ACTIVE", ""),
            node("left", "r-1", "account", "ACTIVE", ""),
            node("999", "r-1", "account", "ACTIVE", ""),
        ];
        let linked = [("444".to_string(), "Prod".to_string())].into_iter().collect();
        Tree::build(&nodes, &linked, "999", 10)
    }

    fn account(tree: &Tree, id: &str) -> AccountRow {
        tree.accounts.iter().find(|(_, a)| a.id == id).map(|(_, a)| a.clone()).unwrap_or_else(|| panic!("{id}"))
    }

    #[test]
    fn an_excluded_unit_excludes_what_is_under_it_unless_included_again() {
        let tree = tree();
        assert!(account(&tree, "111").excluded, "under ou-b, under the excluded ou-a");
        assert!(!account(&tree, "222").excluded && account(&tree, "222").eligible());
        assert!(tree.units.iter().find(|u| u.id == "ou-b").is_some_and(|u| u.excluded && u.depth == 2));
    }

    #[test]
    fn each_account_is_marked_and_counted() {
        let tree = tree();
        assert_eq!(account(&tree, "333").mark, Mark::Inactive("SUSPENDED".into()));
        assert_eq!(account(&tree, "444").mark, Mark::Linked("Prod".into()));
        assert_eq!(account(&tree, "999").mark, Mark::Management);
        assert_eq!(account(&tree, "left").mark, Mark::Gone);
        assert!(account(&tree, "new1").new && !account(&tree, "111").new);
        let t = tree.totals();
        assert_eq!((t.accounts, t.linked, t.eligible, t.inactive, t.excluded, t.gone, t.new), (6, 2, 2, 1, 1, 1, 1));
        let root = &tree.units[0];
        assert_eq!((root.is_root, root.accounts, root.linked, root.eligible), (true, 6, 2, 2));
        let ou_a = tree.units.iter().find(|u| u.id == "ou-a").map(|u| (u.accounts, u.eligible));
        assert_eq!(ou_a, Some((2, 1)));
    }
}
