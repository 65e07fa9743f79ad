//! A first look at the start of a file: which message it is and which municipality it is
//! about, so the command line can find the region and import assignments before the claims
//! that rest on them. Nothing here validates; the readers do.

use crate::csv_format;
use crate::model::{MessageKind, Standard};

/// What the first bytes of a file tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstLook {
    pub standard: Option<Standard>,
    pub kind: Option<MessageKind>,
    /// Four digits.
    pub municipality: Option<String>,
    pub csv: bool,
}

impl FirstLook {
    /// Import order: assignments, then starts and stops, claims, answers.
    pub fn order(&self) -> u8 {
        match self.kind {
            Some(MessageKind::Assignment) => 0,
            Some(MessageKind::Start) | Some(MessageKind::Stop) => 1,
            Some(MessageKind::Claim) => 2,
            Some(MessageKind::ClaimAnswer) => 3,
            None => 4,
        }
    }
}

fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(&format!(":{name}>")).or_else(|| text.find(&format!("<{name}>")))?;
    let rest = &text[start..];
    let open_end = rest.find('>')? + 1;
    let value = &rest[open_end..];
    Some(value[..value.find('<')?].trim())
}

/// Looks at (at most) the first few kilobytes of a message or CSV file.
pub fn first_look(head: &[u8]) -> FirstLook {
    let text = String::from_utf8_lossy(&head[..head.len().min(16 * 1024)]);
    if csv_format::looks_like_csv(head) {
        return csv_first_look(&text);
    }
    let mut look = FirstLook::default();
    // The root names the basisschema and the message namespace; the message one has a number.
    for (marker, standard) in [("istandaarden.nl/ijw/", Standard::Ijw), ("istandaarden.nl/iwmo/", Standard::Iwmo)] {
        for (at, _) in text.match_indices(marker) {
            look.standard = Some(standard);
            // `3_2/jw323/schema`: the message number after the release.
            let rest = &text[at + marker.len()..];
            let number: String = rest.split('/').nth(1).unwrap_or("").chars().filter(char::is_ascii_digit).collect();
            if let Some(kind) = MessageKind::all().into_iter().find(|k| k.number().to_string() == number) {
                look.kind = Some(kind);
                break;
            }
        }
        if look.standard.is_some() {
            break;
        }
    }
    let parties = [element(&text, "Afzender"), element(&text, "Ontvanger")];
    look.municipality = parties.into_iter().flatten().find(|p| p.len() == 4).map(str::to_string);
    look
}

fn csv_first_look(text: &str) -> FirstLook {
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap_or("");
    let sep = if header.contains(';') { ';' } else { ',' };
    let columns: Vec<String> = header.split(sep).map(|c| c.trim().trim_matches('"').to_lowercase()).collect();
    let kind = if columns.iter().any(|c| c == "declaratienummer") {
        Some(MessageKind::Claim)
    } else if columns.iter().any(|c| c == "toewijzingsdatum") {
        Some(MessageKind::Assignment)
    } else {
        Some(MessageKind::Start)
    };
    let at = |name: &str| columns.iter().position(|c| c.replace([' ', '_', '-'], "") == name);
    let first = lines.next().unwrap_or("");
    let values: Vec<&str> = first.split(sep).map(|v| v.trim().trim_matches('"')).collect();
    let municipality = at("gemeente")
        .and_then(|i| values.get(i))
        .map(|v| v.trim_start_matches("GM").trim_start_matches("gm").to_string())
        .filter(|v| v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()));
    let standard = at("wet").and_then(|i| values.get(i)).map(|v| {
        if v.to_lowercase().contains("wmo") {
            Standard::Iwmo
        } else {
            Standard::Ijw
        }
    });
    FirstLook { standard, kind, municipality, csv: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_csv() {
        let look = first_look(include_bytes!("../tests/fixtures/JW323.xml"));
        assert_eq!(
            look,
            FirstLook {
                standard: Some(Standard::Ijw),
                kind: Some(MessageKind::Claim),
                municipality: Some("0384".into()),
                csv: false
            }
        );
        let look = first_look(include_bytes!("../tests/fixtures/JW301.xml"));
        assert_eq!((look.kind, look.order()), (Some(MessageKind::Assignment), 0));
        let csv = b"wet;gemeente;aanbieder;declaratienummer\nwmo;GM0518;12345678;D1\n";
        let look = first_look(csv);
        assert_eq!(
            (look.standard, look.kind, look.municipality.as_deref()),
            (Some(Standard::Iwmo), Some(MessageKind::Claim), Some("0518"))
        );
        assert_eq!(first_look(b"onzin"), FirstLook::default());
    }
}
