//! HTML form submissions: every form carries the session's CSRF token, checked here before
//! the handler sees any data; and the form's values come back on the page when it fails.

use crate::auth::secrets::constant_time_eq;
use crate::auth::{CurrentUser, PageUser};
use crate::pages::error_page;
use crate::security::{MAX_BODY_BYTES, MAX_MESSAGE_BYTES, MAX_UPLOAD_BYTES};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;

/// Name of the hidden form field with the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

#[derive(Deserialize, Default)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

fn csrf_refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Dit formulier is verlopen of kwam niet van Samenspel. Ga terug, laad de pagina opnieuw en probeer het nog eens.",
    )
}

/// A form posted by a signed-in user with a valid CSRF token.
pub struct CsrfForm<T>(pub CurrentUser, pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let PageUser(user) = PageUser::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| error_page(StatusCode::PAYLOAD_TOO_LARGE, "Het formulier is te groot om te verwerken."))?;
        let sent: CsrfOnly = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if !constant_time_eq(&sent.csrf, user.csrf()) {
            return Err(csrf_refused());
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            error_page(StatusCode::BAD_REQUEST, &format!("Het formulier kon niet gelezen worden: {e}."))
        })?;
        Ok(CsrfForm(user, value))
    }
}

/// A posted form as name/value pairs, for forms with repeated names (checkbox groups).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct FormPairs(pub Vec<(String, String)>);

impl FormPairs {
    /// The first value for a name, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Every value for a name.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A ticked checkbox.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == "on"
    }
}

/// An uploaded file.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A multipart form (file upload) posted by a signed-in user with a valid CSRF token.
pub struct CsrfMultipart {
    pub user: CurrentUser,
    pub fields: HashMap<String, String>,
    pub files: HashMap<String, Upload>,
}

impl<S: Send + Sync> FromRequest<S> for CsrfMultipart {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let PageUser(user) = PageUser::from_request_parts(&mut parts, state).await?;
        let unreadable = |detail: String| error_page(StatusCode::BAD_REQUEST, &detail);
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| unreadable(format!("Het formulier kon niet gelezen worden: {e}.")))?;
        let (mut fields, mut files) = (HashMap::new(), HashMap::new());
        let mut total = 0usize;
        while let Some(field) = multipart.next_field().await.map_err(|_| {
            error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("Het bestand is te groot (hoogstens {} MiB).", MAX_UPLOAD_BYTES / (1024 * 1024)),
            )
        })? {
            let name = field.name().unwrap_or("").to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field
                .bytes()
                .await
                .map_err(|_| error_page(StatusCode::PAYLOAD_TOO_LARGE, "Het bestand is te groot."))?;
            total += bytes.len();
            // The route's body limit decides; this bounds what any form may hold in memory.
            if total > MAX_MESSAGE_BYTES {
                return Err(error_page(StatusCode::PAYLOAD_TOO_LARGE, "Het bestand is te groot."));
            }
            match file_name {
                Some(file_name) => {
                    files.insert(name, Upload { file_name, bytes: bytes.to_vec() });
                }
                None => {
                    fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        let sent = fields.get(CSRF_FIELD).map(String::as_str).unwrap_or("");
        if !constant_time_eq(sent, user.csrf()) {
            return Err(csrf_refused());
        }
        Ok(CsrfMultipart { user, fields, files })
    }
}
