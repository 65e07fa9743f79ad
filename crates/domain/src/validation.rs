//! Validation results that name every invalid field at once, so a form or an API client
//! can correct all mistakes in one go (API Design Rule `/core/error-handling/all-errors`).

use serde::Serialize;

/// One invalid field: which field, a stable machine code, and a Dutch message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The field as the client named it (API: camelCase JSON field; form: input name).
    pub name: String,
    /// A stable code such as `required`, `pattern`, `range`, `unknown`.
    pub code: String,
    /// Why, in Dutch.
    pub reason: String,
}

impl FieldError {
    pub fn new(name: impl Into<String>, code: &str, reason: impl Into<String>) -> Self {
        FieldError { name: name.into(), code: code.to_string(), reason: reason.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A collection of field errors; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(name: &str, code: &str, reason: impl Into<String>) -> Self {
        let mut invalid = Self::new();
        invalid.push(name, code, reason);
        invalid
    }

    pub fn push(&mut self, name: &str, code: &str, reason: impl Into<String>) {
        self.errors.push(FieldError::new(name, code, reason));
    }

    /// Records the error of a parse result under `name` and returns the value if it parsed.
    pub fn check<T>(&mut self, name: &str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(mut error) => {
                error.name = name.to_string();
                self.errors.push(error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The error for a field, for showing next to that field in a form.
    pub fn for_field(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.name == name).map(|e| e.reason.as_str())
    }

    /// `Ok(value)` when nothing was recorded, else `Err(self)`.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Invalid> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl From<FieldError> for Invalid {
    fn from(error: FieldError) -> Self {
        Invalid { errors: vec![error] }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{}: {}", e.name, e.reason)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

/// Trims a required text field and checks its length in characters.
pub fn required_text(value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len == 0 {
        return Err(FieldError::new("", "required", "Dit veld is verplicht."));
    }
    if len < min {
        return Err(FieldError::new("", "length", format!("Gebruik minstens {min} tekens.")));
    }
    if len > max {
        return Err(FieldError::new("", "length", format!("Gebruik hoogstens {max} tekens.")));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(FieldError::new("", "pattern", "Gebruik geen stuurtekens (zoals tabs of regeleinden)."));
    }
    Ok(trimmed.to_string())
}

/// Trims a required text of several paragraphs (line breaks allowed, other control characters
/// not) and checks its length in characters; line ends become `\n`.
pub fn required_paragraphs(value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim().replace("\r\n", "\n");
    let len = trimmed.chars().count();
    if len == 0 {
        return Err(FieldError::new("", "required", "Dit veld is verplicht."));
    }
    if len < min {
        return Err(FieldError::new("", "length", format!("Gebruik minstens {min} tekens.")));
    }
    if len > max {
        return Err(FieldError::new("", "length", format!("Gebruik hoogstens {max} tekens.")));
    }
    if trimmed.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t')) {
        return Err(FieldError::new("", "pattern", "Gebruik geen stuurtekens."));
    }
    Ok(trimmed)
}

/// An optional text field: empty becomes `None`.
pub fn optional_text(value: &str, max: usize) -> Result<Option<String>, FieldError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        required_text(value, 1, max).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_all_errors_with_their_field_names() {
        let mut invalid = Invalid::new();
        assert_eq!(invalid.check("naam", required_text("  ", 1, 10)), None);
        assert_eq!(invalid.check("code", required_text(" ab ", 1, 10)), Some("ab".into()));
        assert_eq!(invalid.check("plaats", required_text("x\ty", 1, 10)), None);
        assert_eq!(invalid.errors.len(), 2);
        assert_eq!(invalid.for_field("naam"), Some("Dit veld is verplicht."));
        assert_eq!(invalid.errors[1].code, "pattern");
        assert!(invalid.finish(|| ()).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(required_text("Súdwest-Fryslân", 1, 15).is_ok());
        assert!(required_text("Súdwest-Fryslân", 1, 14).is_err());
        assert_eq!(optional_text("   ", 5), Ok(None));
    }
}
