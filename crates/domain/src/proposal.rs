//! Proposals (voorstellen) and their lifecycle: draft → consultation (members give their input,
//! zienswijzen, before a deadline) → response (the region answers every input) → vote → adopted
//! or rejected, published in the decision list. A proposal can be withdrawn until it is decided.
//! The rules of the lifecycle are here, free of storage, so they can be read and tested alone;
//! the store applies them inside the transaction that makes the change.

use crate::governance::DECISION_KINDS;
use crate::Invalid;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a proposal is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Concept,
    Consultatie,
    Reactie,
    Stemming,
    Aangenomen,
    Verworpen,
    Ingetrokken,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Concept,
        Phase::Consultatie,
        Phase::Reactie,
        Phase::Stemming,
        Phase::Aangenomen,
        Phase::Verworpen,
        Phase::Ingetrokken,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Phase::Concept => "concept",
            Phase::Consultatie => "consultatie",
            Phase::Reactie => "reactie",
            Phase::Stemming => "stemming",
            Phase::Aangenomen => "aangenomen",
            Phase::Verworpen => "verworpen",
            Phase::Ingetrokken => "ingetrokken",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Concept => "Concept",
            Phase::Consultatie => "Consultatie: zienswijzen welkom",
            Phase::Reactie => "Reactie op de zienswijzen",
            Phase::Stemming => "Stemming",
            Phase::Aangenomen => "Aangenomen",
            Phase::Verworpen => "Verworpen",
            Phase::Ingetrokken => "Ingetrokken",
        }
    }

    pub fn parse(code: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Decided: the vote is closed and the outcome is in the decision list.
    pub fn decided(self) -> bool {
        matches!(self, Phase::Aangenomen | Phase::Verworpen)
    }

    pub fn finished(self) -> bool {
        self.decided() || self == Phase::Ingetrokken
    }

    /// Members other than the region see a proposal once it leaves the draft.
    pub fn visible_to_members(self) -> bool {
        self != Phase::Concept
    }

    /// Title and text may change while nobody is giving input on them or voting on them.
    pub fn text_editable(self) -> bool {
        matches!(self, Phase::Concept | Phase::Reactie)
    }
}

/// How the region handled one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Handling {
    Overgenomen,
    Deels,
    Niet,
}

impl Handling {
    pub const ALL: [Handling; 3] = [Handling::Overgenomen, Handling::Deels, Handling::Niet];

    pub fn code(self) -> &'static str {
        match self {
            Handling::Overgenomen => "overgenomen",
            Handling::Deels => "deels",
            Handling::Niet => "niet",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Handling::Overgenomen => "Overgenomen",
            Handling::Deels => "Deels overgenomen",
            Handling::Niet => "Niet overgenomen",
        }
    }

    pub fn parse(code: &str) -> Option<Handling> {
        Handling::ALL.into_iter().find(|h| h.code() == code.trim())
    }
}

/// A member's vote as cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Voor,
    Tegen,
    Onthouding,
}

impl Choice {
    pub const ALL: [Choice; 3] = [Choice::Voor, Choice::Tegen, Choice::Onthouding];

    pub fn code(self) -> &'static str {
        match self {
            Choice::Voor => "voor",
            Choice::Tegen => "tegen",
            Choice::Onthouding => "onthouding",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Choice::Voor => "Voor",
            Choice::Tegen => "Tegen",
            Choice::Onthouding => "Onthouding",
        }
    }

    pub fn parse(code: &str) -> Option<Choice> {
        Choice::ALL.into_iter().find(|c| c.code() == code.trim())
    }
}

/// The longest title and text; a proposal is a decision text, not an archive.
pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 50_000;
pub const MAX_INPUT: usize = 20_000;
pub const MAX_REASON: usize = 10_000;

/// Whether a text holds control characters other than line breaks and tabs (a NUL cannot be
/// stored in PostgreSQL; the others are never typed).
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

const CONTROL: &str = "De tekst bevat onzichtbare stuurtekens; plak hem als gewone tekst.";

/// What a region admin writes in a new proposal or changes in a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalText {
    pub kind: String,
    pub title: String,
    pub text: String,
}

impl ProposalText {
    /// Checks kind, title and text, naming every problem in Dutch.
    pub fn check(kind: &str, title: &str, text: &str) -> Result<ProposalText, Invalid> {
        let mut invalid = Invalid::new();
        let kind = kind.trim();
        if kind.is_empty() {
            invalid.push("soort", "required", "Kies de soort besluit: die bepaalt welke besluitregel geldt.");
        } else if !DECISION_KINDS.iter().any(|(k, _)| *k == kind) {
            let known: Vec<&str> = DECISION_KINDS.iter().map(|(k, _)| *k).collect();
            invalid.push("soort", "enum", format!("Onbekende soort '{kind}'; kies uit {}.", known.join(", ")));
        }
        let title = title.trim();
        if title.is_empty() {
            invalid.push("titel", "required", "Geef het voorstel een titel.");
        } else if title.chars().count() > MAX_TITLE {
            invalid.push("titel", "length", format!("De titel is langer dan {MAX_TITLE} tekens."));
        } else if has_control(title) {
            invalid.push("titel", "control", CONTROL);
        }
        let text = text.trim();
        if text.is_empty() {
            invalid.push("tekst", "required", "Schrijf de tekst van het voorstel.");
        } else if text.chars().count() > MAX_TEXT {
            invalid.push("tekst", "length", format!("De tekst is langer dan {MAX_TEXT} tekens."));
        } else if has_control(text) {
            invalid.push("tekst", "control", CONTROL);
        }
        if invalid.is_empty() {
            Ok(ProposalText { kind: kind.to_string(), title: title.to_string(), text: text.to_string() })
        } else {
            Err(invalid)
        }
    }
}

/// A step the region takes with a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Open the consultation until the deadline.
    OpenConsultation {
        deadline: OffsetDateTime,
    },
    /// After the consultation deadline: answer the inputs.
    CloseConsultation,
    /// Put the proposal to the vote until the deadline; every input must have its answer.
    OpenVoting {
        deadline: OffsetDateTime,
    },
    /// After the vote deadline: count and decide.
    CloseVoting,
    Withdraw,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::OpenConsultation { .. } => "consultatie openen",
            Step::CloseConsultation => "consultatie sluiten",
            Step::OpenVoting { .. } => "stemming openen",
            Step::CloseVoting => "stemming sluiten",
            Step::Withdraw => "intrekken",
        }
    }
}

/// What the store knows about a proposal when a step is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepContext {
    pub phase: Phase,
    pub now: OffsetDateTime,
    pub consultation_deadline: Option<OffsetDateTime>,
    pub vote_deadline: Option<OffsetDateTime>,
    /// Inputs without an answer yet.
    pub unanswered_inputs: u32,
    /// The shortest consultation or vote the region allows ([`MIN_OPEN`] unless configured;
    /// tests shorten it so a deadline passes while they run).
    pub min_open: time::Duration,
}

/// The default shortest consultation and vote: members need time to read and to ask their
/// council.
pub const MIN_OPEN: time::Duration = time::Duration::hours(1);
/// The longest: a deadline a year away is a typing error.
pub const MAX_OPEN: time::Duration = time::Duration::days(366);

fn check_deadline(field: &str, deadline: OffsetDateTime, ctx: &StepContext) -> Result<(), Invalid> {
    let now = ctx.now;
    if deadline < now + ctx.min_open {
        let minutes = ctx.min_open.whole_minutes();
        let shortest = if minutes >= 1 {
            format!("{minutes} minuten")
        } else {
            format!("{} seconden", ctx.min_open.whole_seconds())
        };
        Err(Invalid::single(field, "deadline", format!("De termijn moet minstens {shortest} na nu eindigen.")))
    } else if deadline > now + MAX_OPEN {
        Err(Invalid::single(field, "deadline", "De termijn mag niet langer zijn dan een jaar."))
    } else {
        Ok(())
    }
}

/// The phase after `step`, or why the step is not allowed now (in Dutch; nothing changes).
pub fn next_phase(ctx: &StepContext, step: Step) -> Result<Phase, Invalid> {
    let refuse = |reason: String| Err(Invalid::single("stap", "phase", reason));
    match (ctx.phase, step) {
        (Phase::Concept, Step::OpenConsultation { deadline }) => {
            check_deadline("consultatieTot", deadline, ctx)?;
            Ok(Phase::Consultatie)
        }
        (Phase::Consultatie, Step::CloseConsultation) => match ctx.consultation_deadline {
            Some(deadline) if ctx.now < deadline => {
                refuse("De consultatie loopt nog: leden kunnen tot de termijn hun zienswijze geven.".into())
            }
            _ => Ok(Phase::Reactie),
        },
        (Phase::Reactie, Step::OpenVoting { deadline }) => {
            if ctx.unanswered_inputs > 0 {
                return refuse(format!(
                    "Beantwoord eerst elke zienswijze (nog {} zonder reactie): leden moeten zien wat ermee is \
                     gedaan voordat zij stemmen.",
                    ctx.unanswered_inputs
                ));
            }
            check_deadline("stemmenTot", deadline, ctx)?;
            Ok(Phase::Stemming)
        }
        (Phase::Stemming, Step::CloseVoting) => match ctx.vote_deadline {
            Some(deadline) if ctx.now < deadline => {
                refuse("De stemming loopt nog: leden kunnen tot de termijn stemmen en hun stem wijzigen.".into())
            }
            // The outcome follows from the count; the store sets adopted or rejected.
            _ => Ok(Phase::Stemming),
        },
        // Once the vote's deadline has passed the outcome is fixed: nobody can set it aside.
        (Phase::Stemming, Step::Withdraw) if ctx.vote_deadline.is_some_and(|d| ctx.now >= d) => refuse(
            "De stemtermijn is verstreken: de uitslag ligt vast en het voorstel kan niet meer worden ingetrokken. \
             Sluit de stemming."
                .into(),
        ),
        (phase, Step::Withdraw) if !phase.finished() => Ok(Phase::Ingetrokken),
        (phase, step) => {
            refuse(format!("Dit voorstel is in de fase '{}'; '{}' kan nu niet.", phase.label(), step.name()))
        }
    }
}

/// Whether a member may give input now.
pub fn input_allowed(phase: Phase, deadline: Option<OffsetDateTime>, now: OffsetDateTime) -> Result<(), Invalid> {
    match (phase, deadline) {
        (Phase::Consultatie, Some(deadline)) if now < deadline => Ok(()),
        (Phase::Consultatie, _) => Err(Invalid::single(
            "zienswijze",
            "deadline",
            "De termijn voor zienswijzen is verstreken; uw zienswijze is niet opgeslagen.",
        )),
        (phase, _) => Err(Invalid::single(
            "zienswijze",
            "phase",
            format!("Dit voorstel is niet in consultatie (fase: {}); zienswijzen kunnen nu niet.", phase.label()),
        )),
    }
}

/// Whether a vote may be cast or changed now. A vote at or after the deadline is refused even
/// when the vote has not been formally closed yet, so the outcome is fixed at the deadline.
pub fn vote_allowed(phase: Phase, deadline: Option<OffsetDateTime>, now: OffsetDateTime) -> Result<(), Invalid> {
    match (phase, deadline) {
        (Phase::Stemming, Some(deadline)) if now < deadline => Ok(()),
        (Phase::Stemming, _) => Err(Invalid::single(
            "stem",
            "deadline",
            "De stemming is gesloten: de termijn is verstreken. Uw stem is niet opgeslagen.",
        )),
        (phase, _) => Err(Invalid::single(
            "stem",
            "phase",
            format!("Over dit voorstel wordt nu niet gestemd (fase: {}).", phase.label()),
        )),
    }
}

/// Checks an input's text.
pub fn check_input_text(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        Err(Invalid::single("tekst", "required", "Schrijf uw zienswijze."))
    } else if text.chars().count() > MAX_INPUT {
        Err(Invalid::single("tekst", "length", format!("De zienswijze is langer dan {MAX_INPUT} tekens.")))
    } else if has_control(text) {
        Err(Invalid::single("tekst", "control", CONTROL))
    } else {
        Ok(text.to_string())
    }
}

/// Checks the region's answer to an input: how it was handled, and why (always for partly or
/// not adopted; a member is owed the reason).
pub fn check_response(handling: &str, reason: &str) -> Result<(Handling, String), Invalid> {
    let mut invalid = Invalid::new();
    let handling = Handling::parse(handling);
    if handling.is_none() {
        invalid.push("verwerking", "required", "Kies overgenomen, deels overgenomen of niet overgenomen.");
    }
    let reason = reason.trim();
    if reason.is_empty() && handling != Some(Handling::Overgenomen) {
        invalid.push(
            "reactie",
            "required",
            "Leg uit waarom de zienswijze niet of deels is overgenomen: het lid moet dat kunnen navertellen.",
        );
    } else if reason.chars().count() > MAX_REASON {
        invalid.push("reactie", "length", format!("De reactie is langer dan {MAX_REASON} tekens."));
    } else if has_control(reason) {
        invalid.push("reactie", "control", CONTROL);
    }
    match handling {
        Some(h) if invalid.is_empty() => Ok((h, reason.to_string())),
        _ => Err(invalid),
    }
}

/// A decision number: the year it was taken and its place in that year (`2026-007`).
pub fn decision_number(year: i32, sequence: i64) -> String {
    format!("{year}-{sequence:03}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    fn ctx(phase: Phase) -> StepContext {
        StepContext {
            phase,
            now: NOW,
            consultation_deadline: None,
            vote_deadline: None,
            unanswered_inputs: 0,
            min_open: MIN_OPEN,
        }
    }

    #[test]
    fn the_lifecycle_goes_forward_only() {
        let week = NOW + time::Duration::days(7);
        assert_eq!(
            next_phase(&ctx(Phase::Concept), Step::OpenConsultation { deadline: week }).unwrap(),
            Phase::Consultatie
        );
        let mut consulting = ctx(Phase::Consultatie);
        consulting.consultation_deadline = Some(week);
        assert!(next_phase(&consulting, Step::CloseConsultation).is_err(), "not before the deadline");
        consulting.now = week;
        assert_eq!(next_phase(&consulting, Step::CloseConsultation).unwrap(), Phase::Reactie);
        let mut responding = ctx(Phase::Reactie);
        responding.unanswered_inputs = 2;
        let err = next_phase(&responding, Step::OpenVoting { deadline: week }).unwrap_err();
        assert!(err.errors[0].reason.contains("nog 2 zonder reactie"), "{err:?}");
        responding.unanswered_inputs = 0;
        assert_eq!(next_phase(&responding, Step::OpenVoting { deadline: week }).unwrap(), Phase::Stemming);
        let mut voting = ctx(Phase::Stemming);
        voting.vote_deadline = Some(week);
        assert!(next_phase(&voting, Step::CloseVoting).is_err());
        voting.now = week;
        assert!(next_phase(&voting, Step::CloseVoting).is_ok());
        // Skipping or going back is refused with the phase named.
        let err = next_phase(&ctx(Phase::Concept), Step::OpenVoting { deadline: week }).unwrap_err();
        assert!(err.errors[0].reason.contains("fase 'Concept'"), "{err:?}");
        assert!(next_phase(&ctx(Phase::Aangenomen), Step::Withdraw).is_err());
        assert_eq!(next_phase(&ctx(Phase::Stemming), Step::Withdraw).unwrap(), Phase::Ingetrokken);
        let mut closed = ctx(Phase::Stemming);
        closed.vote_deadline = Some(NOW);
        assert!(next_phase(&closed, Step::Withdraw).unwrap_err().errors[0].reason.contains("uitslag ligt vast"));
    }

    #[test]
    fn deadlines_must_be_sensible() {
        let soon = NOW + time::Duration::minutes(5);
        assert!(next_phase(&ctx(Phase::Concept), Step::OpenConsultation { deadline: soon }).is_err());
        let past = NOW - time::Duration::days(1);
        assert!(next_phase(&ctx(Phase::Concept), Step::OpenConsultation { deadline: past }).is_err());
        let far = NOW + time::Duration::days(400);
        assert!(next_phase(&ctx(Phase::Concept), Step::OpenConsultation { deadline: far }).is_err());
    }

    #[test]
    fn a_vote_at_the_deadline_is_too_late() {
        let deadline = NOW;
        assert!(vote_allowed(Phase::Stemming, Some(deadline), NOW - time::Duration::seconds(1)).is_ok());
        let err = vote_allowed(Phase::Stemming, Some(deadline), NOW).unwrap_err();
        assert!(err.errors[0].reason.contains("termijn is verstreken"));
        assert!(vote_allowed(Phase::Reactie, Some(deadline), NOW - time::Duration::days(1)).is_err());
        assert!(input_allowed(Phase::Consultatie, Some(deadline), NOW).is_err());
        assert!(input_allowed(Phase::Consultatie, Some(deadline), NOW - time::Duration::seconds(1)).is_ok());
    }

    #[test]
    fn proposals_need_a_kind_title_and_text() {
        let err = ProposalText::check("", " ", "").unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(fields, ["soort", "titel", "tekst"]);
        assert!(err.errors[0].reason.contains("soort besluit"));
        assert!(ProposalText::check("feest", "T", "x").unwrap_err().errors[0].reason.contains("Onbekende soort"));
        assert_eq!(ProposalText::check("overig", "T", "a\u{0}b").unwrap_err().errors[0].code, "control");
        assert!(check_input_text("regel 1\nregel 2\ttab").is_ok());
        assert!(check_input_text("nul\u{0}").is_err());
        let ok = ProposalText::check(" begroting ", " Begroting 2027 ", "De tekst.").unwrap();
        assert_eq!((ok.kind.as_str(), ok.title.as_str()), ("begroting", "Begroting 2027"));
    }

    #[test]
    fn a_response_other_than_adopted_needs_a_reason() {
        assert!(check_response("niet", " ").is_err());
        assert!(check_response("deels", "").is_err());
        assert!(check_response("", "reden").is_err());
        assert_eq!(check_response("overgenomen", "").unwrap(), (Handling::Overgenomen, String::new()));
        assert_eq!(check_response("niet", " past niet in het budget ").unwrap().1, "past niet in het budget");
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_checked_without_panic(kind in "\\PC{0,20}", title in "\\PC{0,300}", text in "\\PC{0,50}") {
            let _ = ProposalText::check(&kind, &title, &text);
            let _ = check_response(&kind, &text);
            let _ = check_input_text(&title);
        }

        #[test]
        fn no_step_skips_a_phase(phase in 0usize..7, step in 0usize..5, minutes in -100_000i64..100_000) {
            let deadline = NOW + time::Duration::minutes(minutes);
            let steps = [
                Step::OpenConsultation { deadline },
                Step::CloseConsultation,
                Step::OpenVoting { deadline },
                Step::CloseVoting,
                Step::Withdraw,
            ];
            let mut c = ctx(Phase::ALL[phase]);
            c.consultation_deadline = Some(deadline);
            c.vote_deadline = Some(deadline);
            if let Ok(next) = next_phase(&c, steps[step]) {
                let order = |p: Phase| Phase::ALL.iter().position(|x| *x == p).unwrap();
                // Forward by one at most, staying put only when closing a vote (the count decides),
                // or withdrawn; never out of a decision.
                proptest::prop_assert!(!c.phase.finished());
                proptest::prop_assert!(
                    next == Phase::Ingetrokken || order(next) == order(c.phase) + 1 || (next == c.phase && steps[step] == Step::CloseVoting)
                );
            }
        }
    }

    #[test]
    fn codes_round_trip() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.code()), Some(p));
        }
        for c in Choice::ALL {
            assert_eq!(Choice::parse(c.code()), Some(c));
        }
        assert_eq!(decision_number(2026, 7), "2026-007");
    }
}
