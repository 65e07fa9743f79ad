//! Exchange placements (wisselstage): what a host offers, who takes part with which wishes, and
//! what participants learned, read from forms and JSON with every problem named. The matching
//! itself is `samenspel_calc::exchange`.

use crate::nl::parse_date;
use crate::validation::{optional_text, required_paragraphs, required_text, FieldError};
use crate::Invalid;
use serde::Serialize;
use time::Date;

/// An organisation taking part: a member municipality or a care provider. Written as
/// `gemeente:GM0518` or `aanbieder:12` in forms and JSON.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Organisation {
    Member(String),
    Provider(i64),
}

impl Organisation {
    pub fn parse(s: &str) -> Result<Organisation, FieldError> {
        let wrong = || {
            FieldError::new(
                "",
                "pattern",
                "Kies een organisatie: een gemeente (gemeente:GM0518) of een zorgaanbieder (aanbieder:12).",
            )
        };
        match s.trim().split_once(':') {
            Some(("gemeente", code)) => {
                let code = crate::codes::MunicipalityCode::parse(code.trim()).map_err(|_| wrong())?;
                Ok(Organisation::Member(code.as_str().to_string()))
            }
            Some(("aanbieder", id)) => {
                id.trim().parse::<i64>().ok().filter(|i| *i > 0).map(Organisation::Provider).ok_or_else(wrong)
            }
            _ => Err(wrong()),
        }
    }

    pub fn code(&self) -> String {
        match self {
            Organisation::Member(m) => format!("gemeente:{m}"),
            Organisation::Provider(p) => format!("aanbieder:{p}"),
        }
    }

    /// From the two stored columns; exactly one is set.
    pub fn from_columns(municipality: Option<&str>, provider: Option<i64>) -> Organisation {
        match (municipality, provider) {
            (Some(m), _) => Organisation::Member(m.to_string()),
            (None, Some(p)) => Organisation::Provider(p),
            (None, None) => Organisation::Provider(0),
        }
    }

    pub fn municipality(&self) -> Option<&str> {
        match self {
            Organisation::Member(m) => Some(m),
            Organisation::Provider(_) => None,
        }
    }

    pub fn provider(&self) -> Option<i64> {
        match self {
            Organisation::Member(_) => None,
            Organisation::Provider(p) => Some(*p),
        }
    }

    /// Member staff go to providers and provider staff to members: the other side learns.
    pub fn may_visit(&self, host: &Organisation) -> bool {
        matches!(
            (self, host),
            (Organisation::Member(_), Organisation::Provider(_)) | (Organisation::Provider(_), Organisation::Member(_))
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mode {
    Online,
    OnSite,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::OnSite, Mode::Online];

    pub fn code(self) -> &'static str {
        match self {
            Mode::Online => "online",
            Mode::OnSite => "op-locatie",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Online => "Online",
            Mode::OnSite => "Op locatie",
        }
    }

    pub fn parse(s: &str) -> Result<Mode, FieldError> {
        Mode::ALL
            .into_iter()
            .find(|m| m.code() == s.trim())
            .ok_or_else(|| FieldError::new("", "unknown", "Kies online of op locatie."))
    }
}

/// A place as typed, before checking.
#[derive(Debug, Clone, Default)]
pub struct PlaceInput {
    pub host: String,
    pub theme: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
    pub mode: String,
    pub capacity: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlace {
    pub host: Organisation,
    pub theme: String,
    pub description: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub mode: Mode,
    pub capacity: u32,
}

pub const MAX_CAPACITY: u32 = 50;

/// Checks a place; problems are named under the form's field names (`gastheer`, `thema`,
/// `omschrijving`, `van`, `tot`, `vorm`, `capaciteit`).
pub fn parse_place(input: &PlaceInput) -> Result<NewPlace, Invalid> {
    let mut invalid = Invalid::new();
    let host = invalid.check("gastheer", Organisation::parse(&input.host));
    let theme = invalid.check("thema", required_text(&input.theme, 3, 120));
    let description = invalid.check("omschrijving", optional_text(&input.description, 2000));
    let starts_on = invalid.check("van", parse_date(&input.starts_on));
    let ends_on = invalid.check("tot", parse_date(&input.ends_on));
    let mode = invalid.check("vorm", Mode::parse(&input.mode));
    let capacity = match input.capacity.trim().parse::<u32>() {
        Ok(c) if (1..=MAX_CAPACITY).contains(&c) => Some(c),
        _ => {
            invalid.push(
                "capaciteit",
                "range",
                format!("Vul in hoeveel deelnemers de plek kan ontvangen: 1 tot en met {MAX_CAPACITY}."),
            );
            None
        }
    };
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s {
            invalid.push("tot", "order", "De stage eindigt voor ze begint: kies een einddatum na de begindatum.");
        } else if (e - s).whole_days() > 366 {
            invalid.push("tot", "range", "Een wisselstage duurt hoogstens een jaar.");
        }
    }
    match (host, theme, description, starts_on, ends_on, mode, capacity) {
        (Some(host), Some(theme), Some(description), Some(starts_on), Some(ends_on), Some(mode), Some(capacity))
            if invalid.is_empty() =>
        {
            Ok(NewPlace { host, theme, description, starts_on, ends_on, mode, capacity })
        }
        _ => Err(invalid),
    }
}

/// A participant as typed: the wishes are place ids as text, best first (empty ones skipped).
#[derive(Debug, Clone, Default)]
pub struct ParticipantInput {
    pub name: String,
    pub job_title: String,
    pub organisation: String,
    pub wishes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewParticipant {
    pub name: String,
    pub job_title: String,
    pub organisation: Organisation,
    /// Place ids, best first, each once.
    pub wishes: Vec<i64>,
    pub generated: bool,
}

pub const MAX_WISHES: usize = 5;

/// Checks a participant. Whether the wished places exist and are on the other side is the
/// caller's check, because it needs the round's places.
pub fn parse_participant(input: &ParticipantInput) -> Result<NewParticipant, Invalid> {
    let mut invalid = Invalid::new();
    let name = invalid.check("naam", required_text(&input.name, 2, 120));
    let job_title = invalid.check("functie", required_text(&input.job_title, 2, 120));
    let organisation = invalid.check("organisatie", Organisation::parse(&input.organisation));
    let mut wishes: Vec<i64> = Vec::new();
    // Wishes fill from the first choice on, so a problem found later (by position in the list)
    // lands on the field that was typed.
    if let Some(gap) = input.wishes.iter().position(|w| w.trim().is_empty()) {
        if input.wishes[gap..].iter().any(|w| !w.trim().is_empty()) {
            invalid.push(
                &format!("wens{}", gap + 1),
                "volgorde",
                "Vul de keuzes op volgorde in: eerst deze, dan de volgende.",
            );
        }
    }
    for (i, w) in input.wishes.iter().enumerate().filter(|(_, w)| !w.trim().is_empty()) {
        let field = format!("wens{}", i + 1);
        match w.trim().parse::<i64>() {
            Ok(id) if wishes.contains(&id) => {
                invalid.push(&field, "dubbel", "Deze plek staat al hoger op de lijst; kies een andere of laat leeg.")
            }
            Ok(id) => wishes.push(id),
            Err(_) => invalid.push(&field, "unknown", "Kies een plek uit de lijst."),
        }
    }
    if wishes.is_empty() && invalid.errors.iter().all(|e| !e.name.starts_with("wens")) {
        invalid.push("wens1", "required", "Kies minstens één plek waar de deelnemer graag naartoe gaat.");
    }
    if wishes.len() > MAX_WISHES {
        invalid.push("wensen", "range", format!("Geef hoogstens {MAX_WISHES} wensen op."));
    }
    match (name, job_title, organisation) {
        (Some(name), Some(job_title), Some(organisation)) if invalid.is_empty() => {
            Ok(NewParticipant { name, job_title, organisation, wishes, generated: false })
        }
        _ => Err(invalid),
    }
}

/// What a participant learned, in a short structured form.
#[derive(Debug, Clone, Default)]
pub struct LessonInput {
    pub learned: String,
    pub surprised: String,
    pub takeaway: String,
    pub tip: String,
    pub recommend: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lesson {
    pub learned: String,
    pub surprised: Option<String>,
    pub takeaway: String,
    pub tip: Option<String>,
    /// 1 (no) to 5 (certainly).
    pub recommend: u8,
}

/// Checks the lessons form (`geleerd`, `verrast`, `meenemen`, `tip`, `aanrader`).
pub fn parse_lesson(input: &LessonInput) -> Result<Lesson, Invalid> {
    let mut invalid = Invalid::new();
    let learned = invalid.check("geleerd", required_paragraphs(&input.learned, 10, 2000));
    let surprised = invalid.check("verrast", optional_text(&input.surprised.replace(['\r', '\n'], " "), 1000));
    let takeaway = invalid.check("meenemen", required_paragraphs(&input.takeaway, 10, 2000));
    let tip = invalid.check("tip", optional_text(&input.tip.replace(['\r', '\n'], " "), 1000));
    let recommend = match input.recommend.trim().parse::<u8>() {
        Ok(r) if (1..=5).contains(&r) => Some(r),
        _ => {
            invalid.push("aanrader", "range", "Kies van 1 (nee) tot en met 5 (zeker) of u het een collega aanraadt.");
            None
        }
    };
    match (learned, surprised, takeaway, tip, recommend) {
        (Some(learned), Some(surprised), Some(takeaway), Some(tip), Some(recommend)) if invalid.is_empty() => {
            Ok(Lesson { learned, surprised, takeaway, tip, recommend })
        }
        _ => Err(invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn place() -> PlaceInput {
        PlaceInput {
            host: "aanbieder:3".into(),
            theme: "Wijkteam en jeugdhulp".into(),
            description: String::new(),
            starts_on: "01-03-2027".into(),
            ends_on: "31-03-2027".into(),
            mode: "op-locatie".into(),
            capacity: "2".into(),
        }
    }

    #[test]
    fn a_place_reads_and_every_problem_is_named() {
        let p = parse_place(&place()).unwrap();
        assert_eq!((p.host, p.capacity, p.mode), (Organisation::Provider(3), 2, Mode::OnSite));
        let bad = PlaceInput {
            host: "gemeente:XX".into(),
            theme: "".into(),
            ends_on: "01-02-2027".into(),
            mode: "hybride".into(),
            capacity: "0".into(),
            ..place()
        };
        let names: Vec<String> = parse_place(&bad).unwrap_err().errors.into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["gastheer", "thema", "vorm", "capaciteit", "tot"]);
    }

    #[test]
    fn organisations_round_trip_and_only_cross_sides() {
        for o in [Organisation::Member("GM0518".into()), Organisation::Provider(7)] {
            assert_eq!(Organisation::parse(&o.code()).unwrap(), o);
        }
        let (m, p) = (Organisation::Member("GM0518".into()), Organisation::Provider(7));
        assert!(m.may_visit(&p) && p.may_visit(&m));
        assert!(!m.may_visit(&Organisation::Member("GM1783".into())) && !p.may_visit(&Organisation::Provider(8)));
        assert!(Organisation::parse("aanbieder:-1").is_err() && Organisation::parse("gemeente").is_err());
    }

    #[test]
    fn wishes_are_ordered_once_and_at_least_one() {
        let input = ParticipantInput {
            name: "Anna de Vries".into(),
            job_title: "Beleidsadviseur jeugd".into(),
            organisation: "gemeente:GM0518".into(),
            wishes: vec!["4".into(), "2".into(), "".into()],
        };
        assert_eq!(parse_participant(&input).unwrap().wishes, vec![4, 2]);
        let twice = ParticipantInput { wishes: vec!["4".into(), "4".into()], ..input.clone() };
        assert_eq!(parse_participant(&twice).unwrap_err().errors[0].name, "wens2");
        let gap = ParticipantInput { wishes: vec!["".into(), "4".into()], ..input.clone() };
        assert_eq!(parse_participant(&gap).unwrap_err().errors[0].code, "volgorde");
        let none = ParticipantInput { wishes: vec!["".into()], ..input };
        assert_eq!(parse_participant(&none).unwrap_err().errors[0].name, "wens1");
    }

    #[test]
    fn a_lesson_needs_what_was_learned_and_taken_home() {
        let ok = LessonInput {
            learned: "Hoe een wachtlijst ontstaat".into(),
            takeaway: "Eerder bellen bij twijfel".into(),
            recommend: "5".into(),
            ..Default::default()
        };
        assert_eq!(parse_lesson(&ok).unwrap().recommend, 5);
        let bad = LessonInput { recommend: "9".into(), ..Default::default() };
        let names: Vec<String> = parse_lesson(&bad).unwrap_err().errors.into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["geleerd", "meenemen", "aanrader"]);
    }

    proptest! {
        #[test]
        fn no_input_panics(host in ".{0,20}", capacity in ".{0,6}", from in ".{0,12}", wishes in proptest::collection::vec(".{0,4}", 0..8)) {
            let _ = parse_place(&PlaceInput { host: host.clone(), capacity, starts_on: from, ..place() });
            let _ = parse_participant(&ParticipantInput { name: host.clone(), job_title: host.clone(), organisation: host, wishes });
        }
    }
}
