//! Microsoft over the API, against the verifying identity double: a certificate made and its
//! PEM returned, Connect with the form's verification and refusals, and an Azure account's
//! subscriptions read, updated and refreshed.
use reqwest::{Method, StatusCode};

use crate::api::{send, token};
use crate::common::entra::{EntraDouble, APP, TENANT};
use crate::common::TestApp;

#[tokio::test]
async fn a_pipeline_links_azure_with_a_certificate_it_uploads_and_picks_subscriptions() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    entra.set_subscriptions(&[
        ("11111111-0000-0000-0000-000000000001", "Production", "Enabled"),
        ("11111111-0000-0000-0000-000000000002", "Staging", "Enabled"),
    ]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let write = token(&app, &app.client, "Pipeline", "write", "").await;

    let (status, body) = send(Method::POST, &app, &write, "/api/v1/certificates", Some(r#"{"service":"azure"}"#)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cert: serde_json::Value = serde_json::from_str(&body).unwrap();
    let pem = cert["certificate_pem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !body.contains("PRIVATE"), "{body}");
    let connect = serde_json::json!({
        "service": "azure", "name": "Contoso", "app_id": APP, "tenant_id": TENANT, "certificate_id": cert["id"],
    })
    .to_string();

    // Before the upload Entra refuses, in the form's words, beside nothing saved.
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/accounts/microsoft", Some(&connect)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("AADSTS700027") && body.contains("Upload certificate"), "{body}");
    entra.upload_certificate(APP, pem).await;
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/accounts/microsoft", Some(&connect)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let account: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((account["provider"].as_str(), account["status"].as_str()), (Some("azure"), Some("connected")));
    let id = account["id"].as_i64().unwrap();
    let again = connect.replace("Contoso", "Contoso again");
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/accounts/microsoft", Some(&again)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("\"field\":\"tenant_id\""), "{body}");

    // Nothing is connected until chosen; a list left out stays as it is.
    let path = format!("/api/v1/accounts/{id}/subscriptions");
    let (status, body) = send(Method::GET, &app, &write, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed["subscriptions"].as_array().map(Vec::len), Some(2));
    assert!(listed["subscriptions"].as_array().unwrap().iter().all(|s| s["selected"] == false));
    let (status, body) = send(Method::PUT, &app, &write, &path, Some(r#"{"selected":["11111111-0000-0000-0000-000000000002"]}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let chosen: serde_json::Value = serde_json::from_str(&body).unwrap();
    let selected: Vec<&str> = chosen["subscriptions"].as_array().unwrap().iter().filter(|s| s["selected"] == true).filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(selected, ["Staging"]);
    let (status, body) = send(Method::PUT, &app, &write, &path, Some(r#"{"selected":["not-in-this-tenant"]}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("\"field\":\"selected\"") && body.contains("Refresh the list"), "{body}");
    let (status, body) = send(Method::PUT, &app, &write, &path, Some(r#"{"selected":"x"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    entra.set_subscriptions(&[("11111111-0000-0000-0000-000000000002", "Staging", "Enabled")]).await;
    let (status, body) = send(Method::POST, &app, &write, &format!("{path}/refresh"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Staging") && !body.contains("Production"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'API token \"Pipeline\"' AND action IN ('generate_certificate', 'link_account', 'update_subscriptions', 'refresh_subscriptions')").await, 4);

    // A read token reads and changes nothing; an AWS account has no subscriptions; another
    // organization's certificate is not there.
    let read = token(&app, &app.client, "Dashboards", "read", "").await;
    assert_eq!(send(Method::GET, &app, &read, &path, None).await.0, StatusCode::OK);
    assert_eq!(send(Method::PUT, &app, &read, &path, Some("{}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(Method::POST, &app, &read, "/api/v1/certificates", Some(r#"{"service":"azure"}"#)).await.0, StatusCode::FORBIDDEN);
    let org = app.organization_id("ada@example.com").await;
    let aws = app.insert_account(org, "aws", "linked", "Payments", "111111111111").await;
    assert_eq!(send(Method::GET, &app, &write, &format!("/api/v1/accounts/{aws}/subscriptions"), None).await.0, StatusCode::NOT_FOUND);
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    let theirs = token(&app, &eve, "Theirs", "write", "").await;
    let (status, body) = send(Method::POST, &app, &theirs, "/api/v1/accounts/microsoft", Some(&connect.replace("Contoso", "Stolen"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("\"field\":\"certificate_id\"") && body.contains("no longer exists"), "{body}");
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/certificates", Some(r#"{"service":"gcp"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"service\""), "{body}");
}

#[tokio::test]
async fn a_pipeline_links_azure_through_a_federated_credential() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    let app = TestApp::spawn_with(|c| {
        c.microsoft = entra.settings();
        c.microsoft.federated_patience = std::time::Duration::from_secs(1);
    })
    .await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let write = token(&app, &app.client, "Pipeline", "write", "").await;
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/federated-credentials", Some(r#"{"service":"azure"}"#)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let values: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(values["audience"], "api://AzureADTokenExchange");
    let subject = values["subject"].as_str().unwrap();
    let connect = |extra: serde_json::Value| {
        let mut body = serde_json::json!({ "service": "azure", "name": "Contoso", "app_id": APP, "tenant_id": TENANT });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    let by_subject = connect(serde_json::json!({ "subject_id": values["id"] }));
    let both = connect(serde_json::json!({ "subject_id": values["id"], "certificate_id": 1 }));
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/accounts/microsoft", Some(&both)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("not both"), "{body}");

    // Before the credential is added: the values to enter, under subject_id.
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/accounts/microsoft", Some(&by_subject)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("AADSTS70021") && body.contains(subject), "{body}");
    entra.add_federated_credential(APP, values["issuer"].as_str().unwrap(), subject, "api://AzureADTokenExchange", 0).await;
    let (status, body) = send(Method::POST, &app, &write, "/api/v1/accounts/microsoft", Some(&by_subject)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("Signed in with the federated credential"), "{body}");
}
