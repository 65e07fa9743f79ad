//! Questionnaire instruments as data (issue 7): items grouped in dimensions, each answered on a
//! Likert scale of 5 or 7 points, some reverse-scored, and optional open questions. Read from
//! JSON with Dutch field names and checked whole, every problem named; the statistics are in
//! `samenspel_calc::survey`. An instrument may be answered once per rated party (the trust
//! instrument: about the municipalities, the regional team and the providers), may classify its
//! dimension scores by thresholds (Wilder: strength, borderline, concern) and may pair items to
//! compare what is intended with what is experienced (the value instrument).

use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One statement answered on the scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[serde(rename = "sleutel")]
    pub key: String,
    #[serde(rename = "tekst")]
    pub text: String,
    /// Counted from the other end of the scale (a negatively worded statement).
    #[serde(rename = "omgekeerd", default, skip_serializing_if = "std::ops::Not::not")]
    pub reverse: bool,
}

/// Items that together measure one thing (the score is their mean).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    #[serde(rename = "sleutel")]
    pub key: String,
    #[serde(rename = "naam")]
    pub name: String,
    /// A grouping of dimensions (Wilder's six categories).
    #[serde(rename = "categorie", default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The words for each point of the scale when they are not agreement (importance, say).
    #[serde(rename = "labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// A score below this raises an early warning (the causes of dissatisfaction, say).
    #[serde(rename = "signaalOnder", default, skip_serializing_if = "Option::is_none")]
    pub warn_below: Option<f64>,
    #[serde(rename = "stellingen")]
    pub items: Vec<Item>,
}

/// Where a dimension score counts as a strength and below which it is a concern.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    #[serde(rename = "sterkVanaf")]
    pub strength_from: f64,
    #[serde(rename = "zorgOnder")]
    pub concern_below: f64,
}

/// How a dimension score reads against the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "sterk")]
    Strength,
    #[serde(rename = "grensgeval")]
    Borderline,
    #[serde(rename = "zorg")]
    Concern,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Strength => "sterk punt",
            Verdict::Borderline => "grensgeval: bespreken",
            Verdict::Concern => "zorgpunt: aanpakken",
        }
    }
}

impl Thresholds {
    pub fn verdict(&self, score: f64) -> Verdict {
        if score >= self.strength_from {
            Verdict::Strength
        } else if score >= self.concern_below {
            Verdict::Borderline
        } else {
            Verdict::Concern
        }
    }
}

/// An intended value and how it is experienced: two items answered on their own scales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "beoogd")]
    pub intended: String,
    #[serde(rename = "ervaren")]
    pub experienced: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(rename = "drempels", default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    /// Answered once for every party the round names (who trusts whom).
    #[serde(rename = "perPartij", default, skip_serializing_if = "std::ops::Not::not")]
    pub per_party: bool,
    #[serde(rename = "dimensies")]
    pub dimensions: Vec<Dimension>,
    #[serde(rename = "vergelijkingen", default, skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<Comparison>,
    #[serde(rename = "openVragen", default, skip_serializing_if = "Vec::is_empty")]
    pub open_questions: Vec<String>,
}

/// The parties of a collaboration: who answers (respondent groups) and who is rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Party {
    #[serde(rename = "gemeenten")]
    Members,
    #[serde(rename = "regio")]
    Region,
    #[serde(rename = "aanbieders")]
    Providers,
}

impl Party {
    pub const ALL: [Party; 3] = [Party::Members, Party::Region, Party::Providers];

    pub fn code(self) -> &'static str {
        match self {
            Party::Members => "gemeenten",
            Party::Region => "regio",
            Party::Providers => "aanbieders",
        }
    }

    pub fn parse(s: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.code() == s)
    }

    /// As a respondent group.
    pub fn label(self) -> &'static str {
        match self {
            Party::Members => "Gemeenten (leden)",
            Party::Region => "Regionaal team",
            Party::Providers => "Aanbieders",
        }
    }

    /// As the party rated, in a heading above its statements.
    pub fn rated_label(self) -> &'static str {
        match self {
            Party::Members => "Over de gemeenten in de regio",
            Party::Region => "Over het regionale team",
            Party::Providers => "Over de aanbieders",
        }
    }
}

/// The words of each point of an agreement scale.
pub fn agreement_labels(points: u8) -> Vec<&'static str> {
    if points == 7 {
        vec!["Helemaal oneens", "Oneens", "Enigszins oneens", "Neutraal", "Enigszins eens", "Eens", "Helemaal eens"]
    } else {
        vec!["Helemaal oneens", "Oneens", "Neutraal", "Eens", "Helemaal eens"]
    }
}

/// The key an answer is stored under: the item, after the party rated when there is one.
pub fn answer_key(party: Option<Party>, item: &str) -> String {
    match party {
        Some(p) => format!("{}:{item}", p.code()),
        None => item.to_string(),
    }
}

/// A respondent's Likert answers by [`answer_key`], and the open answers in question order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    #[serde(rename = "antwoorden")]
    pub scale: BTreeMap<String, u8>,
    #[serde(rename = "open", default)]
    pub open: Vec<String>,
}

/// The longest statement or question.
pub const MAX_TEXT: usize = 500;
/// The longest open answer.
pub const MAX_OPEN_ANSWER: usize = 4000;

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

fn bad_text(s: &str) -> bool {
    s.trim().is_empty() || s.chars().count() > MAX_TEXT || has_control(s)
}

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

    /// As stored: compact JSON that [`Instrument::parse`] reads back.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every problem; empty when sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if bad_text(&self.name) {
            out.push(format!("het instrument heeft geen naam of een naam langer dan {MAX_TEXT} tekens"));
        }
        if has_control(&self.source) {
            out.push("de bron bevat stuurtekens".into());
        }
        if !matches!(self.points, 5 | 7) {
            out.push(format!("schaal {} bestaat niet: kies 5 of 7 punten", self.points));
        }
        if let Some(t) = self.thresholds {
            let max = f64::from(self.points);
            let inside = |x: f64| x.is_finite() && (1.0..=max).contains(&x);
            if !inside(t.strength_from) || !inside(t.concern_below) || t.concern_below > t.strength_from {
                out.push(format!(
                    "de drempels moeten op de schaal liggen (1 tot {max}) en 'zorgOnder' mag niet boven 'sterkVanaf' liggen"
                ));
            }
        }
        if self.dimensions.is_empty() {
            out.push("het instrument heeft geen dimensies".into());
        }
        let mut keys: Vec<&str> = Vec::new();
        let valid_key = |k: &str| {
            !k.is_empty()
                && k.len() <= 64
                && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        for d in &self.dimensions {
            if !valid_key(&d.key) || bad_text(&d.name) {
                out.push(format!(
                    "dimensie '{}': een sleutel (kleine letters, cijfers en _) en een naam zijn nodig",
                    d.key
                ));
            }
            if keys.contains(&d.key.as_str()) {
                out.push(format!("sleutel '{}' komt twee keer voor", d.key));
            }
            keys.push(&d.key);
            if d.category.as_deref().is_some_and(bad_text) {
                out.push(format!("dimensie '{}' heeft een lege of te lange categorie", d.key));
            }
            if let Some(labels) = &d.labels {
                if labels.len() != usize::from(self.points) || labels.iter().any(|l| bad_text(l)) {
                    out.push(format!("dimensie '{}' heeft niet precies {} labels met tekst", d.key, self.points));
                }
            }
            if d.warn_below.is_some_and(|w| !w.is_finite() || w <= 1.0 || w > f64::from(self.points)) {
                out.push(format!("dimensie '{}': 'signaalOnder' moet boven 1 en op de schaal liggen", d.key));
            }
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
                if !valid_key(&i.key) {
                    out.push(format!(
                        "stelling '{}' in dimensie '{}': de sleutel mag alleen kleine letters, cijfers en _ bevatten",
                        i.key, d.key
                    ));
                }
                if bad_text(&i.text) {
                    out.push(format!(
                        "stelling '{}' heeft geen tekst, stuurtekens of een tekst langer dan {MAX_TEXT} tekens",
                        i.key
                    ));
                }
            }
        }
        if self.per_party && !self.comparisons.is_empty() {
            out.push("een instrument dat per partij wordt beantwoord kan geen vergelijkingen hebben".into());
        }
        for c in &self.comparisons {
            if bad_text(&c.name) {
                out.push("elke vergelijking heeft een naam".into());
            }
            for key in [&c.intended, &c.experienced] {
                if self.item(key).is_none() {
                    out.push(format!("vergelijking '{}' noemt stelling '{key}', die niet bestaat", c.name));
                }
            }
        }
        for q in &self.open_questions {
            if bad_text(q) {
                out.push(format!("een open vraag is leeg, bevat stuurtekens of is langer dan {MAX_TEXT} tekens"));
            }
        }
        out
    }

    pub fn item(&self, key: &str) -> Option<(&Dimension, &Item)> {
        self.dimensions.iter().find_map(|d| d.items.iter().find(|i| i.key == key).map(|i| (d, i)))
    }

    pub fn dimension(&self, key: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.key == key)
    }

    pub fn item_count(&self) -> usize {
        self.dimensions.iter().map(|d| d.items.len()).sum()
    }

    /// The words for each point of a dimension's scale.
    pub fn labels(&self, dimension: &Dimension) -> Vec<String> {
        match &dimension.labels {
            Some(labels) => labels.clone(),
            None => agreement_labels(self.points).into_iter().map(String::from).collect(),
        }
    }

    /// The parties a respondent answers about: the round's parties when the instrument is
    /// answered per party, otherwise one pass without a party.
    pub fn passes(&self, parties: &[Party]) -> Vec<Option<Party>> {
        if self.per_party {
            parties.iter().copied().map(Some).collect()
        } else {
            vec![None]
        }
    }

    /// Checks a respondent's answers against the instrument: every statement answered on the
    /// scale, nothing that is not asked, open answers within their length. Each problem names the
    /// field of the form (the answer key) with a Dutch reason.
    pub fn check_answers(&self, parties: &[Party], answers: &Answers) -> Invalid {
        let mut invalid = Invalid::new();
        let mut expected = 0;
        for pass in self.passes(parties) {
            for d in &self.dimensions {
                for (n, i) in d.items.iter().enumerate() {
                    expected += 1;
                    let key = answer_key(pass, &i.key);
                    let about = match pass {
                        Some(p) => format!(" ({})", p.rated_label().to_lowercase()),
                        None => String::new(),
                    };
                    match answers.scale.get(&key) {
                        None => invalid.push(
                            &key,
                            "required",
                            format!("Beantwoord stelling {} van '{}'{about}.", n + 1, d.name),
                        ),
                        Some(&v) if v == 0 || v > self.points => invalid.push(
                            &key,
                            "scale",
                            format!(
                                "Kies bij stelling {} van '{}'{about} een antwoord van 1 tot {}.",
                                n + 1,
                                d.name,
                                self.points
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
        }
        if answers.scale.len() > expected {
            invalid.push("antwoorden", "unknown", "Er zijn antwoorden op stellingen die deze vragenlijst niet stelt.");
        }
        if answers.open.len() > self.open_questions.len() {
            invalid.push("open", "unknown", "Er zijn meer open antwoorden dan open vragen.");
        }
        for (n, text) in answers.open.iter().enumerate() {
            if text.chars().count() > MAX_OPEN_ANSWER || has_control(text) {
                invalid.push(
                    &format!("open{n}"),
                    "length",
                    format!("Open antwoord {} is langer dan {MAX_OPEN_ANSWER} tekens of bevat stuurtekens.", n + 1),
                );
            }
        }
        invalid
    }
}

/// The instruments shipped with Samenspel: a key, and the JSON.
pub const SHIPPED: [(&str, &str); 3] =
    [("vertrouwen", TRUST), ("samenwerkingsfactoren", COLLABORATION_FACTORS), ("waarde", VALUE)];

/// Trust between the partners, answered about each party: the three dimensions of Cummings &
/// Bromiley's Organizational Trust Inventory (short form: twelve statements on the
/// organisation, 7 points, some negatively worded) and trust in the partner's people as
/// distinct from the organisation (Zaheer, McEvily & Perrone: five statements, three reversed).
pub const TRUST: &str = include_str!("../../../docs/voorbeelden/gezondheid/vertrouwen.json");

/// After the Wilder Collaboration Factors Inventory: 20 factors in six categories, 40
/// statements on 5 points, with its thresholds (4.0 strength, below 3.0 concern).
pub const COLLABORATION_FACTORS: &str = include_str!("../../../docs/voorbeelden/gezondheid/samenwerkingsfactoren.json");

/// The value of the collaboration: the four intended values, how important (intended) and how
/// well realised (experienced), and the three causes of dissatisfaction.
pub const VALUE: &str = include_str!("../../../docs/voorbeelden/gezondheid/waarde.json");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_shipped_instruments_are_sound() {
        let trust = Instrument::parse(TRUST).unwrap();
        assert_eq!(trust.points, 7);
        assert!(trust.per_party);
        let keys: Vec<&str> = trust.dimensions.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["toezeggingen", "eerlijk_onderhandelen", "geen_misbruik", "persoon"]);
        // The OTI short form: twelve statements on the organisation, some negatively worded.
        assert_eq!(trust.dimensions[..3].iter().map(|d| d.items.len()).sum::<usize>(), 12);
        assert!(trust.dimensions[..3].iter().all(|d| d.items.iter().any(|i| i.reverse)));
        // Zaheer et al.: five statements on the person, three reversed.
        assert_eq!(trust.dimensions[3].items.len(), 5);
        assert_eq!(trust.dimensions[3].items.iter().filter(|i| i.reverse).count(), 3);

        let wilder = Instrument::parse(COLLABORATION_FACTORS).unwrap();
        assert_eq!((wilder.points, wilder.dimensions.len(), wilder.item_count()), (5, 20, 40));
        let mut categories: Vec<&str> = wilder.dimensions.iter().filter_map(|d| d.category.as_deref()).collect();
        categories.dedup();
        assert_eq!(categories.len(), 6, "{categories:?}");
        assert_eq!(wilder.thresholds, Some(Thresholds { strength_from: 4.0, concern_below: 3.0 }));

        let value = Instrument::parse(VALUE).unwrap();
        assert_eq!(value.comparisons.len(), 4);
        let causes = value.dimension("betrokkenheid").unwrap();
        assert_eq!((causes.items.len(), causes.warn_below), (3, Some(3.0)));
    }

    #[test]
    fn thresholds_read_as_wilder_reads_them() {
        let t = Thresholds { strength_from: 4.0, concern_below: 3.0 };
        assert_eq!(t.verdict(4.0), Verdict::Strength);
        assert_eq!(t.verdict(3.95), Verdict::Borderline);
        assert_eq!(t.verdict(3.0), Verdict::Borderline);
        assert_eq!(t.verdict(2.99), Verdict::Concern);
    }

    #[test]
    fn every_problem_is_named() {
        let broken = r#"{"naam": "", "bron": "x", "schaal": 6, "drempels": {"sterkVanaf": 3, "zorgOnder": 4},
            "dimensies": [
            {"sleutel": "a", "naam": "A", "labels": ["x"], "stellingen": [{"sleutel": "a", "tekst": "", "omgekeerd": true}]},
            {"sleutel": "B c", "naam": "B", "stellingen": [{"sleutel": "b1", "tekst": "x"}, {"sleutel": "b2", "tekst": "y"}]}
        ], "vergelijkingen": [{"naam": "v", "beoogd": "b1", "ervaren": "zz"}]}"#;
        let problems = Instrument::parse(broken).unwrap_err();
        let text = problems.join("; ");
        for expected in [
            "geen naam",
            "schaal 6",
            "drempels",
            "labels",
            "minstens twee stellingen",
            "alleen omgekeerde",
            "komt twee keer voor",
            "geen tekst",
            "dimensie 'B c'",
            "'zz', die niet bestaat",
        ] {
            assert!(text.contains(expected), "{expected}: {text}");
        }
        assert!(Instrument::parse("{").unwrap_err()[0].contains("onleesbaar"));
        assert!(Instrument::parse(r#"{"naam": "x", "extra": 1}"#).is_err());
    }

    #[test]
    fn answers_are_checked_per_party_with_the_field_named() {
        let trust = Instrument::parse(TRUST).unwrap();
        let parties = [Party::Members, Party::Region];
        let mut answers = Answers::default();
        for pass in trust.passes(&parties) {
            for d in &trust.dimensions {
                for i in &d.items {
                    answers.scale.insert(answer_key(pass, &i.key), 4);
                }
            }
        }
        assert!(trust.check_answers(&parties, &answers).is_empty());
        assert_eq!(answers.scale.len(), 34);

        let first = answer_key(Some(Party::Region), &trust.dimensions[0].items[0].key);
        answers.scale.remove(&first);
        answers.scale.insert(answer_key(Some(Party::Members), "persoon_betrouwbaar"), 8);
        answers.scale.insert("aanbieders:persoon_betrouwbaar".into(), 3);
        let invalid = trust.check_answers(&parties, &answers);
        let by_field: Vec<(&str, &str)> = invalid.errors.iter().map(|e| (e.name.as_str(), e.code.as_str())).collect();
        assert!(by_field.contains(&(first.as_str(), "required")), "{by_field:?}");
        assert!(by_field.contains(&("gemeenten:persoon_betrouwbaar", "scale")), "{by_field:?}");
        assert!(invalid.errors.iter().any(|e| e.reason.contains("regionale team")), "{invalid:?}");

        let value = Instrument::parse(VALUE).unwrap();
        let too_many = Answers { scale: BTreeMap::new(), open: vec!["a".into(); value.open_questions.len() + 1] };
        assert!(value.check_answers(&[], &too_many).errors.iter().any(|e| e.code == "unknown"));
    }

    proptest! {
        #[test]
        fn no_input_panics_the_reader(json in "\\PC{0,300}") {
            let _ = Instrument::parse(&json);
        }

        #[test]
        fn no_answers_panic_the_check(values in proptest::collection::btree_map("[a-z:_]{0,30}", any::<u8>(), 0..40),
                                      open in proptest::collection::vec("\\PC{0,20}", 0..4)) {
            let trust = Instrument::parse(TRUST).unwrap();
            let answers = Answers { scale: values, open };
            let _ = trust.check_answers(&Party::ALL, &answers);
        }
    }
}
