//! Reading JSON request bodies so that a client learns about every invalid field at once:
//! unknown fields and wrong types are collected field by field, then merged with the
//! handler's own validation of the remaining fields.

use crate::error::AppError;
use crate::security::MAX_BODY_BYTES;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use samenspel_domain::Invalid;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A JSON object whose fields are all optional (`#[serde(default, deny_unknown_fields)]`),
/// with the fields that could not be read set aside as errors. Use [`ApiJson::check`].
pub struct ApiJson<T> {
    value: T,
    rejected: Invalid,
}

impl<T> ApiJson<T> {
    /// The readable fields when every field could be read, for validation that must wait
    /// (for example on the database); otherwise the unreadable fields as errors.
    pub fn accept(self) -> Result<T, AppError> {
        if self.rejected.is_empty() {
            Ok(self.value)
        } else {
            Err(AppError::invalid(self.rejected))
        }
    }

    /// Validates the readable fields and returns every problem: the unreadable fields plus
    /// what the validator finds, without reporting a field twice.
    pub fn check<O>(self, validate: impl FnOnce(&T) -> Result<O, Invalid>) -> Result<O, AppError> {
        let unreadable = self.rejected;
        match validate(&self.value) {
            Ok(output) if unreadable.is_empty() => Ok(output),
            Ok(_) => Err(AppError::invalid(unreadable)),
            Err(found) => {
                // A field that could not be read is reported once, as unreadable; the validator
                // may name several problems of one readable field (a model with two mistakes).
                let mut all = Invalid { errors: unreadable.errors.clone() };
                all.errors.extend(found.errors.into_iter().filter(|e| unreadable.for_field(&e.name).is_none()));
                Err(AppError::invalid(all))
            }
        }
    }
}

fn dutch_reason(error: &serde_json::Error) -> (&'static str, String) {
    let text = error.to_string();
    if text.starts_with("unknown field") {
        return ("unknown", "Onbekend veld.".into());
    }
    let expected = text.split("expected ").nth(1).unwrap_or("").split(" at line").next().unwrap_or("");
    let wanted = match expected {
        e if e.contains("string") => "tekst".to_string(),
        e if e.contains("i64") || e.contains("i32") || e.contains("integer") || e.contains("u32") => {
            "een geheel getal".to_string()
        }
        e if e.contains("bool") => "true of false".to_string(),
        e if e.contains("sequence") => "een lijst".to_string(),
        "" => return ("type", format!("Ongeldige waarde ({text}).")),
        other => other.to_string(),
    };
    ("type", format!("Verkeerd type: verwacht {wanted}."))
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _: &S) -> Result<Self, AppError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mime = content_type.split(';').next().unwrap_or("").trim().to_string();
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Stuur de gegevens als JSON met de kop Content-Type: application/json.",
            ));
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "Het verzoek is groter dan 1 MiB."))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::bad_request(format!("De inhoud is geen geldige JSON (regel {}, kolom {}).", e.line(), e.column()))
        })?;
        let Value::Object(fields) = value else {
            return Err(AppError::bad_request("Verwacht een JSON-object, zoals {\"naam\": \"…\"}."));
        };
        let mut rejected = Invalid::new();
        let mut readable = Map::new();
        for (name, field) in fields {
            let single = Value::Object(Map::from_iter([(name.clone(), field.clone())]));
            match serde_json::from_value::<T>(single) {
                Ok(_) => {
                    readable.insert(name, field);
                }
                Err(e) => {
                    let (code, reason) = dutch_reason(&e);
                    rejected.push(&name, code, reason);
                }
            }
        }
        let value = serde_json::from_value(Value::Object(readable)).unwrap_or_default();
        Ok(ApiJson { value, rejected })
    }
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
