//! Azure, Microsoft 365 and Entra ID linking against a verifying identity double: certificates
//! made by the portal, client assertions checked with the uploaded certificate, AADSTS errors,
//! the roles claim, and Azure subscriptions paged with nextLink.
use crate::common::entra::{connect, generate, EntraDouble, APP, TENANT};
use crate::common::{expect_status, location, TestApp};
use reqwest::StatusCode;
use xops::integrations::microsoft::subscriptions::SubscriptionRow;

async fn subscriptions(app: &TestApp, id: i64) -> Vec<SubscriptionRow> {
    let body = expect_status(
        app.call(&app.client, "azure_subscriptions", &[("account_id", &id.to_string())]).await,
        StatusCode::OK,
    )
    .await;
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn azure_is_linked_with_an_uploaded_certificate_and_its_subscriptions_managed() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    entra.set_subscriptions(&[
        ("11111111-0000-0000-0000-000000000001", "Production", "Enabled"),
        ("11111111-0000-0000-0000-000000000002", "Staging", "Enabled"),
        ("11111111-0000-0000-0000-000000000003", "Sandbox", "Enabled"),
        ("11111111-0000-0000-0000-000000000004", "Old", "Disabled"),
        ("11111111-0000-0000-0000-000000000005", "Research", "Enabled"),
    ]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "azure").await;
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !pem.contains("PRIVATE"));
    assert_eq!(cert.thumbprint.len(), 40);

    // Before the upload, Entra does not know the certificate: the message says what to do.
    let early =
        expect_status(connect(&app, &app.client, "azure", "Contoso", cert.id, &[]).await, StatusCode::BAD_REQUEST)
            .await;
    assert!(early.contains("AADSTS700027") && early.contains(&cert.thumbprint), "{early}");

    entra.upload_certificate(APP, &pem).await;
    let res = connect(&app, &app.client, "azure", "Contoso", cert.id, &[]).await;
    let target = location(&res);
    expect_status(res, StatusCode::OK).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM cloud_accounts WHERE provider = 'azure'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(target, format!("/accounts/{id}/subscriptions?notice=linked-azure"), "Azure lands on its subscriptions");

    // Every page was followed; nothing is connected until the user says so.
    let rows = subscriptions(&app, id).await;
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| !r.selected));

    let update = |picked: Vec<&'static str>| {
        let mut form = vec![("account_id".to_string(), id.to_string())];
        form.extend(picked.into_iter().map(|p| ("selected[]".to_string(), p.to_string())));
        form
    };
    let send = |form: Vec<(String, String)>| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/update_azure_subscriptions", app.url))
                .header(reqwest::header::ORIGIN, &app.url)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let res = send(update(vec!["11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"])).await;
    assert!(location(&res).contains("connected=2&disconnected=0"), "{}", location(&res));
    let res = send(update(vec!["11111111-0000-0000-0000-000000000002"])).await;
    assert!(location(&res).contains("connected=0&disconnected=1"), "{}", location(&res));
    let selected: Vec<String> =
        subscriptions(&app, id).await.into_iter().filter(|r| r.selected).map(|r| r.name).collect();
    assert_eq!(selected, ["Staging"]);
    let disabled = send(update(vec!["11111111-0000-0000-0000-000000000004"])).await;
    let body = expect_status(disabled, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("only Enabled subscriptions"), "{body}");
    let selected_after: Vec<String> =
        subscriptions(&app, id).await.into_iter().filter(|r| r.selected).map(|r| r.name).collect();
    assert_eq!(selected_after, ["Staging"], "a refused update changes nothing");

    // Refresh reads the list again: a selected subscription Azure no longer shows is dropped,
    // and the audit log says which, in the same transaction.
    entra.set_subscriptions(&[("11111111-0000-0000-0000-000000000001", "Production", "Enabled")]).await;
    let refreshed = app.call(&app.client, "refresh_azure_subscriptions", &[("account_id", &id.to_string())]).await;
    assert!(refreshed.status().is_success() || refreshed.status().is_redirection(), "{}", refreshed.status());
    assert!(subscriptions(&app, id).await.iter().all(|r| !r.selected));
    let audited: String =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'refresh_subscriptions'").fetch_one(&app.pool).await.unwrap();
    assert!(audited.contains("11111111-0000-0000-0000-000000000002"), "{audited}");

    // Re-test signs in again; once the certificate is gone from the app, it fails and says why.
    entra.remove_certificates(APP).await;
    app.call(&app.client, "retest_account", &[("account_id", &id.to_string())]).await;
    let (status, message): (String, String) =
        sqlx::query_as("SELECT status, status_message FROM cloud_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(message.contains("AADSTS700027"), "{message}");
}

#[tokio::test]
async fn generate_public_key_and_download_is_one_step_that_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    // Without JavaScript the Generate button posts the whole link form (fields first, as the guide says).
    let form = [
        ("service", "m365"),
        ("certificate_id", ""),
        ("name", "Contoso 365"),
        ("app_id", APP),
        ("tenant_id", TENANT),
        ("organization_id", "contoso.onmicrosoft.com"),
    ];
    let res = app.submit(&app.client, "generate_certificate", &form, "/integrations/microsoft/m365").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    assert!(back.starts_with("/integrations/microsoft/m365?certificate=") && back.contains("&download=1"), "{back}");
    assert!(back.contains("name=Contoso%20365") && back.contains(&format!("app_id={APP}")), "{back}");

    let page = expect_status(app.get(&app.client, &back).await, StatusCode::OK).await;
    for typed in ["value=\"Contoso 365\"", &format!("value=\"{APP}\""), &format!("value=\"{TENANT}\""), "value=\"contoso.onmicrosoft.com\""] {
        assert!(page.contains(typed), "{typed} is still in the form");
    }
    // The thumbprint beside the form, and the download started by the page itself.
    assert!(page.contains("class=\"thumbprint\""));
    let id = back.split("certificate=").nth(1).and_then(|s| s.split('&').next()).unwrap();
    let refresh = page.split("http-equiv=\"refresh\" content=\"0;url=").nth(1).expect("a download that starts by itself");
    let url = refresh.split('"').next().unwrap();
    assert!(url.starts_with("/certificates/") && url.contains(id), "{url}");
    let cer = app.get(&app.client, url).await;
    assert!(cer.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(cer.text().await.unwrap().contains("BEGIN CERTIFICATE"));

    // Refused (too many certificates waiting for an account), the page still has what was typed.
    for copy in 0..9 {
        sqlx::query(
            "INSERT INTO certificates (organization_id, service, cert_pem, thumbprint, x5t_s256, not_after, sealed_key, key_nonce, key_id, created_at, sealed_bound) \
             SELECT organization_id, service, cert_pem, thumbprint || $1, x5t_s256 || $2, not_after, sealed_key, key_nonce, key_id, created_at, sealed_bound FROM certificates WHERE id = $3",
        )
        .bind(copy.to_string())
        .bind(copy.to_string())
        .bind(id.parse::<i64>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let refused = app.submit(&app.client, "generate_certificate", &form, "/integrations/microsoft/m365").await;
    let back = location(&refused);
    assert!(back.contains("__err") && back.contains("name=Contoso%20365") && back.contains(&format!("tenant_id={TENANT}")), "{back}");
    let page = expect_status(app.get(&app.client, &back).await, StatusCode::OK).await;
    assert!(page.contains("certificates that are not connected to an account yet") && page.contains("value=\"Contoso 365\""));
}

#[tokio::test]
async fn the_database_holds_no_private_key_in_plain_form() {
    let entra = EntraDouble::start().await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    generate(&app, &app.client, "entra").await;
    // Every stored byte of the certificates; on SQLite, the whole database file too.
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT cert_pem, sealed_key FROM certificates").fetch_all(&app.pool).await.unwrap();
    let mut bytes: Vec<u8> = rows.into_iter().flat_map(|(pem, key)| pem.into_bytes().into_iter().chain(key)).collect();
    if !crate::common::on_postgres() {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&app.pool).await.unwrap();
        bytes.extend(std::fs::read(app.dir.path().join("xops.db")).unwrap());
        bytes.extend(std::fs::read(app.dir.path().join("xops.db-wal")).unwrap_or_default());
    }
    // PKCS#8 wraps the RSA key in an OCTET STRING right after the rsaEncryption algorithm;
    // a certificate's public key is a BIT STRING there instead.
    let pkcs8_marker = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x82];
    assert!(!bytes.windows(pkcs8_marker.len()).any(|w| w == pkcs8_marker), "an unsealed PKCS#8 key is in the database");
    assert!(!bytes.windows(11).any(|w| w == b"PRIVATE KEY"));
    let sealed: i64 =
        app.count("SELECT COUNT(*) FROM certificates WHERE length(sealed_key) > 1500 AND length(key_nonce) = 12").await;
    assert_eq!(sealed, 1, "the key is there, sealed");
}

#[tokio::test]
async fn m365_needs_exchange_manage_as_app_and_an_onmicrosoft_domain() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &["User.Read.All"]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "m365").await;
    entra.upload_certificate(APP, &pem).await;

    let domain = expect_status(
        connect(&app, &app.client, "m365", "Contoso 365", cert.id, &[("organization_id", "contoso.com")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(domain.contains("\"field\":\"organization_id\""), "{domain}");
    let org = [("organization_id", "contoso.onmicrosoft.com")];
    let missing =
        expect_status(connect(&app, &app.client, "m365", "Contoso 365", cert.id, &org).await, StatusCode::BAD_REQUEST)
            .await;
    assert!(missing.contains("Exchange.ManageAsApp") && missing.contains("Grant admin consent"), "{missing}");

    entra.set_roles(APP, &["Exchange.ManageAsApp"]).await;
    let ok = connect(&app, &app.client, "m365", "Contoso 365", cert.id, &org).await;
    assert_eq!(location(&ok), "/integrations/microsoft?notice=linked-m365");
    let (domain, status): (String, String) =
        sqlx::query_as("SELECT m365_domain, status FROM cloud_accounts WHERE provider = 'm365'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((domain.as_str(), status.as_str()), ("contoso.onmicrosoft.com", "connected"));
    let again =
        expect_status(connect(&app, &app.client, "m365", "Other name", cert.id, &org).await, StatusCode::CONFLICT)
            .await;
    assert!(again.contains("already linked"), "{again}");
}

/// A server may close a kept-alive connection just as it is reused; a token request is safe to
/// repeat, so one dropped connection costs the user nothing, and two say what happened.
#[tokio::test]
async fn a_connection_dropped_before_microsoft_answers_is_tried_once_more() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &["Exchange.ManageAsApp"]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "m365").await;
    entra.upload_certificate(APP, &pem).await;
    let org = [("organization_id", "contoso.onmicrosoft.com")];

    entra.hang_up_next(2).await;
    let lost =
        expect_status(connect(&app, &app.client, "m365", "Contoso 365", cert.id, &org).await, StatusCode::BAD_GATEWAY)
            .await;
    assert!(lost.contains("could not reach Microsoft") && lost.contains("Nothing was saved"), "{lost}");

    entra.hang_up_next(1).await;
    let ok = connect(&app, &app.client, "m365", "Contoso 365", cert.id, &org).await;
    assert_eq!(location(&ok), "/integrations/microsoft?notice=linked-m365");
}

#[tokio::test]
async fn entra_id_errors_point_at_the_field_to_fix() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &["AccessReview.Read.All"]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "entra").await;
    entra.upload_certificate(APP, &pem).await;
    let cert_id = cert.id.to_string();

    let unknown_tenant = app
        .call(
            &app.client,
            "link_microsoft_account",
            &[
                ("service", "entra"),
                ("name", "Id"),
                ("app_id", APP),
                ("tenant_id", "00000000-0000-0000-0000-000000000000"),
                ("certificate_id", &cert_id),
            ],
        )
        .await;
    let body = expect_status(unknown_tenant, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("\"field\":\"tenant_id\"") && body.contains("AADSTS90002"), "{body}");
    let unknown_app = app
        .call(
            &app.client,
            "link_microsoft_account",
            &[
                ("service", "entra"),
                ("name", "Id"),
                ("app_id", "00000000-0000-0000-0000-000000000001"),
                ("tenant_id", TENANT),
                ("certificate_id", &cert_id),
            ],
        )
        .await;
    let body = expect_status(unknown_app, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("\"field\":\"app_id\"") && body.contains("AADSTS700016"), "{body}");
    let not_guid = app
        .call(
            &app.client,
            "link_microsoft_account",
            &[
                ("service", "entra"),
                ("name", "Id"),
                ("app_id", "my-app"),
                ("tenant_id", TENANT),
                ("certificate_id", &cert_id),
            ],
        )
        .await;
    expect_status(not_guid, StatusCode::BAD_REQUEST).await;

    // The role is granted but Graph refuses access reviews (no Governance licence): said as cause and fix.
    entra.refuse_access_reviews(TENANT, true).await;
    let refused = connect(&app, &app.client, "entra", "Directory", cert.id, &[]).await;
    let body = expect_status(refused, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("Microsoft Graph refused to read access reviews (HTTP 403)") && body.contains("Grant admin consent"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 0);
    entra.refuse_access_reviews(TENANT, false).await;

    let ok = connect(&app, &app.client, "entra", "Directory", cert.id, &[]).await;
    assert_eq!(location(&ok), "/integrations/microsoft?notice=linked-entra");
    // The provider's own confirmation, not AWS's (it once said the role was verified with the External ID).
    let page = expect_status(app.get(&app.client, &location(&ok)).await, StatusCode::OK).await;
    assert!(page.contains("which holds AccessReview.Read.All"), "{page}");
    assert!(!page.contains("External ID"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates WHERE account_id IS NOT NULL").await, 1);
    let status: String = sqlx::query_scalar("SELECT status_message FROM cloud_accounts").fetch_one(&app.pool).await.unwrap();
    assert!(status.contains("access reviews read through Microsoft Graph"), "{status}");
}

#[tokio::test]
async fn another_organization_cannot_use_or_see_certificates_and_subscriptions() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "azure").await;
    entra.upload_certificate(APP, &pem).await;
    connect(&app, &app.client, "azure", "Contoso", cert.id, &[]).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM cloud_accounts").fetch_one(&app.pool).await.unwrap();

    let eve = app.new_browser();
    app.sign_up(&eve, "Evil Corp", "eve@example.com").await;
    expect_status(app.get(&eve, &cert.download_url).await, StatusCode::NOT_FOUND).await;
    expect_status(
        app.call(&eve, "certificate_info", &[("certificate_id", &cert.id.to_string())]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Acme's certificate id signs nothing for Eve.
    let stolen = expect_status(connect(&app, &eve, "azure", "Mine", cert.id, &[]).await, StatusCode::BAD_REQUEST).await;
    assert!(stolen.contains("certificate"), "{stolen}");
    for (name, form) in [
        ("azure_subscriptions", vec![("account_id", id.to_string())]),
        ("refresh_azure_subscriptions", vec![("account_id", id.to_string())]),
        ("update_azure_subscriptions", vec![("account_id", id.to_string())]),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        expect_status(app.call(&eve, name, &form).await, StatusCode::NOT_FOUND).await;
    }
    expect_status(app.get(&app.new_browser(), &cert.download_url).await, StatusCode::UNAUTHORIZED).await;
}
