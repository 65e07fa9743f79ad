//! User accounts: login names, passwords and contact details, with the rules the
//! government security baseline asks for (BIO 5.17.03: password rules enforced by the system).

use crate::validation::{required_text, FieldError, Invalid};

/// Minimum password length. Long passphrases beat complexity rules (NCSC advice).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Upper bound, so that hashing cannot be used to exhaust the server.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A login name: 3–64 characters, lower-case letters, digits, dot, hyphen, underscore.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Login(String);

impl Login {
    pub fn parse(input: &str) -> Result<Login, FieldError> {
        let s = input.trim().to_lowercase();
        let ok = (3..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && s.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Login(s))
        } else {
            Err(FieldError::new(
                "",
                "pattern",
                "Een gebruikersnaam heeft 3 tot 64 tekens: kleine letters, cijfers, punt, streepje of liggend streepje, en begint met een letter of cijfer.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Passwords that are long enough but still guessed first by attackers.
const COMMON_PASSWORDS: &[&str] = &[
    "wachtwoord123",
    "welkom123456",
    "password1234",
    "123456789012",
    "qwertyuiop12",
    "samenspel123",
    "samenspel2026",
    "gemeente1234",
];

/// Checks a new password against the policy; returns every rule it breaks.
pub fn check_password(password: &str, login: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    let lower = password.to_lowercase();
    let reason = if chars < MIN_PASSWORD_CHARS {
        format!(
            "Kies een wachtwoord van minstens {MIN_PASSWORD_CHARS} tekens; een zin van een paar woorden werkt goed."
        )
    } else if chars > MAX_PASSWORD_CHARS {
        format!("Een wachtwoord mag hoogstens {MAX_PASSWORD_CHARS} tekens hebben.")
    } else if !login.is_empty() && lower.contains(&login.to_lowercase()) {
        "Het wachtwoord mag de gebruikersnaam niet bevatten.".to_string()
    } else if COMMON_PASSWORDS.contains(&lower.as_str()) {
        "Dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden; kies een ander.".to_string()
    } else if password.chars().collect::<std::collections::HashSet<_>>().len() < 5 {
        "Gebruik meer verschillende tekens in het wachtwoord.".to_string()
    } else {
        return Ok(());
    };
    Err(FieldError::new("", "policy", reason))
}

/// A plausible e-mail address: one `@`, a dot in the domain, no spaces. Whether it exists
/// is not something a form can know.
pub fn check_email(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    let valid = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(s.to_string())
    } else {
        Err(FieldError::new("", "pattern", "Vul een e-mailadres in zoals naam@gemeente.nl."))
    }
}

/// A new account as submitted, before storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub login: Login,
    pub display_name: String,
    pub email: Option<String>,
}

impl NewAccount {
    pub fn parse(login: &str, display_name: &str, email: &str) -> Result<NewAccount, Invalid> {
        let mut invalid = Invalid::new();
        let login = invalid.check("login", Login::parse(login));
        let display_name = invalid.check("naam", required_text(display_name, 2, 120));
        let email =
            if email.trim().is_empty() { Some(None) } else { invalid.check("email", check_email(email)).map(Some) };
        match (login, display_name, email) {
            (Some(login), Some(display_name), Some(email)) if invalid.is_empty() => {
                Ok(NewAccount { login, display_name, email })
            }
            _ => Err(invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn logins() {
        assert_eq!(Login::parse(" Beheerder ").unwrap().as_str(), "beheerder");
        assert!(Login::parse("j.de-vries_2").is_ok());
        for bad in ["ab", ".abc", "met spatie", "émile", &"x".repeat(65)] {
            assert!(Login::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn password_policy() {
        assert!(check_password("drie woorden zin", "anna").is_ok());
        assert!(check_password("kort", "anna").is_err());
        assert!(check_password("anna-heeft-een-fiets", "anna").is_err());
        assert!(check_password("Wachtwoord123", "x").is_err());
        assert!(check_password("aaaaaaaaaaaaaaaa", "x").is_err());
        assert!(check_password(&"ab1cd".repeat(30), "x").is_err());
    }

    #[test]
    fn emails() {
        assert!(check_email("a.jansen@delft.nl").is_ok());
        for bad in ["", "a@b", "a b@c.nl", "@c.nl", "a@@c.nl", "a@c.nl."] {
            assert!(check_email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn new_account_reports_every_field() {
        let err = NewAccount::parse("x", "", "geen-mail").unwrap_err();
        let names: Vec<_> = err.errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["login", "naam", "email"]);
        let ok = NewAccount::parse("anna", "Anna de Vries", "").unwrap();
        assert_eq!(ok.email, None);
    }

    proptest! {
        #[test]
        fn never_panics(a in ".{0,80}", b in ".{0,20}") {
            let _ = Login::parse(&a);
            let _ = check_password(&a, &b);
            let _ = check_email(&a);
            let _ = NewAccount::parse(&a, &b, &a);
        }
    }
}
