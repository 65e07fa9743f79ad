//! The generated OpenAPI document, checked against the API Design Rules that can be checked
//! mechanically (the Logius Spectral ruleset cannot be fetched here, so these are our own).

use crate::common::{client, spawn};
use serde_json::Value;

fn is_kebab(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

fn is_camel(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn check_properties(schema: &Value, where_: &str, problems: &mut Vec<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, inner) in props {
            if !is_camel(name) {
                problems.push(format!("{where_}: property {name} is not camelCase"));
            }
            check_properties(inner, &format!("{where_}.{name}"), problems);
        }
    }
    for key in ["items", "allOf", "oneOf", "anyOf"] {
        match schema.get(key) {
            Some(Value::Array(list)) => list.iter().for_each(|s| check_properties(s, where_, problems)),
            Some(inner @ Value::Object(_)) => check_properties(inner, where_, problems),
            _ => {}
        }
    }
}

#[tokio::test]
async fn openapi_document_follows_the_design_rules() {
    let app = spawn().await;
    let response = client().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200, "public, no login needed");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let doc: Value = response.json().await.unwrap();
    let mut problems = Vec::new();

    // /core/doc-openapi, /core/doc-openapi-contact, /core/semver, /core/uri-version
    if !doc["openapi"].as_str().unwrap_or("").starts_with('3') {
        problems.push("not OpenAPI 3".into());
    }
    if doc["info"]["contact"].as_object().is_none_or(|c| c.is_empty()) {
        problems.push("info.contact missing".into());
    }
    let version = doc["info"]["version"].as_str().unwrap_or("");
    if version.split('.').count() != 3 || !version.split('.').all(|p| p.parse::<u32>().is_ok()) {
        problems.push(format!("info.version {version} is not semver"));
    }
    let servers: Vec<&str> = doc["servers"].as_array().unwrap().iter().filter_map(|s| s["url"].as_str()).collect();
    if !servers.iter().all(|s| s.ends_with("/v1")) || servers.is_empty() {
        problems.push(format!("server URLs {servers:?} do not end in the major version /v1"));
    }

    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "all endpoints documented");
    for (path, item) in paths {
        // /core/path-segments-kebab-case, /core/no-trailing-slash, /core/naming-resources (no extensions)
        if path.ends_with('/') {
            problems.push(format!("{path} ends with a slash"));
        }
        for segment in path.trim_start_matches('/').split('/') {
            let is_param = segment.starts_with('{') && segment.ends_with('}');
            // An operation on a resource is a last segment with a `_` prefix (`/_zoek`).
            let operation = segment.strip_prefix('_');
            if !is_param && !is_kebab(operation.unwrap_or(segment)) {
                problems.push(format!("{path}: segment {segment} is not kebab-case"));
            }
        }
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            // /core/query-keys-camel-case
            for p in params.iter().filter(|p| p["in"] == "query") {
                let name = p["name"].as_str().unwrap();
                if !is_camel(name) {
                    problems.push(format!("{method} {path}: query key {name} is not camelCase"));
                }
            }
            // /core/error-handling/problem-details: every 4xx/5xx is problem+json
            let responses = op["responses"].as_object().unwrap();
            let mut has_error = false;
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    has_error = true;
                    let content = r["content"].as_object();
                    if !content.is_some_and(|c| c.contains_key("application/problem+json")) {
                        problems.push(format!("{method} {path}: {code} is not application/problem+json"));
                    }
                }
            }
            if !has_error {
                problems.push(format!("{method} {path}: no error responses documented"));
            }
            if !responses.contains_key("401") {
                problems.push(format!("{method} {path}: 401 not documented"));
            }
            // Pagination on every collection: a GET returning items has page and pageSize.
            let ok = &responses.get("200").map(|r| r.to_string()).unwrap_or_default();
            let is_collection = method == "get" && ok.contains("Page_");
            if is_collection {
                let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
                if !(names.contains(&"page") && names.contains(&"pageSize")) {
                    problems.push(format!("GET {path}: collection without page/pageSize"));
                }
            }
        }
    }
    // camelCase properties everywhere
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        check_properties(schema, name, &mut problems);
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(problems.is_empty(), "design rule violations:\n{}", problems.join("\n"));
}

#[test]
fn the_rule_checks_themselves_work() {
    assert!(
        is_kebab("audit-log")
            && is_kebab("regios")
            && !is_kebab("auditLog")
            && !is_kebab("a--b")
            && !is_kebab("x.json")
    );
    assert!(is_camel("pageSize") && !is_camel("page_size") && !is_camel("PageSize"));
    let mut problems = Vec::new();
    check_properties(&serde_json::json!({"properties": {"good": {}, "bad_name": {}}}), "S", &mut problems);
    assert_eq!(problems.len(), 1);
}
