//! The API's OpenAPI document: served without a token, valid OpenAPI 3.1 by
//! openapi-spec-validator, and the running API held to it by schemathesis, which sends valid and
//! invalid requests made from the document's schemas (fixed seed, bounded examples).
use reqwest::StatusCode;

use crate::api::token;
use crate::common::{expect_status, TestApp};

fn tool(name: &str) -> String {
    format!("{}/target/tools/openapi/bin/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        // Schemathesis keeps a cache of what it found in its working directory: not the checkout.
        .current_dir(std::env::temp_dir())
        .env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/integration"))
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); scripts/setup.sh --for-tests installs it"));
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1_and_every_operation_is_served() {
    let app = TestApp::spawn().await;
    let body = expect_status(app.client.get(format!("{}/api/v1/openapi.json", app.url)).send().await.unwrap(), StatusCode::OK).await;
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, &body).unwrap();
    let (valid, said) = run(&tool("openapi-spec-validator"), &[file.to_str().unwrap()]);
    assert!(valid, "{said}");

    // Every operation documented is routed, wants a token, and says what it refuses; every one
    // has an example for what it takes and answers.
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 7, "{}", paths.len());
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let url = format!("{}{}", app.url, path.replace("{id}", "1"));
            let res = reqwest::Client::new().request(method.to_uppercase().parse().unwrap(), &url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            let responses = operation["responses"].as_object().unwrap();
            for status in ["401", "403", "422", "429"] {
                assert!(responses.contains_key(status), "{method} {path} documents no {status}");
            }
            assert!(operation["operationId"].is_string() && operation["summary"].is_string(), "{method} {path}");
        }
    }
    // What each operation takes and answers has an example: its own, or its items' (a page).
    let schemas = &doc["components"]["schemas"];
    let described = |reference: &serde_json::Value| {
        let name = reference.as_str().and_then(|r| r.strip_prefix("#/components/schemas/")).unwrap_or_default();
        let schema = &schemas[name];
        let composed = schema["properties"].as_object().is_some_and(|p| p.values().all(|v| v["type"] == "array" || v.get("example").is_some()));
        schema.get("example").is_some() || composed
    };
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let body = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            assert!(body.is_null() || described(body), "{method} {path}: its request body has no example");
            for (status, response) in operation["responses"].as_object().unwrap() {
                let answer = &response["content"]["application/json"]["schema"]["$ref"];
                assert!(!status.starts_with('2') || answer.is_null() || described(answer), "{method} {path}: its {status} has no example");
            }
        }
    }
    assert!(described(&"#/components/schemas/Problem".into()));
}

#[tokio::test]
async fn schemathesis_finds_the_api_true_to_its_document() {
    use crate::common::aws::Moto;
    use crate::common::entra::{EntraDouble, APP, TENANT};
    // AWS (moto, with an AWS Organization) and Entra's double, so that links, checks and
    // organization reads get answers, as they would from the clouds.
    let moto = Moto::start();
    moto.create_member_account().await;
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    let app = TestApp::spawn_with(|c| {
        c.aws = moto.settings();
        c.microsoft = entra.settings();
        c.api_requests_per_minute = 1_000_000;
    })
    .await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    for (provider, kind, name, external) in [("aws", "linked", "Payments", "111111111111"), ("eks", "", "Cluster", "222222222222"), ("azure", "", "Tenant", "00000000-0000-0000-0000-000000000001")] {
        app.insert_account(org, provider, kind, name, external).await;
    }
    let write = token(&app, &app.client, "Schemathesis", "write", "").await;
    let schema = format!("{}/api/v1/openapi.json", app.url);
    // The token through the document's security scheme, so that its checks of missing
    // authentication take it away.
    let config = app.dir.path().join("schemathesis.toml");
    std::fs::write(&config, format!("[auth.openapi.bearer]\nbearer = \"{write}\"\n")).unwrap();
    let report = app.dir.path().join("schemathesis");
    let args = [
        "--config-file", config.to_str().unwrap(), "run", &schema, "--checks", "all",
        // A request the schema allows may still be refused by a rule the schema cannot say (a
        // certificate deleted, a subscription not in the tenant): 400 with the form's sentence.
        "--exclude-checks", "positive_data_acceptance", "--mode", "all", "--seed", "20261207", "--max-examples", "25",
        "--phases", "examples,coverage,fuzzing,stateful", "--workers", "1", "--no-color", "--report-dir", report.to_str().unwrap(),
    ];
    let st = tool("schemathesis");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (passed, said) = tokio::task::spawn_blocking(move || run(&st, &args.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap();
    assert!(passed, "{said}");
}

#[tokio::test]
async fn the_reference_page_renders_every_operation_from_the_document() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let doc: serde_json::Value = app.client.get(format!("{}/api/v1/openapi.json", app.url)).send().await.unwrap().json().await.unwrap();
    let page = expect_status(app.get(&app.client, "/settings/api-tokens/reference").await, StatusCode::OK).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let shown = format!("{} {}", method.to_uppercase(), path);
            assert!(page.contains(&shown), "the page lacks {shown}");
        }
    }
    // With the document's examples and refusals.
    assert!(page.contains("arn:aws:iam::123456789012:role/XopsReadOnly") && page.contains("Idempotency-Key") && page.contains("429"), "{page}");
    let tokens = expect_status(app.get(&app.client, "/settings/api-tokens").await, StatusCode::OK).await;
    assert!(tokens.contains("href=\"/settings/api-tokens/reference\""));
}
