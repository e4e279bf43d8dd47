//! `xops accounts …`, `xops aws link …`, `xops organization`: the API from a terminal or a
//! pipeline (`xops api …` says the same). Reads `XOPS_URL` and `XOPS_TOKEN`; prints a table for
//! people, or the API's JSON with `--json`. The exit code says what happened (`Exit`).
use std::process::ExitCode;

use serde_json::Value;

/// What the exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Exit {
    Done = 0,
    /// The command worked, and the account's check failed (linked or re-tested, status `failed`).
    CheckFailed = 1,
    /// The command line or the environment is wrong.
    Usage = 2,
    /// The token was refused: unknown, revoked, expired, or not allowed this (401, 403).
    Refused = 3,
    NotFound = 4,
    /// The request was refused as invalid or in conflict (400, 409, 422): the message says why.
    Invalid = 5,
    /// Rate limited (429): retry after the time printed.
    RateLimited = 6,
    /// The portal could not be reached, or failed (5xx).
    Unavailable = 7,
}

const USAGE: &str = "\
Usage: xops [api] COMMAND [--json]

  organization                       the organization and its External ID
  accounts list [--provider P] [--status S]
  accounts get ID
  accounts retest ID                 check an account now
  aws link --name NAME --role-arn ARN [--kind linked|management|eks] [--idempotency-key KEY]

Environment: XOPS_URL (https://xops.example.com), XOPS_TOKEN (an API token, xops_…).
Exit codes: 0 done, 1 the account's check failed, 2 usage, 3 token refused, 4 not found,
5 invalid or in conflict, 6 rate limited, 7 portal unreachable or failing.";

/// Runs `args` if they are a CLI command; None if they are not (the server's own commands).
pub async fn run(args: &[String]) -> Option<ExitCode> {
    let args = match args.first().map(String::as_str) {
        Some("api") => &args[1..],
        Some("organization" | "accounts" | "aws") => args,
        _ => return None,
    };
    let (json, words, flags) = match split(args) {
        Ok(parsed) => parsed,
        Err(message) => return Some(usage(&message)),
    };
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let flag = |name: &str| flags.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let request = match words.as_slice() {
        ["organization"] => Request::get("/api/v1/organization"),
        ["accounts", "list"] => {
            let mut query: Vec<(&str, String)> = vec![("limit", "200".into())];
            query.extend(flag("provider").map(|p| ("provider", p)));
            query.extend(flag("status").map(|s| ("status", s)));
            Request { query, ..Request::get("/api/v1/accounts") }
        }
        ["accounts", "get" | "retest", id] => {
            let Ok(id) = id.parse::<i64>() else {
                return Some(usage("an account ID is a whole number, as accounts list shows it"));
            };
            match words[1] {
                "get" => Request::get(&format!("/api/v1/accounts/{id}")),
                _ => Request::post(&format!("/api/v1/accounts/{id}/retest"), None),
            }
        }
        ["aws", "link"] => {
            let (Some(name), Some(role_arn)) = (flag("name"), flag("role-arn")) else {
                return Some(usage("aws link needs --name and --role-arn"));
            };
            let kind = flag("kind").unwrap_or_else(|| "linked".into());
            let body = serde_json::json!({ "name": name, "role_arn": role_arn, "kind": kind });
            Request { idempotency_key: flag("idempotency-key"), ..Request::post("/api/v1/accounts/aws", Some(body)) }
        }
        ["help"] | [] => {
            println!("{USAGE}");
            return Some(ExitCode::SUCCESS);
        }
        _ => return Some(usage(&format!("unknown command: {}", words.join(" ")))),
    };
    let (Ok(url), Ok(token)) = (std::env::var("XOPS_URL"), std::env::var("XOPS_TOKEN")) else {
        return Some(usage("set XOPS_URL (the portal's address) and XOPS_TOKEN (an API token)"));
    };
    Some(ExitCode::from(call(&url, &token, request, json, &words).await as u8))
}

/// `--json`, the words, and the `--flag value` pairs.
type Parsed = (bool, Vec<String>, Vec<(String, String)>);

fn split(args: &[String]) -> Result<Parsed, String> {
    let (mut json, mut words, mut flags) = (false, Vec::new(), Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.strip_prefix("--") {
            Some("json") => json = true,
            Some(name) => {
                let (name, value) = match name.split_once('=') {
                    Some((name, value)) => (name.to_string(), value.to_string()),
                    None => (name.to_string(), args.next().ok_or(format!("--{name} needs a value"))?.clone()),
                };
                flags.push((name, value));
            }
            None => words.push(arg.clone()),
        }
    }
    Ok((json, words, flags))
}

fn usage(message: &str) -> ExitCode {
    eprintln!("xops: {message}\n\n{USAGE}");
    ExitCode::from(Exit::Usage as u8)
}

struct Request {
    method: reqwest::Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    idempotency_key: Option<String>,
}

impl Request {
    fn get(path: &str) -> Request {
        Request { method: reqwest::Method::GET, path: path.into(), query: Vec::new(), body: None, idempotency_key: None }
    }

    fn post(path: &str, body: Option<Value>) -> Request {
        Request { method: reqwest::Method::POST, ..Request::get(path) }.with_body(body)
    }

    fn with_body(self, body: Option<Value>) -> Request {
        Request { body, ..self }
    }
}

/// Sends the request (following `next_cursor` for a list), prints the answer, and says how it went.
async fn call(url: &str, token: &str, request: Request, json: bool, words: &[&str]) -> Exit {
    let client = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(120)).build() {
        Ok(client) => client,
        Err(err) => return unavailable(&err.to_string()),
    };
    let base = url.trim_end_matches('/');
    let mut items: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = request.query.clone();
        query.extend(cursor.take().map(|c| ("cursor", c)));
        let mut req = client.request(request.method.clone(), format!("{base}{}", request.path)).bearer_auth(token).query(&query);
        if let Some(body) = &request.body {
            req = req.json(body);
        }
        if let Some(key) = &request.idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let res = match req.send().await {
            Ok(res) => res,
            Err(err) => return unavailable(&format!("cannot reach {base}: {err}")),
        };
        let status = res.status();
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body: Value = match res.text().await {
            Ok(text) if text.is_empty() => Value::Null,
            Ok(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
            Err(err) => return unavailable(&err.to_string()),
        };
        if !status.is_success() {
            return refused(status.as_u16(), &body, retry_after.as_deref());
        }
        match body.get("accounts").and_then(Value::as_array) {
            Some(page) => {
                items.extend(page.iter().cloned());
                match body.get("next_cursor").and_then(Value::as_str) {
                    Some(next) => cursor = Some(next.to_string()),
                    None => break,
                }
            }
            None => {
                items.push(body);
                break;
            }
        }
    }
    let listed = words == ["accounts", "list"];
    if json {
        let out = if listed { Value::Array(items.clone()) } else { items.first().cloned().unwrap_or(Value::Null) };
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else if words == ["organization"] {
        let org = items.first().cloned().unwrap_or(Value::Null);
        println!("{} (id {})\nExternal ID: {}\nAWS principal: {}", text(&org["name"]), text(&org["id"]), text(&org["external_id"]), text(&org["aws_principal"]));
    } else {
        print!("{}", table(&items));
    }
    let failed = !listed && items.iter().any(|a| a.get("status").and_then(Value::as_str) == Some("failed"));
    if failed {
        if let Some(message) = items.first().and_then(|a| a.get("status_message")).and_then(Value::as_str) {
            eprintln!("xops: the account's check failed: {message}");
        }
        return Exit::CheckFailed;
    }
    Exit::Done
}

fn unavailable(message: &str) -> Exit {
    eprintln!("xops: {message}");
    Exit::Unavailable
}

/// Prints the problem's sentence (and field) and maps the status to an exit code.
fn refused(status: u16, problem: &Value, retry_after: Option<&str>) -> Exit {
    let detail = problem.get("detail").and_then(Value::as_str).map_or_else(|| problem.to_string(), str::to_string);
    match problem.get("field").and_then(Value::as_str) {
        Some(field) => eprintln!("xops: {status}: {field}: {detail}"),
        None => eprintln!("xops: {status}: {detail}"),
    }
    match status {
        401 | 403 => Exit::Refused,
        404 => Exit::NotFound,
        429 => {
            eprintln!("xops: retry after {} s", retry_after.unwrap_or("60"));
            Exit::RateLimited
        }
        400..=499 => Exit::Invalid,
        _ => Exit::Unavailable,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Accounts as a table, columns as wide as their longest cell.
fn table(accounts: &[Value]) -> String {
    const COLUMNS: [(&str, &str); 7] = [
        ("ID", "id"),
        ("PROVIDER", "provider"),
        ("KIND", "kind"),
        ("NAME", "name"),
        ("ACCOUNT", "external_account_id"),
        ("STATUS", "status"),
        ("LAST CHECKED", "last_checked"),
    ];
    let rows: Vec<Vec<String>> = std::iter::once(COLUMNS.iter().map(|(head, _)| head.to_string()).collect())
        .chain(accounts.iter().map(|a| COLUMNS.iter().map(|(_, key)| text(&a[*key])).collect()))
        .collect();
    let widths: Vec<usize> = (0..COLUMNS.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
