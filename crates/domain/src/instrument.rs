//! Questionnaire instruments as data (issue 7): items grouped in dimensions, each answered on a
//! Likert scale of 5 or 7 points, some reverse-scored, and optional open questions. Read from
//! JSON with Dutch field names and checked whole, every problem named; the statistics are in
//! `samenspel_calc::survey`.

use serde::{Deserialize, Serialize};

/// One statement answered on the scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[serde(rename = "sleutel")]
    pub key: String,
    #[serde(rename = "tekst")]
    pub text: String,
    /// Counted from the other end of the scale (a negatively worded statement).
    #[serde(rename = "omgekeerd", default)]
    pub reverse: bool,
}

/// Items that together measure one thing (the score is their mean).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    #[serde(rename = "sleutel")]
    pub key: String,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "stellingen")]
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    #[serde(rename = "naam")]
    pub name: String,
    /// Where its design comes from (the published, validated instrument it follows).
    #[serde(rename = "bron")]
    pub source: String,
    /// 5 or 7.
    #[serde(rename = "schaal")]
    pub points: u8,
    #[serde(rename = "dimensies")]
    pub dimensions: Vec<Dimension>,
    #[serde(rename = "openVragen", default)]
    pub open_questions: Vec<String>,
}

/// The longest statement or question.
pub const MAX_TEXT: usize = 500;

impl Instrument {
    /// Reads an instrument from JSON and checks it; every problem in Dutch.
    pub fn parse(json: &str) -> Result<Instrument, Vec<String>> {
        let instrument: Instrument =
            serde_json::from_str(json).map_err(|e| vec![format!("het instrument is onleesbaar: {e}")])?;
        match instrument.problems().as_slice() {
            [] => Ok(instrument),
            problems => Err(problems.to_vec()),
        }
    }

    /// Every problem; empty when sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push("het instrument heeft geen naam".into());
        }
        if !matches!(self.points, 5 | 7) {
            out.push(format!("schaal {} bestaat niet: kies 5 of 7 punten", self.points));
        }
        if self.dimensions.is_empty() {
            out.push("het instrument heeft geen dimensies".into());
        }
        let mut keys: Vec<&str> = Vec::new();
        for d in &self.dimensions {
            if d.key.trim().is_empty() || d.name.trim().is_empty() {
                out.push("elke dimensie heeft een sleutel en een naam".into());
            }
            if keys.contains(&d.key.as_str()) {
                out.push(format!("sleutel '{}' komt twee keer voor", d.key));
            }
            keys.push(&d.key);
            // Reliability (Cronbach's alpha) needs at least two items.
            if d.items.len() < 2 {
                out.push(format!("dimensie '{}' heeft minstens twee stellingen nodig", d.key));
            }
            if !d.items.is_empty() && d.items.iter().all(|i| i.reverse) {
                out.push(format!("dimensie '{}' heeft alleen omgekeerde stellingen", d.key));
            }
            for i in &d.items {
                if keys.contains(&i.key.as_str()) {
                    out.push(format!("sleutel '{}' komt twee keer voor", i.key));
                }
                keys.push(&i.key);
                if i.key.trim().is_empty() {
                    out.push(format!("een stelling in dimensie '{}' heeft geen sleutel", d.key));
                }
                if i.text.trim().is_empty() || i.text.chars().count() > MAX_TEXT {
                    out.push(format!(
                        "stelling '{}' heeft geen tekst of een tekst langer dan {MAX_TEXT} tekens",
                        i.key
                    ));
                }
            }
        }
        for q in &self.open_questions {
            if q.trim().is_empty() || q.chars().count() > MAX_TEXT {
                out.push(format!("een open vraag is leeg of langer dan {MAX_TEXT} tekens"));
            }
        }
        out
    }
}

/// The trust instrument shipped with Samenspel, after Zaheer, McEvily & Perrone (1998): trust in
/// the partner's contact person and in the partner organisation, five paraphrased statements
/// each with the same themes, three reverse-scored, on a 7-point scale.
pub const TRUST: &str = include_str!("../../../docs/voorbeelden/gezondheid/vertrouwen.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_trust_instrument_is_sound() {
        let trust = Instrument::parse(TRUST).unwrap();
        assert_eq!(trust.points, 7);
        assert_eq!(trust.dimensions.len(), 2);
        for d in &trust.dimensions {
            assert_eq!(d.items.len(), 5, "{}", d.key);
            assert_eq!(d.items.iter().filter(|i| i.reverse).count(), 3, "{}", d.key);
        }
    }

    #[test]
    fn every_problem_is_named() {
        let broken = r#"{"naam": "", "bron": "x", "schaal": 6, "dimensies": [
            {"sleutel": "a", "naam": "A", "stellingen": [{"sleutel": "a", "tekst": "", "omgekeerd": true}]}
        ]}"#;
        let problems = Instrument::parse(broken).unwrap_err();
        let text = problems.join("; ");
        for expected in [
            "geen naam",
            "schaal 6",
            "minstens twee stellingen",
            "alleen omgekeerde",
            "komt twee keer voor",
            "geen tekst",
        ] {
            assert!(text.contains(expected), "{expected}: {text}");
        }
        assert!(Instrument::parse("{").unwrap_err()[0].contains("onleesbaar"));
        assert!(Instrument::parse(r#"{"naam": "x", "extra": 1}"#).is_err());
    }
}
