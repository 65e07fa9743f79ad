//! The self-assessment against the Norm voor Opdrachtgeverschap (VNG, 10 June 2020): the
//! commitments as a checklist, each answered yes, partly or no with its evidence, and how an
//! assessment changed since the one before.

use serde::{Deserialize, Serialize};

/// The commitments of the Norm as a checklist (key, text). Paraphrased; see
/// docs/bestuur.md for the sources.
pub const NORM_ITEMS: [(&str, &str); 11] = [
    ("regiovisie", "De regiovisie is vastgesteld en opgesteld samen met aanbieders, gecertificeerde instellingen, jeugdigen en ouders."),
    ("beschikbaarheid", "De regiovisie zegt hoe de beschikbaarheid en continuïteit van specialistische zorg zijn geborgd."),
    ("toegang", "De regiovisie zegt hoe de toegang tot de ingekochte zorg werkt."),
    ("bovenregionaal", "De bovenregionale functies zijn in kaart gebracht, met per functie de afspraak."),
    ("samenwerkingsafspraken", "Er zijn schriftelijke afspraken over de samenwerking (bestuur, besluitregels): het handvest."),
    ("aanspreekpunt", "Er is een regionaal aanspreekpunt aangewezen."),
    ("contractvoorwaarden", "Alle leden gebruiken dezelfde contractvoorwaarden."),
    ("inkoopeisen", "Alle leden stellen dezelfde eisen aan de inkoop (zorgvuldigheidseisen)."),
    ("reele_tarieven", "De tarieven zijn onderbouwd als reëel."),
    ("administratieve_lasten", "Er zijn concrete maatregelen om de administratieve lasten te verlagen."),
    ("periodieke_herijking", "De afspraken van de Norm worden periodiek herijkt."),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Nee,
    Deels,
    Ja,
}

impl Answer {
    pub fn parse(s: &str) -> Option<Answer> {
        match s.trim().to_lowercase().as_str() {
            "ja" => Some(Answer::Ja),
            "deels" => Some(Answer::Deels),
            "nee" => Some(Answer::Nee),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Answer::Ja => "ja",
            Answer::Deels => "deels",
            Answer::Nee => "nee",
        }
    }

    /// Points for the score: yes 2, partly 1, no 0.
    pub fn points(self) -> u32 {
        self as u32
    }
}

/// One commitment answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormAnswer {
    #[serde(rename = "onderdeel")]
    pub item: String,
    #[serde(rename = "antwoord")]
    pub answer: Answer,
    /// Where it shows: a link to a decision, a document, a lot, or a short description.
    #[serde(rename = "onderbouwing", default)]
    pub evidence: String,
}

/// Checks a whole assessment: every commitment answered once, evidence for yes and partly.
pub fn check_answers(answers: &[NormAnswer]) -> Vec<String> {
    let mut problems = Vec::new();
    for a in answers {
        if !NORM_ITEMS.iter().any(|(k, _)| *k == a.item) {
            problems.push(format!("onderdeel '{}' hoort niet bij de Norm", a.item));
        }
    }
    for (key, text) in NORM_ITEMS {
        let given: Vec<&NormAnswer> = answers.iter().filter(|a| a.item == key).collect();
        match given.as_slice() {
            [] => problems.push(format!("{key}: niet beantwoord ({text})")),
            [a] if a.answer != Answer::Nee && a.evidence.trim().is_empty() => problems.push(format!(
                "{key}: '{}' vraagt een onderbouwing (een besluit, document of perceel)",
                a.answer.label()
            )),
            [_] => {}
            _ => problems.push(format!("{key}: twee keer beantwoord")),
        }
    }
    problems
}

/// The score: points out of 2 per commitment.
pub fn score(answers: &[NormAnswer]) -> (u32, u32) {
    (answers.iter().map(|a| a.answer.points()).sum(), 2 * NORM_ITEMS.len() as u32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Change {
    Better,
    Worse,
    Same,
    New,
}

/// Per commitment the answer now and before, and which way it moved.
pub fn changes(
    before: Option<&[NormAnswer]>,
    now: &[NormAnswer],
) -> Vec<(&'static str, Option<Answer>, Answer, Change)> {
    NORM_ITEMS
        .iter()
        .filter_map(|(key, _)| {
            let current = now.iter().find(|a| a.item == *key)?.answer;
            let previous = before.and_then(|b| b.iter().find(|a| a.item == *key)).map(|a| a.answer);
            let change = match previous {
                None => Change::New,
                Some(p) if current > p => Change::Better,
                Some(p) if current < p => Change::Worse,
                Some(_) => Change::Same,
            };
            Some((*key, previous, current, change))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(answer: Answer) -> Vec<NormAnswer> {
        NORM_ITEMS
            .iter()
            .map(|(k, _)| NormAnswer { item: k.to_string(), answer, evidence: "besluit AB 2026-03".into() })
            .collect()
    }

    #[test]
    fn an_assessment_answers_every_commitment_with_evidence() {
        assert!(check_answers(&all(Answer::Ja)).is_empty());
        let mut a = all(Answer::Deels);
        a[0].evidence.clear();
        a.pop();
        a.push(NormAnswer { item: "fusie".into(), answer: Answer::Ja, evidence: "x".into() });
        let problems = check_answers(&a);
        assert!(problems.iter().any(|p| p.starts_with("regiovisie: 'deels' vraagt een onderbouwing")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("periodieke_herijking: niet beantwoord")));
        assert!(problems.iter().any(|p| p.contains("'fusie' hoort niet bij de Norm")));
        let mut no = all(Answer::Nee);
        no[3].evidence.clear();
        assert!(check_answers(&no).is_empty(), "no needs no evidence");
    }

    #[test]
    fn score_and_changes() {
        assert_eq!(score(&all(Answer::Ja)), (22, 22));
        assert_eq!(score(&all(Answer::Nee)), (0, 22));
        let before = all(Answer::Deels);
        let mut now = all(Answer::Deels);
        now[0].answer = Answer::Ja;
        now[1].answer = Answer::Nee;
        let c = changes(Some(&before), &now);
        assert_eq!(c[0], ("regiovisie", Some(Answer::Deels), Answer::Ja, Change::Better));
        assert_eq!(c[1].3, Change::Worse);
        assert_eq!(c[2].3, Change::Same);
        assert!(changes(None, &now).iter().all(|c| c.3 == Change::New));
    }
}
