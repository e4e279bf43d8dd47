//! The API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations
//! and the types of `schema.rs`. What every operation shares is added here, once: the Bearer
//! token, the refusals as problems (401, 403, 422, 429, and 404 where a path names an
//! account), and on changes the `Idempotency-Key` header with its 409.
use std::sync::OnceLock;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, Schema, Type};
use utoipa::{Modify, OpenApi};

use super::schema;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xops integrations API",
        version = "1",
        description = "Link, read and check your organization's cloud accounts from your own automation. \
            Authenticate with an API token (Organization settings → API tokens) as `Authorization: Bearer xops_…`."
    ),
    paths(
        super::organization::organization,
        super::organization::health,
        super::accounts::list,
        super::accounts::get,
        super::accounts::rename,
        super::accounts::delete,
        super::accounts::retest,
        super::accounts::checks,
        super::linking::link_aws,
        super::microsoft::certificate,
        super::microsoft::federated_credential,
        super::microsoft::link,
        super::microsoft::subscriptions,
        super::microsoft::update,
        super::microsoft::refresh,
        super::aws_organization::organization,
        super::aws_organization::read_now,
        super::aws_organization::start,
        super::aws_organization::latest,
        super::aws_organization::set_exclusion,
    ),
    components(schemas(schema::Problem)),
    security(("bearer" = [])),
    modifiers(&Shared),
)]
struct Document;

/// The document as served: built once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| Document::openapi().to_pretty_json().unwrap_or_default())
}

/// What every operation shares, added to each.
struct Shared;

/// The refusals, each a problem with the page's sentence.
const PROBLEMS: [(&str, &str); 10] = [
    ("400", "A field the form would refuse, with the form's sentence; `field` names it"),
    ("401", "No token, or one that is unknown, revoked or expired, or whose creator left"),
    ("403", "The token's scope or its creator's role does not allow this, or it was used from outside its networks"),
    ("404", "No such account in the token's organization"),
    ("409", "In conflict: linked already, or a request with this Idempotency-Key still runs (retry after Retry-After)"),
    ("413", "The body is over 1 MB"),
    ("422", "A parameter, field or header the API cannot take; `field` names it"),
    ("429", "The token's requests this minute are used up (retry after Retry-After)"),
    ("502", "The cloud (AWS, Microsoft) could not be reached or answered out of turn; nothing was saved, try again"),
    ("503", "The organization's cloud calls are all under way; try again in a moment"),
];

/// The operations that call a cloud, which may answer 502 or 503.
const CALL_A_CLOUD: [&str; 6] = [
    "link_aws_account",
    "link_microsoft_account",
    "retest_account",
    "update_azure_subscriptions",
    "refresh_azure_subscriptions",
    "read_aws_organization",
];

impl Modify for Shared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for body in ["Rename", "LinkAws", "LinkMicrosoft"] {
            if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut(body) {
                if let Some(RefOr::T(Schema::Object(name))) = body.properties.get_mut("name") {
                    name.pattern = Some(schema::ACCOUNT_NAME_PATTERN.to_string());
                }
            }
        }
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("xops_…").build()));
        for (status, description) in PROBLEMS {
            let mut response = ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build());
            if status == "429" || status == "409" {
                let seconds = ObjectBuilder::new().schema_type(Type::Integer).build();
                response = response.header("Retry-After", HeaderBuilder::new().schema(Some(seconds)).description(Some("Seconds to wait")).build());
            }
            components.responses.insert(format!("Problem{status}"), RefOr::T(response.build()));
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let names_an_account = path.contains("{id}");
            let reads = [&mut item.get].into_iter().flatten();
            let changes = [&mut item.post, &mut item.patch, &mut item.put, &mut item.delete].into_iter().flatten();
            for operation in reads {
                refusals(operation, names_an_account, false);
            }
            for operation in changes {
                refusals(operation, names_an_account, true);
                operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
                    ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some("Retries with the same key and request get the first answer, for 24 hours; another request with it gets 422."))
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255)).pattern(Some("^[!-~]+$"))))
                        .build(),
                ));
            }
        }
    }
}

fn refusals(operation: &mut Operation, names_an_account: bool, changes: bool) {
    for (status, _) in PROBLEMS {
        let applies = match status {
            "404" => names_an_account,
            "409" | "413" => changes,
            "502" | "503" => operation.operation_id.as_deref().is_some_and(|id| CALL_A_CLOUD.contains(&id)),
            _ => true,
        };
        if applies {
            operation.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(format!("Problem{status}"))));
        }
    }
}
