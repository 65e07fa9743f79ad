//! One error type for handlers, answered as `application/problem+json` (RFC 9457) in the
//! API and as a Dutch page in the browser.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use samenspel_domain::{FieldError, Invalid};
use samenspel_store::StoreError;
use serde::Serialize;

/// The problem details body, with the invalid fields the API Design Rules ask for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// HTTP status code.
    pub status: u16,
    /// Short summary of the kind of problem, in Dutch.
    pub title: String,
    /// What went wrong in this case, in Dutch.
    pub detail: String,
    /// Every invalid field, when the request body or query was invalid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<InvalidParam>)]
    pub invalid_params: Vec<FieldError>,
}

/// One invalid field: name, stable code and reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct InvalidParam {
    pub name: String,
    pub code: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub detail: String,
    pub invalid: Vec<FieldError>,
    /// Extra headers such as `WWW-Authenticate` or `Allow`.
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> AppError {
        AppError { status, detail: detail.into(), invalid: Vec::new(), headers: Vec::new() }
    }

    pub fn not_found() -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "Deze pagina of dit object bestaat niet, of u heeft er geen toegang toe.")
    }

    pub fn forbidden() -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "U heeft geen toestemming voor deze handeling.")
    }

    pub fn unauthorized(detail: &str) -> AppError {
        let mut e = AppError::new(StatusCode::UNAUTHORIZED, detail);
        e.headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"samenspel\"")));
        e
    }

    pub fn bad_request(detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn invalid(invalid: Invalid) -> AppError {
        let n = invalid.errors.len();
        AppError {
            status: StatusCode::BAD_REQUEST,
            detail: if n == 1 { "Eén veld is ongeldig.".into() } else { format!("{n} velden zijn ongeldig.") },
            invalid: invalid.errors,
            headers: Vec::new(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(%cause, "interne fout");
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "Er ging iets mis aan onze kant. Probeer het later opnieuw.")
    }

    pub fn title(&self) -> &'static str {
        title_for(self.status)
    }

    pub fn problem(&self) -> Problem {
        Problem {
            status: self.status.as_u16(),
            title: self.title().to_string(),
            detail: self.detail.clone(),
            invalid_params: self.invalid.clone(),
        }
    }
}

pub fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Ongeldige invoer",
        401 => "Niet ingelogd",
        403 => "Geen toegang",
        404 => "Niet gevonden",
        405 => "Methode niet toegestaan",
        406 => "Antwoordformaat niet beschikbaar",
        409 => "Conflict met bestaande gegevens",
        413 => "Verzoek te groot",
        415 => "Inhoudstype niet ondersteund",
        422 => "Niet verwerkbaar",
        429 => "Te veel verzoeken",
        503 => "Tijdelijk niet beschikbaar",
        s if s >= 500 => "Interne fout",
        _ => "Fout",
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound => AppError::not_found(),
            StoreError::Conflict { field, message } => AppError {
                status: StatusCode::CONFLICT,
                detail: message.clone(),
                invalid: vec![FieldError::new(field, "conflict", message)],
                headers: Vec::new(),
            },
            StoreError::Invalid(invalid) => AppError::invalid(invalid),
            other => AppError::internal(other),
        }
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> AppError {
        AppError::invalid(invalid)
    }
}

/// Renders problem+json. Pages convert errors to HTML themselves (see `pages::PageError`).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
