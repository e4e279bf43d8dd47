//! The API reference, a page of the portal (/settings/api-tokens/reference), rendered on the
//! server from the same OpenAPI document as `/api/v1/openapi.json`: each operation with its
//! parameters, what it takes and answers (with the document's examples), and its refusals.
use leptos::prelude::*;
use leptos_meta::Title;

/// One operation, as the page shows it.
#[derive(Debug, Clone, Default)]
pub struct Operation {
    pub tag: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// Name, where (path, query, header), whether required, and what it is.
    pub parameters: Vec<(String, String, bool, String)>,
    pub request_example: Option<String>,
    /// Status, what it means, and an example body for a success.
    pub responses: Vec<(String, String, Option<String>)>,
}

/// Every operation of the document, in its order (by path, then method); read from the
/// document once, not at every view of the page.
#[cfg(feature = "ssr")]
pub fn operations() -> &'static [Operation] {
    static OPERATIONS: std::sync::OnceLock<Vec<Operation>> = std::sync::OnceLock::new();
    OPERATIONS.get_or_init(read_operations)
}

#[cfg(feature = "ssr")]
fn read_operations() -> Vec<Operation> {
    use serde_json::Value;
    let doc: Value = serde_json::from_str(super::openapi::json()).unwrap_or_default();
    let component = |reference: &Value, kind: &str| -> Value {
        let name = reference.as_str().and_then(|r| r.rsplit('/').next()).unwrap_or_default();
        doc["components"][kind][name].clone()
    };
    let example = |schema: &Value| -> Option<String> {
        let schema = if schema["$ref"].is_string() { component(&schema["$ref"], "schemas") } else { schema.clone() };
        schema.get("example").and_then(|e| serde_json::to_string_pretty(e).ok())
    };
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| (text(&p["name"]), text(&p["in"]), p["required"].as_bool().unwrap_or(false), text(&p["description"])))
                .collect();
            let request_example = example(&op["requestBody"]["content"]["application/json"]["schema"]);
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, response)| {
                    let response = if response["$ref"].is_string() { component(&response["$ref"], "responses") } else { response.clone() };
                    let body = status.starts_with('2').then(|| example(&response["content"]["application/json"]["schema"])).flatten();
                    (status.clone(), text(&response["description"]), body)
                })
                .collect();
            operations.push(Operation {
                tag: op["tags"][0].as_str().unwrap_or("API").to_string(),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                description: text(&op["description"]),
                parameters,
                request_example,
                responses,
            });
        }
    }
    operations
}

/// /settings/api-tokens/reference
#[component]
pub fn ApiReferencePage() -> impl IntoView {
    // Rendered on the server only (islands): the document is read there.
    #[cfg(feature = "ssr")]
    let operations = operations();
    #[cfg(not(feature = "ssr"))]
    let operations: &[Operation] = &[];
    let mut tags: Vec<String> = Vec::new();
    for op in operations {
        if !tags.contains(&op.tag) {
            tags.push(op.tag.clone());
        }
    }
    view! {
        <Title text="API reference" />
        <section class="page api-reference">
            <h1>"API reference"</h1>
            <p>"Every request carries an API token (Organization settings → " <a href="/settings/api-tokens">"API tokens"</a>
                "): " <code>"Authorization: Bearer xops_…"</code> ". Answers are JSON; refusals are "
                <code>"application/problem+json"</code> " with the sentence the page would show and, when one field was wrong, its name in "
                <code>"field"</code> ". Changes take an " <code>"Idempotency-Key"</code> " header. The same document, for tools: "
                <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> " (OpenAPI 3.1)."</p>
            <nav aria-label="Operations">
                <ul>
                    {tags.iter().map(|tag| view! { <li><a href=format!("#{}", anchor(tag))>{tag.clone()}</a></li> }).collect_view()}
                </ul>
            </nav>
            {tags.into_iter().map(|tag| {
                let ops: Vec<Operation> = operations.iter().filter(|o| o.tag == tag).cloned().collect();
                view! {
                    <h2 id=anchor(&tag)>{tag.clone()}</h2>
                    {ops.into_iter().map(operation).collect_view()}
                }
            }).collect_view()}
        </section>
    }
}

fn anchor(tag: &str) -> String {
    tag.to_lowercase().replace(' ', "-")
}

fn operation(op: Operation) -> impl IntoView {
    view! {
        <article class="panel operation">
            <h3><code>{format!("{} {}", op.method, op.path)}</code></h3>
            <p><strong>{op.summary}</strong></p>
            {(!op.description.is_empty()).then(|| view! { <p>{op.description}</p> })}
            {(!op.parameters.is_empty()).then(|| view! {
                <table class="listing">
                    <thead><tr><th scope="col">"Parameter"</th><th scope="col">"In"</th><th scope="col">"Required"</th><th scope="col">"What"</th></tr></thead>
                    <tbody>
                        {op.parameters.into_iter().map(|(name, place, required, what)| view! {
                            <tr><td><code>{name}</code></td><td>{place}</td><td>{if required { "yes" } else { "no" }}</td><td>{what}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {op.request_example.map(|body| view! { <p>"Body, for example:"</p><pre><code>{body}</code></pre> })}
            <table class="listing">
                <thead><tr><th scope="col">"Status"</th><th scope="col">"Means"</th></tr></thead>
                <tbody>
                    {op.responses.iter().map(|(status, means, _)| view! { <tr><td>{status.clone()}</td><td>{means.clone()}</td></tr> }).collect_view()}
                </tbody>
            </table>
            {op.responses.into_iter().find_map(|(_, _, body)| body).map(|body| view! { <p>"Answer, for example:"</p><pre><code>{body}</code></pre> })}
        </article>
    }
}
