//! `xops accounts …` and `xops aws link …` against a running portal: the CLI links an account
//! against moto through the API, lists it as a table and as JSON, and its exit codes say what
//! went wrong.
use crate::api::token;
use crate::common::aws::Moto;
use crate::common::TestApp;

/// Runs the binary's CLI with the portal's address and `token`; its exit code, stdout and stderr.
async fn xops(app: &TestApp, token: &str, args: &[&str]) -> (i32, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_xops"));
    command.args(args).env("XOPS_URL", &app.url).env("XOPS_TOKEN", token);
    let out = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("the binary runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn the_cli_links_an_account_against_moto_lists_it_and_says_what_failed() {
    let moto = Moto::start();
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let write = token(&app, &app.client, "Pipeline", "write", "").await;

    let (code, out, err) = xops(&app, &write, &["organization"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Acme") && out.contains("External ID: xops-"), "{out}");

    let arn = "arn:aws:iam::123456789012:role/XopsGuarded";
    let (code, out, err) = xops(&app, &write, &["aws", "link", "--name", "Payer", "--role-arn", arn, "--kind", "management"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ID") && out.contains("Payer") && out.contains("123456789012") && out.contains("connected"), "{out}");

    let (code, out, _) = xops(&app, &write, &["api", "accounts", "list"]).await;
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2, "a header and one account: {out}");
    let (code, out, _) = xops(&app, &write, &["accounts", "list", "--json"]).await;
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON");
    let id = listed[0]["id"].as_i64().expect("the account's id");
    assert_eq!((listed[0]["name"].as_str(), listed[0]["status"].as_str()), (Some("Payer"), Some("connected")));
    let (code, out, err) = xops(&app, &write, &["accounts", "retest", &id.to_string(), "--json"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"status\": \"connected\""), "{out}");

    // What went wrong, by exit code, with the portal's sentence.
    let (code, _, err) = xops(&app, &write, &["aws", "link", "--name", "Again", "--role-arn", arn, "--kind", "management"]).await;
    assert_eq!(code, 5, "in conflict: {err}");
    assert!(err.contains("role_arn") && err.contains("already linked"), "{err}");
    let (code, _, err) = xops(&app, &write, &["accounts", "get", "999999"]).await;
    assert_eq!(code, 4, "{err}");
    let (code, _, err) = xops(&app, "xops_not-a-token", &["accounts", "list"]).await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not known"), "{err}");
    let (code, _, err) = xops(&app, &write, &["aws", "link", "--name", "No ARN"]).await;
    assert_eq!(code, 2, "{err}");
    // A role that fails its check: linked refused, nothing saved.
    moto.guard("deny", "arn:aws:iam::123456789012:role/Gone").await;
    let (code, _, err) = xops(&app, &write, &["aws", "link", "--name", "Gone", "--role-arn", "arn:aws:iam::123456789012:role/Gone", "--kind", "eks"]).await;
    assert_eq!(code, 5, "{err}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 1);
    // The linked role taken away: the re-test runs, and its failure is exit code 1.
    moto.guard("deny", arn).await;
    let (code, out, err) = xops(&app, &write, &["accounts", "retest", &id.to_string()]).await;
    assert_eq!(code, 1, "{out} {err}");
    assert!(out.contains("failed") && err.contains("the account's check failed"), "{out} {err}");
}
