//! The rules of the house (README, "Layout"), checked on the source itself so that they hold as
//! it grows: no import circle between the parts of `src/` or between its files; clients that
//! import only what is below them, through which every call out goes; SQL only in stores;
//! generic parts that never name a provider; exhaustive matches on the provider enums; provider
//! folders whose `mod.rs` only lists files; files under 400 lines.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The clients of the outside world (a module: its file and its folder): each is its own part,
/// below everything but what it may import. Every file that calls out is in one
/// (`every_call_out_goes_through_a_client`).
/// `cli` is a client of the API itself (the `xops accounts …` commands).
const CLIENTS: [&str; 5] = ["cli", "integrations/aws/sts", "integrations/microsoft/identity", "mail/transport", "notify/webhook"];
const CLIENT_MAY_IMPORT: [&str; 4] = ["domain", "crypto", "error", "net"];
/// The crates that call out, as code names them.
const CALLING_OUT: [&str; 3] = ["reqwest::", "aws_sdk_", "lettre::"];
/// Files that call out but are no client, and why.
const CALLS_OUT_NOT_A_CLIENT: [(&str, &str); 1] = [("startup.rs", "`xops ready` asks this portal's own /readyz on loopback")];
/// Parts that work for every provider alike and so never name one.
const PROVIDER_BLIND: [&str; 5] = ["accounts", "layout", "onboarding", "home", "ui"];
/// The enums every per-provider decision matches on.
const PROVIDER_ENUMS: [&str; 4] = ["Provider", "Card", "AwsKind", "MsService"];
const MAX_LINES: usize = 400;
/// The files outside stores that may hold SQL, and why.
const SQL_OUTSIDE_STORES: [(&str, &str); 3] = [
    ("startup.rs", "/readyz asks the database `SELECT 1`: reaching it is what the probe checks"),
    ("server/db.rs", "connection setup: the first connection's probe, and PostgreSQL's write lock that every write transaction takes"),
    ("audit.rs", "the audit log's one INSERT, in the caller's transaction: the module is the audit table's store"),
];

struct SourceFile {
    /// Relative to `src/`, with `/` separators.
    path: String,
    /// The code without comments, string and character literals, and without `mod tests`.
    code: String,
    /// The source without `mod tests`, literals kept.
    text: String,
    lines: usize,
}

fn sources() -> Vec<SourceFile> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source is UTF-8");
            let relative = path.strip_prefix(&src).expect("under src/").to_string_lossy().replace('\\', "/");
            let lines = text.lines().count();
            let mut text = text;
            if let Some(tests) = text.find("#[cfg(test)]\nmod tests").or_else(|| text.find("#[cfg(all(test")) {
                text.truncate(tests);
            }
            SourceFile { path: relative, code: strip_literals_and_comments(&text), text, lines }
        })
        .collect()
}

/// Blanks out comments and the contents of string and character literals (keeping line
/// breaks), so that braces and words inside them do not count as code.
fn strip_literals_and_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !is_ident(chars.get(i.wrapping_sub(1))) {
            // A raw string: r"..." or r#"..."#.
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            let closing: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            while i < chars.len() && !chars[i..].iter().collect::<String>().starts_with(&closing) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += closing.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                } else if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || (next == Some('\\') && chars.get(i + 3) == Some(&'\''))) {
            // A character literal ('{' or '\n'); lifetimes ('a) pass as code.
            i += if next == Some('\\') { 4 } else { 3 };
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The part of `src/` a file belongs to: a client file is a part of its own; everything else
/// belongs to its top-level module.
fn part_of(path: &str) -> String {
    if let Some(client) = client_of(path) {
        return client.replace('/', "::");
    }
    path.split('/').next().unwrap_or(path).trim_end_matches(".rs").to_string()
}

/// The client module `path` belongs to, if any.
fn client_of(path: &str) -> Option<&'static str> {
    CLIENTS.into_iter().find(|client| path.strip_suffix(".rs") == Some(client) || path.starts_with(&format!("{client}/")))
}

/// The parts `code` refers to through `crate::` paths.
fn imports(code: &str) -> BTreeSet<String> {
    let mut parts = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if is_ident(code[..at].chars().last().as_ref()) {
            continue; // e.g. `xcrate::`
        }
        let path: String =
            code[at + "crate::".len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let Some(first) = segments.first() else { continue };
        let client = CLIENTS.iter().find(|client| {
            let client_path = client.replace('/', "::");
            path.starts_with(&format!("{client_path}::")) || path == client_path
        });
        parts.insert(match client {
            Some(client) => client.replace('/', "::"),
            None => first.to_string(),
        });
    }
    parts
}

fn graph(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| f.path != "lib.rs" && f.path != "main.rs") {
        let part = part_of(&file.path);
        let edges = graph.entry(part.clone()).or_default();
        edges.extend(imports(&file.code).into_iter().filter(|p| *p != part));
    }
    graph
}

/// A circle of imports, if there is one, as the parts along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_part_of_src_imports_in_a_circle() {
    let graph = graph(&sources());
    assert!(graph.contains_key("domain") && graph.contains_key("integrations"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import circle: {}", cycle.join(" -> "));
    }
}

/// A file's module path (`integrations/aws/link.rs` → integrations::aws::link; a `mod.rs` is its folder).
fn module_of(path: &str) -> Vec<String> {
    let mut segments: Vec<String> = path.trim_end_matches(".rs").split('/').map(str::to_string).collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// The modules a file's code names: `crate::` and `super::` paths (a group `{a, b::c}` one level
/// deep), and in a folder's `mod.rs` its own files by name, except what it re-exports (`pub use`).
fn named_modules(file: &SourceFile) -> Vec<Vec<String>> {
    let module = module_of(&file.path);
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let children: Vec<String> = if file.path.ends_with("mod.rs") {
        file.code
            .match_indices("mod ")
            .filter(|(at, _)| !file.code[..*at].chars().last().is_some_and(ident))
            .filter_map(|(at, _)| file.code[at + 4..].split_once(';').map(|(name, _)| name.trim().to_string()))
            .filter(|name| name.chars().all(ident))
            .collect()
    } else {
        Vec::new()
    };
    // The code without its re-exports of its own files.
    let mut code = String::new();
    for (i, statement) in file.code.split(';').enumerate() {
        let reexport = statement.trim_start().starts_with("pub use ")
            && children.iter().any(|c| statement.trim_start()["pub use ".len()..].starts_with(&format!("{c}::")));
        if i > 0 {
            code.push(';');
        }
        if !reexport {
            code.push_str(statement);
        }
    }
    let mut paths = Vec::new();
    {
        let mut rest = code.as_str();
        while let Some(at) = rest.find("::") {
            // The path this `::` belongs to, from its first segment.
            let start = rest[..at].rfind(|c: char| !(ident(c) || c == ':')).map_or(0, |i| i + 1);
            let end = at + rest[at..].find(|c: char| !(ident(c) || c == ':')).unwrap_or(rest.len() - at);
            let path = &rest[start..end];
            let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let group = rest[end..].strip_prefix('{').and_then(|g| g.split_once('}')).map(|(g, _)| g);
            let end = end + group.map_or(0, |g| g.len() + 2);
            let items: Vec<Vec<&str>> = match group {
                Some(group) => group.split(',').map(|i| [segments.clone(), i.trim().split("::").collect()].concat()).collect(),
                None => vec![segments.clone()],
            };
            for segments in items {
                let resolved = match segments.first() {
                    Some(&"crate") => Some(segments[1..].iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                    Some(&"super") | Some(&"self") => {
                        let mut base = module.clone();
                        let mut rest = segments.as_slice();
                        while let Some((first, tail)) = rest.split_first().filter(|(f, _)| **f == "super" || **f == "self") {
                            if *first == "super" {
                                base.pop();
                            }
                            rest = tail;
                        }
                        Some([base, rest.iter().map(|s| s.to_string()).collect()].concat())
                    }
                    Some(first) if children.iter().any(|c| c == first) => {
                        Some([module.clone(), segments.iter().map(|s| s.to_string()).collect()].concat())
                    }
                    _ => None,
                };
                paths.extend(resolved);
            }
            rest = &rest[end..];
        }
    }
    paths
}

#[test]
fn no_file_imports_in_a_circle() {
    let files = sources();
    let modules: BTreeMap<Vec<String>, String> =
        files.iter().filter(|f| f.path != "lib.rs" && f.path != "main.rs").map(|f| (module_of(&f.path), f.path.clone())).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| modules.values().any(|p| *p == f.path)) {
        let module = module_of(&file.path);
        let edges = graph.entry(file.path.clone()).or_default();
        for path in named_modules(file) {
            // The longest prefix that is a file of ours.
            let target = (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]));
            if let Some(target) = target.filter(|t| **t != file.path && module_of(t) != module) {
                edges.insert(target.clone());
            }
        }
    }
    assert!(graph["accounts/mod.rs"].contains("accounts/store.rs"), "the scanner is broken: {:?}", graph["accounts/mod.rs"]);
    if let Some(cycle) = find_cycle(&graph) {
        panic!("files importing in a circle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_vocabulary_and_the_clients_import_only_what_is_below_them() {
    let graph = graph(&sources());
    let domain = &graph["domain"];
    assert!(domain.iter().all(|p| p == "error"), "domain imports {domain:?}");
    for client in CLIENTS {
        let part = client.replace('/', "::");
        let imported = graph.get(&part).unwrap_or_else(|| panic!("client {client} has no files"));
        let extra: Vec<_> = imported.iter().filter(|p| !CLIENT_MAY_IMPORT.contains(&p.as_str())).collect();
        assert!(extra.is_empty(), "{client} imports {extra:?}; clients import only {CLIENT_MAY_IMPORT:?}");
    }
    // A client's own file does not reach into the folder it sits in (its files may reach it).
    for file in sources().iter().filter(|f| CLIENTS.iter().any(|c| f.path.strip_suffix(".rs") == Some(c))) {
        assert!(!file.code.contains("super::"), "{} reaches into its folder", file.path);
    }
}

#[test]
fn every_call_out_goes_through_a_client() {
    let mut clients_seen = BTreeSet::new();
    for file in sources() {
        let Some(crate_name) = CALLING_OUT.iter().find(|name| file.code.contains(*name)) else { continue };
        match client_of(&file.path) {
            Some(client) => {
                clients_seen.insert(client);
            }
            None => assert!(
                CALLS_OUT_NOT_A_CLIENT.iter().any(|(path, _)| *path == file.path),
                "{} calls out ({crate_name}) but is in no client: move the call into one, or list it in CLIENTS",
                file.path
            ),
        }
    }
    let unused: Vec<_> = CLIENTS.iter().filter(|c| !clients_seen.contains(*c)).collect();
    assert!(unused.is_empty(), "{unused:?} call out to nothing: not clients any more?");
}

#[test]
fn provider_blind_parts_never_name_a_provider() {
    for file in sources().iter().filter(|f| PROVIDER_BLIND.contains(&part_of(&f.path).as_str())) {
        for name in PROVIDER_ENUMS {
            for (at, _) in file.code.match_indices(&format!("{name}::")) {
                let rest: String = file.code[at + name.len() + 2..].chars().take_while(|c| c.is_alphanumeric()).collect();
                // Associated items (Card::ALL, Provider::parse) are fine; variants are not.
                let variant = rest.chars().next().is_some_and(char::is_uppercase) && rest != "ALL";
                assert!(!(variant && !is_ident(file.code[..at].chars().last().as_ref())), "{} names {name}::{rest}", file.path);
            }
        }
    }
}

/// The patterns of each `match` arm in `code`, per match.
fn match_arm_patterns(code: &str) -> Vec<Vec<String>> {
    let mut matches = Vec::new();
    for (at, _) in code.match_indices("match ") {
        if is_ident(code[..at].chars().last().as_ref()) {
            continue;
        }
        let Some(open) = code[at..].find('{').map(|o| at + o) else { continue };
        let (mut braces, mut parens) = (0i32, 0i32);
        let mut patterns = Vec::new();
        let mut arm_start = open + 1;
        let mut in_pattern = true;
        for (i, c) in code[open..].char_indices().map(|(i, c)| (open + i, c)) {
            match c {
                '{' => braces += 1,
                '}' => {
                    braces -= 1;
                    if braces == 0 {
                        break;
                    }
                    if braces == 1 && parens == 0 {
                        // A block arm ends here; a comma may follow.
                        arm_start = i + 1;
                        in_pattern = true;
                    }
                }
                '(' | '[' => parens += 1,
                ')' | ']' => parens -= 1,
                ',' if braces == 1 && parens == 0 => {
                    arm_start = i + 1;
                    in_pattern = true;
                }
                '=' if braces == 1 && parens == 0 && in_pattern && code[i..].starts_with("=>") => {
                    patterns.push(code[arm_start..i].trim().trim_start_matches(',').trim().to_string());
                    in_pattern = false;
                }
                _ => {}
            }
        }
        matches.push(patterns);
    }
    matches
}

#[test]
fn matches_on_the_provider_enums_have_no_catch_all_arm() {
    let mut checked = 0;
    for file in sources() {
        for patterns in match_arm_patterns(&file.code) {
            let on_enum = patterns
                .iter()
                .any(|p| PROVIDER_ENUMS.iter().any(|e| p.split(['|', '(', ' ']).any(|t| t.starts_with(&format!("{e}::")))));
            if on_enum {
                checked += 1;
                let catch_all = patterns.iter().find(|p| *p == "_" || p.starts_with("_ if") || p.ends_with("| _"));
                assert!(catch_all.is_none(), "{}: a match on a provider enum has a `_` arm: {patterns:?}", file.path);
            }
        }
    }
    assert!(checked > 20, "only {checked} matches on provider enums found: the scanner is broken");
}

#[test]
fn provider_folders_list_their_files_only() {
    for file in sources().iter().filter(|f| f.path.starts_with("integrations/") && f.path.ends_with("/mod.rs")) {
        if file.path == "integrations/mod.rs" {
            continue;
        }
        for line in file.code.lines().map(str::trim).filter(|l| !l.is_empty()) {
            assert!(
                line.starts_with("pub mod ") || line.starts_with("#[cfg("),
                "{}: `{line}` (a provider's mod.rs holds only `pub mod` lines)",
                file.path
            );
        }
    }
}

/// The SQL statements in `text`: string literals that begin with a statement's first word.
fn sql_statements(text: &str) -> usize {
    let words = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"];
    text.match_indices('"')
        .filter(|(at, _)| {
            let rest = text[at + 1..].trim_start();
            words.iter().any(|w| rest.starts_with(w) && !rest[w.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
        })
        .count()
}

#[test]
fn sql_lives_in_the_features_stores() {
    let mut in_stores = 0;
    for file in sources() {
        let statements = sql_statements(&file.text);
        let name = file.path.rsplit('/').next().unwrap_or_default();
        if name == "store.rs" || name.ends_with("_store.rs") {
            in_stores += statements;
        } else if statements > 0 {
            assert!(
                SQL_OUTSIDE_STORES.iter().any(|(path, _)| *path == file.path),
                "{} holds {statements} SQL statement(s): move them to its feature's store.rs",
                file.path
            );
        }
    }
    assert!(in_stores > 100, "only {in_stores} statements found in stores: the scanner is broken");
    assert_eq!(sql_statements(r#"let a = "SELECT 1"; let b = "Selected"; let c = " UPDATE x"; let d = "UPDATED";"#), 2);
}

#[test]
fn every_file_is_short_enough_to_read() {
    for file in sources() {
        assert!(file.lines < MAX_LINES, "{} has {} lines (at most {MAX_LINES})", file.path, file.lines);
    }
}

#[test]
fn the_scanner_sees_through_literals() {
    let code = strip_literals_and_comments("let a = \"match x { _ => }\"; // crate::app\nlet b = '{';");
    assert!(!code.contains("crate::app") && !code.contains('{'), "{code}");
    let arms = match_arm_patterns("match p { Provider::Aws => 1, Provider::Eks | Provider::Azure => { 2 } _ => 3 }");
    assert_eq!(arms, vec![vec!["Provider::Aws", "Provider::Eks | Provider::Azure", "_"]]);
    let cycle = find_cycle(&BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]));
    assert_eq!(cycle, Some(vec!["a".to_string(), "b".to_string(), "a".to_string()]));
}

/// The features every package is built with, per `cargo tree` (`{package} {features}` lines),
/// with (`dev`) or without the dev-dependencies.
fn package_features(dev: bool) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let edges = if dev { "features,normal,build,dev" } else { "features,normal,build" };
    let out = std::process::Command::new(cargo)
        // The host's packages only: those are what the builds here download (`--target all` wants
        // every platform's, and fails offline on a fresh machine).
        .args(["tree", "--offline", "--features", "ssr", "--prefix", "none", "-e", edges, "-f", "{p} {f}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.contains(" feature \"")) {
        let mut words = line.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else { continue };
        let features = words.filter(|w| !w.starts_with('(')).flat_map(|w| w.split(',')).filter(|f| !f.is_empty());
        packages.entry(format!("{name} {version}")).or_default().extend(features.map(str::to_string));
    }
    packages
}

/// The run command builds the server alone; the tests build it with their dev-dependencies. A
/// dev-dependency that turns on another feature of a shared crate makes the run command after
/// the tests compile that crate and everything above it again (83 crates, minutes, before
/// x509-parser went and proptest's features were pinned in Cargo.toml).
#[test]
fn the_tests_build_shared_crates_with_the_servers_own_features() {
    let (server, tests) = (package_features(false), package_features(true));
    let differ: Vec<String> = tests
        .iter()
        .filter_map(|(package, features)| {
            let own = server.get(package)?;
            (own != features).then(|| format!("{package}: +{:?}", features.difference(own).collect::<Vec<_>>()))
        })
        .collect();
    assert!(differ.is_empty(), "pin these features in Cargo.toml's [dependencies] (under `ssr`): {differ:#?}");
}
