//! docs/terraform.md, checked by running what it says Terraform runs: its `sh` blocks, as
//! written, against a portal and moto, with the environment Terraform gives them; and the
//! configuration reads only fields the API answers.
use crate::api::token;
use crate::common::aws::Moto;
use crate::common::{TestApp, PAYER_ARN};

fn blocks<'a>(doc: &'a str, language: &str) -> Vec<&'a str> {
    doc.split(&format!("```{language}\n")).skip(1).filter_map(|rest| rest.split("```").next()).collect()
}

#[tokio::test]
async fn the_terraform_guides_commands_register_a_role_and_retry_safely() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/terraform.md")).expect("docs/terraform.md");
    let commands = blocks(&doc, "sh");
    assert_eq!(commands.len(), 3, "the organization, the link, the list");
    let moto = Moto::start();
    let member = moto.create_member_account().await;
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let write = token(&app, &app.client, "Terraform", "write", "").await;
    let payer = serde_json::json!({ "name": "Payer", "role_arn": PAYER_ARN, "kind": "management" }).to_string();
    let (status, body) = crate::api::send(reqwest::Method::POST, &app, &write, "/api/v1/accounts/aws", Some(&payer)).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");

    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_xops")).parent().expect("the binary's folder").to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = |command: &str| {
        let mut sh = std::process::Command::new("sh");
        sh.args(["-ec", command])
            .env("PATH", &path)
            .env("XOPS_URL", &app.url)
            .env("XOPS_TOKEN", &write)
            .env("ACCOUNT_NAME", "Payments production")
            .env("ROLE_ARN", format!("arn:aws:iam::{member}:role/XopsReadOnlyAccess"))
            .env("LINK_KEY", "terraform-AROAEXAMPLE");
        async move {
            let out = tokio::task::spawn_blocking(move || sh.output()).await.unwrap().expect("sh runs");
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
        }
    };

    // The http data source: what the configuration reads from it is there.
    let (code, out, err) = run(commands[0]).await;
    assert_eq!(code, Some(0), "{err}");
    let organization: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let hcl = blocks(&doc, "hcl").concat();
    for field in hcl.split("local.xops.").skip(1).map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default()) {
        assert!(organization[field].is_string(), "the configuration reads {field}, which the API does not answer: {organization}");
    }

    // The provisioner links; an apply retried gets the same answer, and one account.
    for _ in 0..2 {
        let (code, out, err) = run(commands[1]).await;
        assert_eq!(code, Some(0), "{out} {err}");
        assert!(out.contains("Payments production") && out.contains("connected"), "{out}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts WHERE name = 'Payments production'").await, 1);
    let (code, out, err) = run(commands[2]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("\"external_account_id\": \"{member}\"")), "{out}");
}
