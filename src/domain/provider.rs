//! The catalogue: the providers the portal links and the Integrations cards that hold them,
//! the one place that lists them. Every decision per provider is an exhaustive `match` here or in
//! `integrations/`, so adding one makes the compiler name every place to wire it.
use serde::{Deserialize, Serialize};
use strum::VariantArray;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, VariantArray)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Eks,
    Azure,
    M365,
    Entra,
}

impl Provider {
    /// Every provider, in declaration order (derived: a new one cannot be left out).
    pub const ALL: &'static [Provider] = Provider::VARIANTS;

    /// The `provider` column (also the value in URLs and notices).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Eks => "eks",
            Provider::Azure => "azure",
            Provider::M365 => "m365",
            Provider::Entra => "entra",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.iter().copied().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Eks => "EKS",
            Provider::Azure => "Azure",
            Provider::M365 => "Microsoft 365",
            Provider::Entra => "Microsoft Entra ID",
        }
    }

    /// What its accounts' external id is: lists head that column with it.
    pub fn account_id_label(self) -> &'static str {
        match self {
            Provider::Aws | Provider::Eks => "Account ID",
            Provider::Azure | Provider::M365 | Provider::Entra => "Tenant ID",
        }
    }

    pub fn card(self) -> Card {
        match self {
            Provider::Aws => Card::Aws,
            Provider::Eks => Card::Eks,
            Provider::Azure => Card::Azure,
            Provider::M365 | Provider::Entra => Card::Microsoft,
        }
    }

    /// The confirmation after a link, in this provider's own terms (`?notice=linked-<provider>`).
    pub fn linked_notice(self) -> &'static str {
        match self {
            Provider::Aws | Provider::Eks => "Account connected. Xops verified the role with your External ID.",
            Provider::Azure => {
                "Account connected. Xops signed in as your app: choose the subscriptions to connect below."
            }
            Provider::M365 => {
                "Account connected. Xops signed in as your app, which holds Exchange.ManageAsApp."
            }
            Provider::Entra => {
                "Account connected. Xops signed in as your app, which holds AccessReview.Read.All."
            }
        }
    }
}

/// The Integrations cards, in the guide's order; Microsoft holds both M365 and Entra ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, VariantArray)]
pub enum Card {
    Aws,
    Azure,
    Microsoft,
    Eks,
}

impl Card {
    /// Every card, in the guide's order (derived: a new one cannot be left out).
    pub const ALL: &'static [Card] = Card::VARIANTS;

    pub fn slug(self) -> &'static str {
        match self {
            Card::Aws => "aws",
            Card::Azure => "azure",
            Card::Microsoft => "microsoft",
            Card::Eks => "eks",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Card> {
        Card::ALL.iter().copied().find(|c| c.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            Card::Aws => "AWS (Amazon Web Services)",
            Card::Azure => "Azure",
            Card::Microsoft => "Microsoft",
            Card::Eks => "EKS",
        }
    }

    /// The guide asks the account's type first ("Select AWS Account Type") for these cards.
    pub fn asks_account_type(self) -> bool {
        match self {
            Card::Aws => true,
            Card::Azure | Card::Microsoft | Card::Eks => false,
        }
    }

    /// The card's name inside a sentence ("No Azure accounts linked yet").
    pub fn noun(self) -> &'static str {
        match self {
            Card::Aws => "AWS",
            Card::Azure => "Azure",
            Card::Microsoft => "Microsoft",
            Card::Eks => "EKS",
        }
    }

    /// The card's button on Integrations, in the guide's words.
    pub fn add_label(self) -> &'static str {
        match self {
            Card::Aws | Card::Azure | Card::Eks => "Add Account",
            Card::Microsoft => "Add Account for Microsoft",
        }
    }

    /// What the first-login selection page says under the card's title.
    pub fn blurb(self) -> &'static str {
        match self {
            Card::Aws => "Cross-account IAM role with an External ID",
            Card::Eks => "Amazon Elastic Kubernetes Service clusters",
            Card::Azure => "App registration with a certificate",
            Card::Microsoft => "Microsoft 365 and Microsoft Entra ID",
        }
    }

    /// The first-login selection page lists the cards as the guide does: AWS, EKS, Azure, Microsoft.
    pub fn selection_rank(self) -> u8 {
        match self {
            Card::Aws => 0,
            Card::Eks => 1,
            Card::Azure => 2,
            Card::Microsoft => 3,
        }
    }

    pub fn href(self) -> String {
        format!("/integrations/{}", self.slug())
    }

    pub fn holds(self, provider: Provider) -> bool {
        provider.card() == self
    }

    /// The providers under this card, in `Provider::ALL` order.
    pub fn providers(self) -> impl Iterator<Item = Provider> {
        Provider::ALL.iter().copied().filter(move |p| p.card() == self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_belongs_to_one_card_and_every_card_holds_one() {
        assert_eq!(Provider::M365.card(), Card::Microsoft);
        assert_eq!(Provider::Entra.card(), Card::Microsoft);
        assert_eq!(Card::Microsoft.providers().collect::<Vec<_>>(), [Provider::M365, Provider::Entra]);
        for card in Card::ALL.iter().copied() {
            assert!(card.providers().next().is_some(), "{card:?} holds no provider");
        }
        assert_eq!(Card::from_slug("eks"), Some(Card::Eks));
        assert_eq!(Card::from_slug("gcp"), None);
    }

    #[test]
    fn names_parse_back() {
        for &p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn microsoft_links_do_not_claim_an_external_id() {
        assert!(Provider::Aws.linked_notice().contains("External ID"));
        for p in [Provider::Azure, Provider::M365, Provider::Entra] {
            assert!(!p.linked_notice().contains("External ID"), "{p:?}");
        }
    }
}
