//! Layers every response passes through: the security headers of the API Design Rules and
//! the government security baseline, the trailing-slash rule, a cross-site write check, and
//! turning bare error responses into problem+json (API) or a Dutch page (browser).

use crate::error::{title_for, AppError};
use crate::pages::error_page;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest request body accepted, except uploads which set their own limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest uploaded file.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Largest production file (a message is at most 25 MB by OP179; an envelope adds base64).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// The API's semantic version, sent in the `API-Version` header of every response.
pub const API_VERSION: &str = "1.0.0";

/// Pages may load styles, images and scripts from Samenspel itself only.
const HTML_CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; \
     font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const OTHER_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Adds the security headers to every response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, "cache-control", "no-store");
    set(h, "content-security-policy", if is_html { HTML_CSP } else { OTHER_CSP });
    set(h, "strict-transport-security", "max-age=31536000; includeSubDomains");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(h, "permissions-policy", "camera=(), microphone=(), geolocation=()");
    set(h, "api-version", API_VERSION);
    response
}

/// `/regios/` is not `/regios`: a trailing slash gets a 404, never a redirect
/// (API Design Rule `/core/no-trailing-slash`).
pub async fn reject_trailing_slash(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        return not_found_for(path);
    }
    next.run(request).await
}

/// Refuses state-changing requests sent from another site. Cookies are `SameSite=Strict`
/// and forms carry a CSRF token as well; this is the third line.
pub async fn reject_cross_site_writes(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let headers = request.headers();
        let cross_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_some_and(|v| v == "cross-site");
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_mismatch =
            headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).filter(|o| *o != "null").is_some_and(|origin| {
                let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
                Some(origin_host) != host
            });
        if cross_site || origin_mismatch {
            let detail = "Dit verzoek kwam van een andere website en is geweigerd.";
            return respond(request.uri().path(), StatusCode::FORBIDDEN, detail);
        }
    }
    next.run(request).await
}

/// Gives error responses that a layer or the router produced (405, 413, 415, …) the same
/// shape as our own: problem+json in the API, a Dutch page elsewhere.
pub async fn problem_responses(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let already_shaped = if is_api(&path) {
        content_type.starts_with("application/problem+json")
    } else {
        content_type.starts_with("text/html")
    };
    if already_shaped {
        return response;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
            format!("Deze methode kan hier niet; toegestaan: {allow}.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "Het verzoek is groter dan toegestaan ({} MiB; bestanden {} MiB; productiebestanden {} MiB).",
            MAX_BODY_BYTES / (1024 * 1024),
            MAX_UPLOAD_BYTES / (1024 * 1024),
            MAX_MESSAGE_BYTES / (1024 * 1024)
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Stuur de gegevens als application/json.".to_string(),
        StatusCode::NOT_FOUND => AppError::not_found().detail,
        _ => title_for(status).to_string(),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut shaped = respond(&path, status, &detail);
    if let Some(allow) = allow {
        shaped.headers_mut().insert(header::ALLOW, allow);
    }
    shaped
}

fn respond(path: &str, status: StatusCode, detail: &str) -> Response {
    if is_api(path) {
        AppError::new(status, detail).into_response()
    } else {
        error_page(status, detail)
    }
}

fn not_found_for(path: &str) -> Response {
    respond(path, StatusCode::NOT_FOUND, &AppError::not_found().detail)
}

/// The router's fallback.
pub async fn not_found(request: Request<Body>) -> Response {
    not_found_for(request.uri().path())
}
