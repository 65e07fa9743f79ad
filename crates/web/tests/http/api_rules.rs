//! The Dutch API Design Rules and the security baseline, checked over HTTP.

use crate::common::{client, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SECURITY_HEADERS: [&str; 6] = [
    "cache-control",
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
];

#[tokio::test]
async fn every_response_carries_security_headers_and_the_api_version() {
    let app = spawn().await;
    let token = app.token("beheerder").await;
    let responses = [
        app.api_get(&token, "/api/v1/regios").await,
        app.api_get(&token, "/api/v1/bestaat-niet").await,
        client().get(app.url("/api/v1/openapi.json")).send().await.unwrap(),
        client().get(app.url("/inloggen")).send().await.unwrap(),
        client().get(app.url("/assets/samenspel.css")).send().await.unwrap(),
        client().get(app.url("/regios")).send().await.unwrap(),
    ];
    for r in responses {
        for h in SECURITY_HEADERS {
            assert!(r.headers().contains_key(h), "{} lacks {h}", r.url());
        }
        assert_eq!(r.headers()["api-version"], "1.0.0");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    let page = client().get(app.url("/inloggen")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'self'"), "strict CSP on HTML: {csp}");
}

#[tokio::test]
async fn trailing_slash_is_not_found_and_never_redirected() {
    let app = spawn().await;
    let token = app.token("beheerder").await;
    let api = app.api_get(&token, "/api/v1/regios/").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
    let page = client().get(app.url("/regios/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Niet gevonden"));
}

#[tokio::test]
async fn errors_are_problem_json_with_status_title_and_detail() {
    let app = spawn().await;
    let token = app.token("beheerder").await;
    let cases = [
        (client().get(app.url("/api/v1/regios")).send().await.unwrap(), 401),
        (client().get(app.url("/api/v1/regios")).bearer_auth("ssp_onzin").send().await.unwrap(), 401),
        (app.api_get(&token, "/api/v1/regios/bestaat-niet").await, 404),
        (app.api_send(Method::DELETE, &token, "/api/v1/regios/haaglanden", json!({})).await, 405),
        (app.api_get(&token, "/api/v1/gemeenten?pageSize=1000").await, 400),
    ];
    for (response, status) in cases {
        assert_eq!(response.status().as_u16(), status, "{}", response.url());
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{}", response.url());
        let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()));
        if status == 405 {
            let allow = allow.expect("405 carries Allow");
            assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
        }
        if status == 401 {
            assert!(
                body["detail"].as_str().unwrap().contains("token")
                    || body["detail"].as_str().unwrap().contains("Log in")
            );
        }
    }
}

#[tokio::test]
async fn invalid_bodies_list_every_invalid_field_and_change_nothing() {
    let app = spawn().await;
    let token = app.token("beheerder").await;
    let before = app.store.audit_count().await.unwrap();
    let path = "/api/v1/regios/haaglanden/aanbieders";

    let r = app
        .api_send(
            Method::POST,
            &token,
            path,
            json!({"naam": 5, "agbCode": "123", "kleur": "rood", "email": "geen-mail"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    let mut names: Vec<&str> =
        body["invalidParams"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["agbCode", "email", "kleur", "naam"]);
    let codes: Vec<&str> =
        body["invalidParams"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"unknown") && codes.contains(&"type") && codes.contains(&"pattern"), "{codes:?}");

    let malformed = client()
        .post(app.url(path))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"naam\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(malformed.headers()["content-type"], "application/problem+json");

    let not_json = client()
        .post(app.url(path))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("naam=x")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = json!({ "naam": "x".repeat(2 * 1024 * 1024) });
    let too_big = app.api_send(Method::POST, &token, path, huge).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.headers()["content-type"], "application/problem+json");

    let xml = client()
        .get(app.url("/api/v1/regios"))
        .bearer_auth(&token)
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), StatusCode::NOT_ACCEPTABLE);

    assert_eq!(app.store.audit_count().await.unwrap(), before, "nothing was written");
    let list: Value = app.api_get(&token, path).await.json().await.unwrap();
    assert_eq!(list["totalItems"], 4, "still the four demo providers");
}

#[tokio::test]
async fn collections_are_paginated_with_link_headers() {
    let app = spawn().await;
    let token = app.token("beheerder").await;
    let r = app.api_get(&token, "/api/v1/gemeenten?naam=a&page=2&pageSize=10").await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = r.headers()["link"].to_str().unwrap().to_string();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(link.contains("naam=a"), "filters are kept in links: {link}");
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["page"].as_u64(), body["pageSize"].as_u64()), (Some(2), Some(10)));
    assert_eq!(body["items"].as_array().unwrap().len(), 10);
    assert!(body["totalItems"].as_i64().unwrap() > 100);

    let all: Value = app.api_get(&token, "/api/v1/gemeenten?pageSize=100&page=4").await.json().await.unwrap();
    assert_eq!(all["totalItems"], 342);
    assert_eq!(all["totalPages"], 4);
    assert_eq!(all["items"].as_array().unwrap().len(), 42);

    let bad = app.api_get(&token, "/api/v1/regios?page=0&pageSize=x").await;
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["invalidParams"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn reference_data_is_served_with_its_source_figures() {
    let app = spawn().await;
    let token = app.token("waarnemer").await;
    let den_haag: Value = app.api_get(&token, "/api/v1/gemeenten/0518").await.json().await.unwrap();
    assert_eq!(den_haag["naam"], "'s-Gravenhage");
    assert_eq!(den_haag["inwoners"], 566_221);
    assert_eq!(den_haag["gemeentecode"], "0518");
    let jz24: Value = app.api_get(&token, "/api/v1/jeugdregios/JZ24").await.json().await.unwrap();
    assert_eq!(jz24["gemeenten"].as_array().unwrap().len(), 9);
    let regions: Value = app.api_get(&token, "/api/v1/jeugdregios?pageSize=100").await.json().await.unwrap();
    assert_eq!(regions["totalItems"], 42);
}
