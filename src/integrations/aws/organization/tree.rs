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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Totals {
    pub accounts: usize,
    pub linked: usize,
    pub eligible: usize,
    pub inactive: usize,
    pub excluded: usize,
    pub gone: usize,
    pub new: usize,
}

/// A root or unit as stored.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredUnit {
    pub node_id: String,
    pub parent_id: String,
    pub kind: String,
    pub name: String,
    pub exclusion: String,
}

/// An account as stored, with its category as the SQL decided it (`store::ACCOUNT_CATEGORY`:
/// gone, management, linked, inactive or ready) and its name here when it is linked.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredAccount {
    pub node_id: String,
    pub parent_id: String,
    pub name: String,
    pub state: String,
    pub exclusion: String,
    pub first_seen_at: i64,
    pub category: String,
    pub linked_name: Option<String>,
}

/// How many accounts directly in one unit share an own exclusion, a category and newness: the
/// tree's counts come from these, so a page never loads every account.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountCount {
    pub parent_id: String,
    pub exclusion: String,
    pub category: String,
    pub new: i64,
    pub count: i64,
}

/// The units in tree order with their counts, and what each excludes.
#[cfg(feature = "ssr")]
pub struct Tree {
    pub units: Vec<UnitRow>,
    pub totals: Totals,
    excluded: std::collections::HashMap<String, bool>,
    /// Accounts directly in each unit (whatever their state), for its pages.
    direct: std::collections::HashMap<String, usize>,
    first_read_at: i64,
}

#[cfg(feature = "ssr")]
fn own(exclusion: &str) -> Exclusion {
    Exclusion::parse(exclusion).unwrap_or(Exclusion::Follows)
}

#[cfg(feature = "ssr")]
impl Tree {
    /// `first_read_at`: when the organization was first read (accounts seen later are new).
    pub fn build(units: &[StoredUnit], counts: &[AccountCount], first_read_at: i64) -> Tree {
        use std::collections::HashMap;
        let mut children: HashMap<&str, Vec<&StoredUnit>> = HashMap::new();
        for unit in units {
            children.entry(unit.parent_id.as_str()).or_default().push(unit);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| (&a.name, &a.node_id).cmp(&(&b.name, &b.node_id)));
        }
        let mut tree = Tree { units: Vec::new(), totals: Totals::default(), excluded: HashMap::new(), direct: HashMap::new(), first_read_at };
        // Depth first from each root, with the parent's exclusion handed down.
        let mut stack: Vec<(&StoredUnit, usize, bool)> = units.iter().filter(|u| u.kind == "root").map(|u| (u, 0, false)).collect();
        stack.reverse();
        while let Some((unit, depth, parent_excluded)) = stack.pop() {
            if depth > 64 || tree.excluded.contains_key(&unit.node_id) {
                continue; // a cycle in stored data; AWS allows five levels of units
            }
            let own = own(&unit.exclusion);
            let excluded = excluded_by(own, parent_excluded);
            tree.excluded.insert(unit.node_id.clone(), excluded);
            tree.units.push(UnitRow {
                id: unit.node_id.clone(),
                name: unit.name.clone(),
                is_root: unit.kind == "root",
                depth,
                own,
                excluded,
                accounts: 0,
                linked: 0,
                eligible: 0,
            });
            for child in children.get(unit.node_id.as_str()).into_iter().flatten().rev() {
                stack.push((child, depth + 1, excluded));
            }
        }
        tree.count(units, counts);
        tree
    }

    /// Each unit's counts of the accounts anywhere under it, and the totals.
    fn count(&mut self, units: &[StoredUnit], counts: &[AccountCount]) {
        use std::collections::HashMap;
        let parent: HashMap<&str, &str> = units.iter().map(|u| (u.node_id.as_str(), u.parent_id.as_str())).collect();
        let index: HashMap<String, usize> = self.units.iter().enumerate().map(|(i, u)| (u.id.clone(), i)).collect();
        for c in counts {
            let n = usize::try_from(c.count).unwrap_or(0);
            *self.direct.entry(c.parent_id.clone()).or_default() += n;
            let excluded = excluded_by(own(&c.exclusion), self.excluded.get(&c.parent_id).copied().unwrap_or(false));
            let (gone, linked) = (c.category == "gone", matches!(c.category.as_str(), "linked" | "management"));
            let eligible = c.category == "ready" && !excluded;
            let t = &mut self.totals;
            t.accounts += if gone { 0 } else { n };
            t.linked += if linked { n } else { 0 };
            t.eligible += if eligible { n } else { 0 };
            t.inactive += if c.category == "inactive" { n } else { 0 };
            t.excluded += if excluded && !gone { n } else { 0 };
            t.gone += if gone { n } else { 0 };
            t.new += if eligible && c.new != 0 { n } else { 0 };
            let mut at = c.parent_id.as_str();
            for _ in 0..64 {
                let Some(&i) = index.get(at) else { break };
                let unit = &mut self.units[i];
                unit.accounts += if gone { 0 } else { n };
                unit.linked += if linked { n } else { 0 };
                unit.eligible += if eligible { n } else { 0 };
                match parent.get(at) {
                    Some(p) if !p.is_empty() => at = p,
                    _ => break,
                }
            }
        }
    }

    /// How many accounts are directly in `unit`.
    pub fn direct_accounts(&self, unit: &str) -> usize {
        self.direct.get(unit).copied().unwrap_or(0)
    }

    /// An account as the page shows it.
    pub fn account(&self, a: &StoredAccount) -> AccountRow {
        let mark = match a.category.as_str() {
            "gone" => Mark::Gone,
            "management" => Mark::Management,
            "linked" => Mark::Linked(a.linked_name.clone().unwrap_or_default()),
            "inactive" => Mark::Inactive(if a.state.is_empty() { "UNKNOWN".into() } else { a.state.clone() }),
            _ => Mark::NotLinked,
        };
        let own = own(&a.exclusion);
        let excluded = excluded_by(own, self.excluded.get(&a.parent_id).copied().unwrap_or(false));
        let new = mark == Mark::NotLinked && a.first_seen_at > self.first_read_at;
        AccountRow { id: a.node_id.clone(), name: a.name.clone(), mark, own, excluded, new }
    }
}

/// A node's own choice, else its parent's.
#[cfg(feature = "ssr")]
fn excluded_by(own: Exclusion, parent_excluded: bool) -> bool {
    match own {
        Exclusion::Follows => parent_excluded,
        Exclusion::Excluded => true,
        Exclusion::Included => false,
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn unit(id: &str, parent: &str, exclusion: &str) -> StoredUnit {
        let kind = if parent.is_empty() { "root" } else { "ou" };
        StoredUnit { node_id: id.into(), parent_id: parent.into(), kind: kind.into(), name: id.to_uppercase(), exclusion: exclusion.into() }
    }

    fn account(id: &str, parent: &str, category: &str, exclusion: &str) -> StoredAccount {
        StoredAccount {
            node_id: id.into(),
            parent_id: parent.into(),
            name: id.to_uppercase(),
            state: if category == "inactive" { "SUSPENDED".into() } else { "ACTIVE".into() },
            exclusion: exclusion.into(),
            first_seen_at: if id.starts_with("new") { 20 } else { 10 },
            category: category.into(),
            linked_name: (category == "linked").then(|| "Prod".into()),
        }
    }

    fn accounts() -> Vec<StoredAccount> {
        vec![
            account("111", "ou-b", "ready", ""),
            account("222", "ou-b", "ready", "included"),
            account("333", "r-1", "inactive", ""),
            account("444", "r-1", "linked", ""),
            account("new1", "r-1", "ready", ""),
            account("left", "r-1", "gone", ""),
            account("999", "r-1", "management", ""),
        ]
    }

    /// The counts the SQL would make of `accounts()`.
    fn counts() -> Vec<AccountCount> {
        accounts()
            .iter()
            .map(|a| AccountCount {
                parent_id: a.parent_id.clone(),
                exclusion: a.exclusion.clone(),
                category: a.category.clone(),
                new: i64::from(a.first_seen_at > 10),
                count: 1,
            })
            .collect()
    }

    fn tree() -> Tree {
        let units = vec![unit("r-1", "", ""), unit("ou-a", "r-1", "excluded"), unit("ou-b", "ou-a", "")];
        Tree::build(&units, &counts(), 10)
    }

    fn row(tree: &Tree, id: &str) -> AccountRow {
        accounts().iter().find(|a| a.node_id == id).map(|a| tree.account(a)).unwrap_or_else(|| panic!("{id}"))
    }

    #[test]
    fn an_excluded_unit_excludes_what_is_under_it_unless_included_again() {
        let tree = tree();
        assert!(row(&tree, "111").excluded, "under ou-b, under the excluded ou-a");
        assert!(!row(&tree, "222").excluded && row(&tree, "222").eligible());
        assert!(tree.units.iter().find(|u| u.id == "ou-b").is_some_and(|u| u.excluded && u.depth == 2));
    }

    #[test]
    fn each_account_is_marked_and_counted() {
        let tree = tree();
        assert_eq!(row(&tree, "333").mark, Mark::Inactive("SUSPENDED".into()));
        assert_eq!(row(&tree, "444").mark, Mark::Linked("Prod".into()));
        assert_eq!(row(&tree, "999").mark, Mark::Management);
        assert_eq!(row(&tree, "left").mark, Mark::Gone);
        assert!(row(&tree, "new1").new && !row(&tree, "111").new);
        let t = &tree.totals;
        assert_eq!((t.accounts, t.linked, t.eligible, t.inactive, t.excluded, t.gone, t.new), (6, 2, 2, 1, 1, 1, 1));
        let root = &tree.units[0];
        assert_eq!((root.is_root, root.accounts, root.linked, root.eligible), (true, 6, 2, 2));
        let ou_a = tree.units.iter().find(|u| u.id == "ou-a").map(|u| (u.accounts, u.eligible));
        assert_eq!(ou_a, Some((2, 1)));
        assert_eq!((tree.direct_accounts("r-1"), tree.direct_accounts("ou-a"), tree.direct_accounts("ou-b")), (5, 0, 2));
    }
}
