use std::fmt;

use serde::{Deserialize, Serialize};

use super::provider::Provider;
use crate::error::AppError;

/// A Microsoft GUID (App ID, Tenant ID), stored lower-case: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guid(String);

impl Guid {
    /// `field` is the form field the message belongs to; `what` names it in the message.
    pub fn parse(raw: &str, field: &str, what: &str) -> Result<Self, AppError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(AppError::invalid(field, format!("Enter the {what}.")));
        }
        let groups: Vec<&str> = value.split('-').collect();
        let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
        if !lengths_ok || !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(AppError::invalid(
                field,
                format!("The {what} is a GUID like 00000000-0000-0000-0000-000000000000 (copy it from the app registration's Overview page)."),
            ));
        }
        Ok(Guid(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant's initial domain, `contoso.onmicrosoft.com`: the Organization ID of Microsoft 365.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnMicrosoftDomain(String);

impl OnMicrosoftDomain {
    pub const FIELD: &'static str = "organization_id";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let value = raw.trim().to_lowercase();
        let err = |m: &str| AppError::invalid(Self::FIELD, m);
        if value.is_empty() {
            return Err(err("Enter the Organization ID (your tenant's domain ending in .onmicrosoft.com)."));
        }
        let Some(label) = value.strip_suffix(".onmicrosoft.com") else {
            return Err(err("The Organization ID is your tenant's domain ending in .onmicrosoft.com, e.g. contoso.onmicrosoft.com (Entra ID → Domain names)."));
        };
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !label_ok {
            return Err(err("The part before .onmicrosoft.com may have only letters, digits and hyphens (1 to 63)."));
        }
        Ok(OnMicrosoftDomain(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OnMicrosoftDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Microsoft services an app registration is linked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray)]
pub enum MsService {
    Azure,
    M365,
    Entra,
}

impl MsService {
    pub const ALL: &'static [MsService] = <MsService as strum::VariantArray>::VARIANTS;

    pub fn parse(s: &str) -> Option<MsService> {
        MsService::ALL.iter().copied().find(|m| m.as_str() == s)
    }

    /// Also the account's provider column.
    pub fn as_str(self) -> &'static str {
        self.provider().as_str()
    }

    pub fn provider(self) -> Provider {
        match self {
            MsService::Azure => Provider::Azure,
            MsService::M365 => Provider::M365,
            MsService::Entra => Provider::Entra,
        }
    }

    /// The service of a saved account (None: not a Microsoft account).
    pub fn of(provider: Provider) -> Option<MsService> {
        match provider {
            Provider::Azure => Some(MsService::Azure),
            Provider::M365 => Some(MsService::M365),
            Provider::Entra => Some(MsService::Entra),
            Provider::Aws | Provider::Eks => None,
        }
    }

    pub fn label(self) -> &'static str {
        self.provider().label()
    }

    pub fn scope(self) -> &'static str {
        match self {
            MsService::Azure => "https://management.azure.com/.default",
            MsService::M365 => "https://outlook.office365.com/.default",
            MsService::Entra => "https://graph.microsoft.com/.default",
        }
    }

    /// The application permission the access token must carry.
    pub fn required_role(self) -> Option<&'static str> {
        match self {
            MsService::Azure => None,
            MsService::M365 => Some("Exchange.ManageAsApp"),
            MsService::Entra => Some("AccessReview.Read.All"),
        }
    }

    pub fn api_name(self) -> &'static str {
        match self {
            MsService::Azure => "Azure Service Management",
            MsService::M365 => "Office 365 Exchange Online",
            MsService::Entra => "Microsoft Graph",
        }
    }

    pub fn missing_api_fix(self) -> &'static str {
        match self {
            MsService::Azure => "Check that the tenant has an Azure subscription.",
            MsService::M365 => "The tenant needs Exchange Online (a Microsoft 365 subscription).",
            MsService::Entra => "Check the tenant in the Microsoft Entra admin center.",
        }
    }

    /// Whether linking asks for the tenant's `.onmicrosoft.com` domain (Exchange Online needs it).
    pub fn asks_organization_id(self) -> bool {
        match self {
            MsService::M365 => true,
            MsService::Azure | MsService::Entra => false,
        }
    }

    /// The page with this service's link form.
    pub fn page(self) -> &'static str {
        match self {
            MsService::Azure => "/integrations/azure",
            MsService::M365 => "/integrations/microsoft/m365",
            MsService::Entra => "/integrations/microsoft/entra",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_normalised_and_checked() {
        let g =
            Guid::parse(" 0B6C4F3A-1D2E-4F5A-8B9C-0D1E2F3A4B5C ", "app_id", "App ID").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(g.to_string(), "0b6c4f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c");
        for bad in [
            "",
            "0b6c4f3a1d2e4f5a8b9c0d1e2f3a4b5c",
            "0b6c4f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5",
            "zb6c4f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c",
            "{0b6c4f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c}",
        ] {
            assert_eq!(
                Guid::parse(bad, "tenant_id", "Tenant ID").map_err(|e| e.field().map(String::from)),
                Err(Some("tenant_id".into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn organization_ids_are_onmicrosoft_domains() {
        assert_eq!(
            OnMicrosoftDomain::parse("Contoso.OnMicrosoft.com").map(|d| d.to_string()),
            Ok("contoso.onmicrosoft.com".into())
        );
        for bad in
            ["", "contoso.com", ".onmicrosoft.com", "-x.onmicrosoft.com", "a b.onmicrosoft.com", "a.b.onmicrosoft.com"]
        {
            assert!(OnMicrosoftDomain::parse(bad).is_err(), "{bad}");
        }
    }
}
