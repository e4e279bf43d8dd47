//! Why Entra refused to sign the app in, in words with the fix, by AADSTS code: for a
//! certificate, and for a token of the portal's issuer (which value of the federated credential
//! to enter or correct, or why Entra could not check the token).
use super::identity::{AppCredential, Proof, TokenError};
use crate::domain::{Check, MsService};
use crate::error::AppError;

/// The user-facing error for a refused sign-in: a federated credential's own codes first, then
/// the codes both ways share (unknown app or tenant, a missing API) and the certificate's.
pub fn explain(err: &TokenError, c: &AppCredential<'_>, service: MsService, check: Check) -> AppError {
    let code = err.error_codes.first().copied().unwrap_or(0);
    if let Proof::Federated { issuer, subject, .. } = c.proof {
        if let Some(refusal) = explain_federated_refusal(code, c.app_id, issuer, subject, check) {
            return refusal;
        }
    }
    explain_token_error(err, c, service, check)
}

/// The user-facing error for a refused token request: cause and fix, by AADSTS code.
fn explain_token_error(err: &TokenError, c: &AppCredential<'_>, service: MsService, check: Check) -> AppError {
    let code = err.error_codes.first().copied().unwrap_or(0);
    let (app, tenant) = (c.app_id, c.tenant_id);
    // A federated credential's own refusals are explained by its caller (`sign_in`).
    let thumbprint = match c.proof {
        Proof::Certificate { thumbprint, .. } => thumbprint,
        Proof::Federated { .. } => "",
    };
    match code {
        // It signed in before: the certificate was taken off the app (or replaced there).
        700027 if check == Check::Recheck => AppError::Verification(format!(
            "The certificate was removed from the app registration (AADSTS700027; it worked before). Open app {app} → \
             Certificates & secrets and upload the .cer with thumbprint {thumbprint} again, or Renew certificate, then Re-test."
        )),
        // Verify and switch before the new certificate was uploaded: the current one still works.
        700027 if check == Check::Renewal => AppError::invalid(
            "certificate",
            format!(
                "Microsoft Entra ID does not accept the new certificate yet (AADSTS700027). Open app {app} → Certificates & \
                 secrets → Upload certificate, choose the new .cer (thumbprint {thumbprint}), click Add, then Verify and \
                 switch again. The current certificate keeps working until then."
            ),
        ),
        700027 => AppError::Verification(format!(
            "Microsoft Entra ID does not accept the certificate (AADSTS700027): it has not been uploaded to app {app}, or a \
             different one was. Open the app registration → Certificates & secrets → Upload certificate, choose the .cer \
             downloaded here (thumbprint {thumbprint}), click Add, then Connect again."
        )),
        700016 => AppError::invalid(
            "app_id",
            format!(
                "Application {app} was not found in tenant {tenant} (AADSTS700016). Check the App ID (Application (client) ID) \
                 on the app registration's Overview page, that the app lives in this tenant, and that an administrator consented to it."
            ),
        ),
        90002 => AppError::invalid(
            "tenant_id",
            format!("Tenant {tenant} was not found (AADSTS90002). Copy the Directory (tenant) ID from the app registration's Overview page."),
        ),
        7000215 => AppError::Verification(
            "Microsoft treated the sign-in as a client secret and rejected it (AADSTS7000215). Xops signs in with the \
             certificate only: upload the certificate generated here to the app registration."
                .into(),
        ),
        700030 => AppError::Verification(
            "Microsoft rejected the certificate's subject (AADSTS700030). Upload the certificate generated here, unchanged, \
             to the app registration."
                .into(),
        ),
        500011 => AppError::Verification(format!(
            "The API Xops needs ({}) is not available in tenant {tenant} (AADSTS500011). {}",
            service.api_name(),
            service.missing_api_fix()
        )),
        _ => {
            let first_line = err.error_description.lines().next().unwrap_or("").trim();
            AppError::Verification(format!(
                "Microsoft Entra ID refused the sign-in ({}{}). {first_line}",
                if err.error.is_empty() { "unknown error" } else { err.error.as_str() },
                if code > 0 { format!(", AADSTS{code}") } else { String::new() }
            ))
        }
    }
}

/// Entra's codes for a federated credential that does not match (one added a moment ago may not
/// have taken effect yet: Connect tries again for a while on these).
pub const FEDERATED_NOT_MATCHED: [i64; 4] = [70021, 700211, 700212, 700213];

/// What to do when Entra refuses the issuer's token, by AADSTS code; None for the codes both
/// ways share (unknown app or tenant, a missing API).
fn explain_federated_refusal(code: i64, app: &str, issuer: &str, subject: &str, check: Check) -> Option<AppError> {
    let values = format!(
        "open app {app} → Certificates & secrets → Federated credentials → Add credential → Other issuer, and enter Issuer \
         {issuer}, Subject identifier {subject} (Explicit subject identifier) and Audience {}",
        crate::issuer::keys::AUDIENCE
    );
    let again = match check {
        Check::Link | Check::Member => "then Connect again",
        Check::Renewal => "then Verify and switch again; the account keeps signing in as before until then",
        Check::Recheck => "then Re-test",
    };
    let error = match code {
        70021 | 700213 if check == Check::Recheck => AppError::Verification(format!(
            "No federated credential on app {app} matches subject {subject} any more (AADSTS{code}; it worked before): it was \
             removed or changed. To add it back, {values}, {again}."
        )),
        70021 | 700213 => AppError::Verification(format!(
            "No federated credential on app {app} matches subject {subject} (AADSTS{code}), even after waiting for a new one to \
             take effect: {values}, {again}."
        )),
        700211 => AppError::Verification(format!(
            "App {app} has no federated credential for issuer {issuer} (AADSTS700211): the Issuer was entered differently. It \
             must match exactly, with no trailing slash. Edit the credential or {values}, {again}."
        )),
        700212 => AppError::Verification(format!(
            "The federated credential on app {app} expects another audience (AADSTS700212). Edit it: Audience must be {}, the \
             default. Then {}.",
            crate::issuer::keys::AUDIENCE,
            again.trim_start_matches("then ")
        )),
        50166 | 90061 | 501661 => AppError::Verification(format!(
            "Microsoft Entra ID could not fetch Xops's signing keys from {issuer}/.well-known/openid-configuration \
             (AADSTS{code}). That address must be reachable from the internet over HTTPS: see \"The OpenID issuer\" in \
             Xops's README for XOPS_ISSUER_URL, or ask your Xops administrator. Then {}.",
            again.trim_start_matches("then ")
        )),
        7000272 => AppError::Verification(format!(
            "Microsoft Entra ID fetched Xops's signing keys from {issuer} but not the one that signed the token (AADSTS7000272): \
             a static copy of the issuer's documents is out of date. Run `xops issuer export` again and publish it, then {}.",
            again.trim_start_matches("then ")
        )),
        700024 => AppError::Verification(
            "Microsoft Entra ID says the token is not within its valid time range (AADSTS700024): check the clock of the \
             machine Xops runs on, then try again."
                .into(),
        ),
        _ => return None,
    };
    Some(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_aadsts_code_names_its_cause() {
        let c = AppCredential {
            app_id: "11111111-1111-1111-1111-111111111111",
            tenant_id: "22222222-2222-2222-2222-222222222222",
            proof: Proof::Certificate { private_key_pkcs8: b"", x5t_s256: "x5t-value", thumbprint: "ABCDEF" },
        };
        let explain = |code: i64| {
            explain(&TokenError { error_codes: vec![code], ..Default::default() }, &c, MsService::M365, Check::Link)
        };
        assert!(explain(700027).to_string().contains("Upload certificate"));
        assert!(explain(700027).to_string().contains("ABCDEF"));
        assert_eq!(explain(700016).field(), Some("app_id"));
        assert_eq!(explain(90002).field(), Some("tenant_id"));
        assert!(explain(7000215).to_string().contains("certificate only"));
        assert!(explain(700030).to_string().contains("subject"));
        assert!(explain(500011).to_string().contains("Exchange Online"));
        assert!(explain(123).to_string().contains("AADSTS123"));
    }

    #[test]
    fn each_federated_refusal_names_the_value_to_fix() {
        let c = AppCredential {
            app_id: "app-1",
            tenant_id: "tenant-1",
            proof: Proof::Federated { assertion: "a.b.c", issuer: "https://xops.example", subject: "xops:link:abc" },
        };
        let explain = |code: i64, check: Check| {
            explain(&TokenError { error_codes: vec![code], ..Default::default() }, &c, MsService::Azure, check).to_string()
        };
        let missing = explain(70021, Check::Link);
        for value in ["app-1", "https://xops.example", "xops:link:abc", "api://AzureADTokenExchange", "Other issuer"] {
            assert!(missing.contains(value), "{missing} names {value}");
        }
        assert!(explain(700213, Check::Recheck).contains("any more"));
        assert!(explain(700211, Check::Link).contains("no federated credential for issuer https://xops.example"));
        assert!(explain(700212, Check::Link).contains("Audience must be api://AzureADTokenExchange"));
        assert!(explain(50166, Check::Link).contains("could not fetch"));
        assert!(explain(7000272, Check::Link).contains("xops issuer export"));
        assert!(explain(700016, Check::Link).contains("was not found in tenant"), "shared codes keep their words");
        assert!(!explain(70021, Check::Link).contains("certificate"));
    }

}
