//! Streaming reader for the iJw/iWmo 3.2 messages 301, 305, 307, 323 and 325.
//!
//! One pass over the input, in constant memory: elements are tracked by their local name, the
//! fields of the record being read are collected, and when a record's element closes it is
//! checked and handed to the caller. Line numbers are counted as the input goes by, so every
//! problem names its line.

use crate::bsn::{check_bsn, Pseudonym, Pseudonymiser};
use crate::model::*;
use crate::rules::{self, Break};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::BufRead;
use time::Date;

/// A date as the XSD writes it: `JJJJ-MM-DD`, nothing more (a time zone is refused). Read by
/// hand: the general parser of `time` took a tenth of reading a claim line.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number =
        |digits: &[u8]| digits.iter().try_fold(0u16, |n, d| d.is_ascii_digit().then(|| n * 10 + u16::from(d - b'0')));
    let year = i32::from(number(&b[..4])?);
    let month = time::Month::try_from(u8::try_from(number(&b[5..7])?).ok()?).ok()?;
    let day = u8::try_from(number(&b[8..])?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// The fields of the record being read, keyed by `Parent/Name` of their element. The values
/// share one buffer, so reading a record does not allocate per element.
#[derive(Default)]
struct Fields {
    arena: String,
    values: Vec<(&'static str, std::ops::Range<usize>)>,
    return_codes: Vec<String>,
    start: Position,
}

impl Fields {
    fn get(&self, key: &str) -> Option<&str> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, r)| &self.arena[r.clone()])
    }

    fn push(&mut self, key: &'static str, value: &str) {
        let start = self.arena.len();
        self.arena.push_str(value);
        self.values.push((key, start..self.arena.len()));
    }

    fn clear(&mut self, start: Position) {
        self.arena.clear();
        self.values.clear();
        self.return_codes.clear();
        self.start = start;
    }
}

/// Which record an element opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Header,
    Assignment,
    Event,
    Claim,
    Line,
    Answer,
}

/// The fields Samenspel keeps, by parent and local name.
fn field_key(parent: &[u8], name: &[u8]) -> Option<&'static str> {
    Some(match (parent, name) {
        (b"Header", b"BerichtCode") => "BerichtCode",
        (b"Header", b"BerichtVersie") => "BerichtVersie",
        (b"Header", b"BerichtSubversie") => "BerichtSubversie",
        (b"Header", b"Afzender") => "Afzender",
        (b"Header", b"Ontvanger") => "Ontvanger",
        (b"BerichtIdentificatie", b"Identificatie") => "BerichtIdentificatie/Identificatie",
        (b"BerichtIdentificatie", b"Dagtekening") => "BerichtIdentificatie/Dagtekening",
        (b"Client", b"Bsn") => "Bsn",
        (b"ToegewezenProduct" | b"StartProduct" | b"StopProduct" | b"Prestatie", b"ToewijzingNummer") => {
            "ToewijzingNummer"
        }
        (b"Product", b"Categorie") => "Product/Categorie",
        (b"Product", b"Code") => "Product/Code",
        (b"ToegewezenProduct", b"Toewijzingsdatum") => "Toewijzingsdatum",
        (b"ToegewezenProduct", b"Toewijzingstijd") => "Toewijzingstijd",
        (b"ToegewezenProduct", b"Ingangsdatum") => "Ingangsdatum",
        (b"ToegewezenProduct" | b"StopProduct", b"Einddatum") => "Einddatum",
        (b"ToegewezenProduct", b"RedenWijziging") => "RedenWijziging",
        (b"ToegewezenProduct", b"Budget") => "Budget",
        (b"Omvang", b"Volume") => "Omvang/Volume",
        (b"Omvang", b"Eenheid") => "Omvang/Eenheid",
        (b"Omvang", b"Frequentie") => "Omvang/Frequentie",
        (b"StartProduct" | b"StopProduct", b"Begindatum") => "Begindatum",
        (b"StopProduct", b"RedenBeeindiging") => "RedenBeeindiging",
        (b"StartProduct" | b"StopProduct", b"StatusAanlevering") => "StatusAanlevering",
        (b"Declaratie" | b"DeclaratieAntwoord", b"DeclaratieNummer") => "DeclaratieNummer",
        (b"DeclaratiePeriode", b"Begindatum") => "DeclaratiePeriode/Begindatum",
        (b"DeclaratiePeriode", b"Einddatum") => "DeclaratiePeriode/Einddatum",
        (b"Declaratie", b"DeclaratieDagtekening") => "DeclaratieDagtekening",
        (b"TotaalIngediendBedrag", b"TotaalBedrag") => "TotaalIngediendBedrag/TotaalBedrag",
        (b"TotaalIngediendBedrag", b"DebetCredit") => "TotaalIngediendBedrag/DebetCredit",
        (b"TotaalToegekendBedrag", b"TotaalBedrag") => "TotaalToegekendBedrag/TotaalBedrag",
        (b"TotaalToegekendBedrag", b"DebetCredit") => "TotaalToegekendBedrag/DebetCredit",
        (b"ProductReferentie", b"ReferentieNummer") => "ReferentieNummer",
        (b"ProductReferentie", b"VorigReferentieNummer") => "VorigReferentieNummer",
        (b"Prestatie", b"ProductCategorie") => "ProductCategorie",
        (b"Prestatie", b"ProductCode") => "ProductCode",
        (b"ProductPeriode", b"Begindatum") => "ProductPeriode/Begindatum",
        (b"ProductPeriode", b"Einddatum") => "ProductPeriode/Einddatum",
        (b"Prestatie", b"GeleverdVolume") => "GeleverdVolume",
        (b"Prestatie", b"Eenheid") => "Eenheid",
        (b"Prestatie", b"ProductTarief") => "ProductTarief",
        (b"IngediendBedrag", b"Bedrag") => "IngediendBedrag/Bedrag",
        (b"IngediendBedrag", b"DebetCredit") => "IngediendBedrag/DebetCredit",
        _ => return None,
    })
}

/// Collects the problems of one record while it is built.
struct Check<'a> {
    element: &'static str,
    at: Position,
    problems: &'a mut Vec<Problem>,
    before: usize,
}

impl<'a> Check<'a> {
    fn new(element: &'static str, at: Position, problems: &'a mut Vec<Problem>) -> Check<'a> {
        let before = problems.len();
        Check { element, at, problems, before }
    }

    fn fail(&mut self, field: &str, rule: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            position: self.at,
            field: format!("{}/{field}", self.element),
            rule: rule.to_string(),
            message: message.into(),
            record: None,
        });
    }

    fn required<'f>(&mut self, fields: &'f Fields, key: &str) -> Option<&'f str> {
        let value = fields.get(key).filter(|v| !v.trim().is_empty());
        if value.is_none() {
            self.fail(key, "XSD", "Verplicht element ontbreekt of is leeg.");
        }
        value
    }

    fn date(&mut self, fields: &Fields, key: &str, required: bool) -> Option<Option<Date>> {
        match fields.get(key) {
            None if !required => Some(None),
            None => {
                self.fail(key, "XSD", "Verplichte datum ontbreekt.");
                None
            }
            Some(v) => match parse_date(v) {
                Some(d) => Some(Some(d)),
                None => {
                    self.fail(key, "XSD", format!("'{}' is geen datum (JJJJ-MM-DD, zonder tijdzone).", v.trim()));
                    None
                }
            },
        }
    }

    fn integer(&mut self, fields: &Fields, key: &str, required: bool, max: i64) -> Option<Option<i64>> {
        match fields.get(key) {
            None if !required => Some(None),
            None => {
                self.fail(key, "XSD", "Verplicht getal ontbreekt.");
                None
            }
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Some(Some(n)),
                _ => {
                    self.fail(key, "XSD", format!("'{}' is geen geheel getal van 0 tot en met {max}.", v.trim()));
                    None
                }
            },
        }
    }

    /// An amount with its DebetCredit, signed: credit negative.
    fn signed(&mut self, fields: &Fields, amount_key: &str, sign_key: &str, max: i64) -> Option<i64> {
        let amount = self.integer(fields, amount_key, true, max)??;
        match fields.get(sign_key).map(str::trim) {
            Some("D") => Some(amount),
            Some("C") => Some(-amount),
            other => {
                self.fail(sign_key, "XSD", format!("DebetCredit is D of C, niet '{}'.", other.unwrap_or("")));
                None
            }
        }
    }

    /// Records the rules a complete record breaks.
    fn extend(&mut self, breaks: Vec<Break>) {
        for b in breaks {
            self.fail(b.field, b.rule, b.message);
        }
    }

    fn ok(&self) -> bool {
        self.problems.len() == self.before
    }

    /// Attaches the record to the problems found in it, for quarantine.
    fn attach(&mut self, record: &Record) {
        for p in &mut self.problems[self.before..] {
            p.record = Some(record.clone());
        }
    }
}

/// The reader's state between events.
struct State<'p, F: FnMut(Record, Position)> {
    pseudonymiser: &'p Pseudonymiser,
    sink: F,
    summary: ReadSummary,
    header: Option<Header>,
    scope: Option<Scope>,
    fields: Fields,
    message: Fields,
    client: Option<Pseudonym>,
    client_valid: bool,
    claim_emitted: bool,
    lines_total: i64,
    claim: Option<Claim>,
}

impl<'p, F: FnMut(Record, Position)> State<'p, F> {
    fn file_problem(&mut self, at: Position, field: &str, rule: &str, message: String) {
        self.summary.file_problems.push(Problem {
            position: at,
            field: field.into(),
            rule: rule.into(),
            message,
            record: None,
        });
    }

    /// Runs `build` on the record's fields, then gives them back, so their buffers are reused
    /// by the next record instead of allocated anew.
    fn with_fields(&mut self, build: fn(&mut Self, &Fields)) {
        let f = std::mem::take(&mut self.fields);
        build(self, &f);
        self.fields = f;
    }

    fn emit(&mut self, record: Record, at: Position) {
        self.summary.records += 1;
        (self.sink)(record, at);
    }

    fn finish_header(&mut self, expected: (Standard, MessageKind)) {
        let (standard, kind) = expected;
        let f = std::mem::take(&mut self.message);
        let at = f.start;
        let mut problems = Vec::new();
        let mut c = Check::new("Header", at, &mut problems);
        let code = c.required(&f, "BerichtCode").map(str::trim).map(str::to_string);
        if let Some(code) = &code {
            if code.parse::<u16>().ok() != Some(kind.code(standard)) {
                c.fail(
                    "BerichtCode",
                    "XSD",
                    format!(
                        "BerichtCode {code} hoort niet bij {}; verwacht {}.",
                        kind.name(standard),
                        kind.code(standard)
                    ),
                );
            }
        }
        if f.get("BerichtVersie").map(str::trim) != Some("3") {
            c.fail("BerichtVersie", "CS025", "Dit is geen bericht van release 3.2 (BerichtVersie moet 3 zijn).");
        }
        if f.get("BerichtSubversie").map(str::trim) != Some("2") {
            c.fail("BerichtSubversie", "CS015", "Dit is geen bericht van release 3.2 (BerichtSubversie moet 2 zijn).");
        }
        let sender = c.required(&f, "Afzender").map(|s| s.trim().to_string());
        let receiver = c.required(&f, "Ontvanger").map(|s| s.trim().to_string());
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if let (Some(s), Some(r)) = (&sender, &receiver) {
            let ok = (digits(s, 4) && digits(r, 8)) || (digits(s, 8) && digits(r, 4));
            if !ok {
                c.fail(
                    "Afzender",
                    "RS035",
                    "Afzender en ontvanger zijn een gemeentecode (4 cijfers) en een AGB-code (8 cijfers).",
                );
            }
        }
        let id = c.required(&f, "BerichtIdentificatie/Identificatie").map(|s| s.trim().to_string());
        let day = c.date(&f, "BerichtIdentificatie/Dagtekening", true).flatten();
        let ok = problems.is_empty();
        self.summary.file_problems.extend(problems);
        if let (true, Some(sender), Some(receiver), Some(message_id), Some(message_date)) =
            (ok, sender, receiver, id, day)
        {
            let header = Header { standard, kind, sender, receiver, message_id, message_date };
            self.header = Some(header.clone());
            self.emit(Record::Header(header), at);
        }
    }

    fn client_bsn(&mut self, bsn: &str) {
        let bsn = bsn.trim();
        // The BSN itself goes nowhere: not in a message, not in a log. Each record of the client
        // is reported (and counted) on its own.
        self.client_valid = check_bsn(bsn);
        self.client = self.client_valid.then(|| self.pseudonymiser.pseudonym(bsn));
    }

    fn client_or_skip(&mut self, at: Position, element: &'static str) -> Option<Pseudonym> {
        if !self.client_valid {
            self.summary.record_problems.push(Problem {
                position: at,
                field: format!("{element}/Bsn"),
                rule: "CS002".into(),
                message: "Het BSN van de cliënt voldoet niet aan de elfproef; deze regel is niet ingelezen.".into(),
                record: None,
            });
        }
        self.client.clone().filter(|_| self.client_valid)
    }

    fn finish_assignment(&mut self) {
        self.with_fields(Self::finish_assignment_from);
    }

    fn finish_assignment_from(&mut self, f: &Fields) {
        let at = f.start;
        let Some(client) = self.client_or_skip(at, "ToegewezenProduct") else { return };
        let mut problems = Vec::new();
        let mut c = Check::new("ToegewezenProduct", at, &mut problems);
        let number = c.integer(&f, "ToewijzingNummer", true, 999_999_999).flatten();
        let category = f.get("Product/Categorie").map(|s| s.trim().to_string());
        let code = f.get("Product/Code").map(|s| s.trim().to_string());
        let assigned_on = c.date(&f, "Toewijzingsdatum", true).flatten();
        let assigned_at = c.required(&f, "Toewijzingstijd").map(|s| s.trim().to_string());
        let starts_on = c.date(&f, "Ingangsdatum", true).flatten();
        let ends_on = c.date(&f, "Einddatum", false);
        let volume = c.integer(&f, "Omvang/Volume", false, 99_999_999);
        let budget = c.integer(&f, "Budget", false, 99_999_999);
        if let (
            Some(number),
            Some(assigned_on),
            Some(assigned_at),
            Some(starts_on),
            Some(ends_on),
            Some(volume),
            Some(budget),
        ) = (number, assigned_on, assigned_at, starts_on, ends_on, volume, budget)
        {
            let assignment = Assignment {
                client,
                number,
                product: ProductRef { category, code },
                assigned_on,
                assigned_at,
                starts_on,
                ends_on,
                change_reason: f.get("RedenWijziging").map(|s| s.trim().to_string()),
                volume,
                unit: f.get("Omvang/Eenheid").map(|s| s.trim().to_string()),
                frequency: f.get("Omvang/Frequentie").map(|s| s.trim().to_string()),
                budget_cents: budget,
            };
            c.extend(rules::assignment(&assignment));
            let record = Record::Assignment(assignment);
            c.attach(&record);
            if c.ok() {
                self.emit(record, at);
            }
        }
        self.summary.record_problems.extend(problems);
    }

    fn finish_event(&mut self, stop: bool) {
        let f = std::mem::take(&mut self.fields);
        self.finish_event_from(&f, stop);
        self.fields = f;
    }

    fn finish_event_from(&mut self, f: &Fields, stop: bool) {
        let at = f.start;
        let element = if stop { "StopProduct" } else { "StartProduct" };
        let Some(client) = self.client_or_skip(at, element) else { return };
        let mut problems = Vec::new();
        let mut c = Check::new(element, at, &mut problems);
        let number = c.integer(&f, "ToewijzingNummer", false, 999_999_999);
        let starts_on = c.date(&f, "Begindatum", true).flatten();
        let ends_on = c.date(&f, "Einddatum", stop);
        let status = c.required(&f, "StatusAanlevering").map(|s| s.trim().to_string());
        if let (Some(number), Some(starts_on), Some(ends_on), Some(status)) = (number, starts_on, ends_on, status) {
            let event = CareEvent {
                client,
                stop,
                number,
                product: ProductRef {
                    category: f.get("Product/Categorie").map(|s| s.trim().to_string()),
                    code: f.get("Product/Code").map(|s| s.trim().to_string()),
                },
                starts_on,
                ends_on,
                reason: f.get("RedenBeeindiging").map(|s| s.trim().to_string()),
                status,
            };
            c.extend(rules::care_event(&event));
            let record = Record::CareEvent(event);
            c.attach(&record);
            if c.ok() {
                self.emit(record, at);
            }
        }
        self.summary.record_problems.extend(problems);
    }

    /// The claim's own fields, emitted before its lines.
    fn emit_claim(&mut self) {
        if self.claim_emitted {
            return;
        }
        self.claim_emitted = true;
        let f = std::mem::take(&mut self.message);
        let at = f.start;
        let mut problems = Vec::new();
        let mut c = Check::new("Declaratie", at, &mut problems);
        let number = c.required(&f, "DeclaratieNummer").map(|s| s.trim().to_string());
        let start = c.date(&f, "DeclaratiePeriode/Begindatum", true).flatten();
        let end = c.date(&f, "DeclaratiePeriode/Einddatum", true).flatten();
        let date = c.date(&f, "DeclaratieDagtekening", true).flatten();
        let total =
            c.signed(&f, "TotaalIngediendBedrag/TotaalBedrag", "TotaalIngediendBedrag/DebetCredit", 999_999_999_999);
        let claim = match (number, start, end, date, total) {
            (Some(number), Some(period_start), Some(period_end), Some(date), Some(total)) => {
                let claim = Claim { number, period_start, period_end, date, total_cents: Some(total) };
                c.extend(rules::claim(&claim));
                Some(claim)
            }
            _ => None,
        };
        // A broken claim header makes the whole file unusable: its lines have no claim to belong to.
        let ok = problems.is_empty();
        self.summary.file_problems.extend(problems);
        if let (true, Some(claim)) = (ok, claim) {
            self.claim = Some(claim.clone());
            self.emit(Record::Claim(claim), at);
        }
    }

    fn finish_line(&mut self) {
        self.with_fields(Self::finish_line_from);
    }

    fn finish_line_from(&mut self, f: &Fields) {
        let at = f.start;
        // The total counts every line as submitted, also those of clients with an invalid BSN.
        let mut sign_check = Vec::new();
        let amount = Check::new("Prestatie", at, &mut sign_check).signed(
            &f,
            "IngediendBedrag/Bedrag",
            "IngediendBedrag/DebetCredit",
            99_999_999,
        );
        self.lines_total = self.lines_total.saturating_add(amount.unwrap_or(0));
        let Some(client) = self.client_or_skip(at, "Prestatie") else { return };
        let mut problems = Vec::new();
        let mut c = Check::new("Prestatie", at, &mut problems);
        let reference = c.required(&f, "ReferentieNummer").map(|s| s.trim().to_string());
        let number = c.integer(&f, "ToewijzingNummer", true, 999_999_999).flatten();
        let category = c.required(&f, "ProductCategorie").map(|s| s.trim().to_string());
        let start = c.date(&f, "ProductPeriode/Begindatum", true).flatten();
        let end = c.date(&f, "ProductPeriode/Einddatum", true).flatten();
        let volume = c.integer(&f, "GeleverdVolume", true, 99_999_999).flatten();
        let unit = c.required(&f, "Eenheid").map(|s| s.trim().to_string());
        let tariff = c.integer(&f, "ProductTarief", false, 99_999_999);
        let amount = c.signed(&f, "IngediendBedrag/Bedrag", "IngediendBedrag/DebetCredit", 99_999_999);
        if let (
            Some(reference),
            Some(assignment_number),
            Some(category),
            Some(period_start),
            Some(period_end),
            Some(volume),
            Some(unit),
            Some(tariff_cents),
            Some(amount_cents),
        ) = (reference, number, category, start, end, volume, unit, tariff, amount)
        {
            let line = ClaimLine {
                client,
                reference,
                previous_reference: f.get("VorigReferentieNummer").map(|s| s.trim().to_string()),
                assignment_number,
                category,
                code: f.get("ProductCode").map(|s| s.trim().to_string()),
                period_start,
                period_end,
                volume,
                unit,
                tariff_cents,
                amount_cents,
            };
            c.extend(rules::claim_line(&line));
            let record = Record::ClaimLine(line);
            c.attach(&record);
            if c.ok() {
                self.emit(record, at);
            }
        }
        self.summary.record_problems.extend(problems);
    }

    fn emit_answer(&mut self) {
        if self.claim_emitted {
            return;
        }
        self.claim_emitted = true;
        let f = std::mem::take(&mut self.message);
        let at = f.start;
        let mut problems = Vec::new();
        let mut c = Check::new("DeclaratieAntwoord", at, &mut problems);
        let number = c.required(&f, "DeclaratieNummer").map(|s| s.trim().to_string());
        let submitted =
            c.signed(&f, "TotaalIngediendBedrag/TotaalBedrag", "TotaalIngediendBedrag/DebetCredit", 999_999_999_999);
        let granted =
            c.signed(&f, "TotaalToegekendBedrag/TotaalBedrag", "TotaalToegekendBedrag/DebetCredit", 999_999_999_999);
        let ok = problems.is_empty();
        self.summary.file_problems.extend(problems);
        if let (true, Some(claim_number), Some(submitted_cents), Some(granted_cents)) = (ok, number, submitted, granted)
        {
            self.emit(Record::ClaimAnswer(ClaimAnswer { claim_number, submitted_cents, granted_cents }), at);
        }
    }

    fn finish_rejected_line(&mut self) {
        self.with_fields(Self::finish_rejected_line_from);
    }

    fn finish_rejected_line_from(&mut self, f: &Fields) {
        let at = f.start;
        let Some(client) = self.client_or_skip(at, "Prestatie") else { return };
        let mut problems = Vec::new();
        let mut c = Check::new("Prestatie", at, &mut problems);
        let reference = c.required(&f, "ReferentieNummer").map(|s| s.trim().to_string());
        let start = c.date(&f, "ProductPeriode/Begindatum", true).flatten();
        let amount = c.signed(&f, "IngediendBedrag/Bedrag", "IngediendBedrag/DebetCredit", 99_999_999);
        if let (Some(reference), Some(period_start), Some(amount_cents)) = (reference, start, amount) {
            let record = Record::RejectedLine(RejectedLine {
                client,
                reference,
                period_start,
                amount_cents,
                return_codes: f.return_codes.clone(),
            });
            self.emit(record, at);
        }
        self.summary.record_problems.extend(problems);
    }
}

/// Reads the standard and message kind from the root element's namespace.
fn identify(namespace: &str) -> Result<(Standard, MessageKind), String> {
    let rest = namespace
        .strip_prefix("http://www.istandaarden.nl/")
        .ok_or_else(|| format!("'{namespace}' is geen namespace van de iStandaarden."))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [root, release, message, "schema"] = parts.as_slice() else {
        return Err(format!("'{namespace}' is geen berichtnamespace van de iStandaarden."));
    };
    if *release != "3_2" {
        return Err(format!("Dit bericht is van release {} ; Samenspel leest release 3.2.", release.replace('_', ".")));
    }
    let standard = match (*root, message) {
        ("ijw", m) if m.starts_with("jw") => Standard::Ijw,
        ("iwmo", m) if m.starts_with("wmo") => Standard::Iwmo,
        _ => return Err(format!("'{namespace}' is geen iJw- of iWmo-bericht.")),
    };
    let number: u16 = message
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .map_err(|_| format!("'{message}' is geen berichtnummer."))?;
    let kind = MessageKind::all().into_iter().find(|k| k.number() == number).ok_or_else(|| {
        format!("Bericht {} wordt niet ingelezen; Samenspel leest 301, 305, 307, 323 en 325.", message.to_uppercase())
    })?;
    Ok((standard, kind))
}

/// Reads one message, handing every good record to `sink` and collecting the problems.
/// Where the events come from: a stream read through a buffer, or bytes already in memory,
/// whose events borrow from them without a copy.
trait Events {
    fn next_event(&mut self) -> quick_xml::Result<Event<'_>>;
    fn position(&self) -> u64;
    fn error_position(&self) -> u64;
}

struct Streamed<R> {
    reader: Reader<R>,
    buf: Vec<u8>,
}

impl<R: BufRead> Events for Streamed<R> {
    fn next_event(&mut self) -> quick_xml::Result<Event<'_>> {
        self.buf.clear();
        self.reader.read_event_into(&mut self.buf)
    }
    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }
    fn error_position(&self) -> u64 {
        self.reader.error_position()
    }
}

struct InMemory<'a> {
    reader: Reader<&'a [u8]>,
}

impl Events for InMemory<'_> {
    fn next_event(&mut self) -> quick_xml::Result<Event<'_>> {
        self.reader.read_event()
    }
    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }
    fn error_position(&self) -> u64 {
        self.reader.error_position()
    }
}

/// Reads a message from a stream, in constant memory.
pub fn read<R: BufRead>(input: R, pseudonymiser: &Pseudonymiser, sink: impl FnMut(Record, Position)) -> ReadSummary {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    read_events(Streamed { reader, buf: Vec::new() }, pseudonymiser, sink)
}

/// Reads a message held in memory (an upload, a file read whole): the same records and
/// problems as [`read`], without copying each element out of the input first.
pub fn read_bytes(input: &[u8], pseudonymiser: &Pseudonymiser, sink: impl FnMut(Record, Position)) -> ReadSummary {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    read_events(InMemory { reader }, pseudonymiser, sink)
}

fn read_events(
    mut reader: impl Events,
    pseudonymiser: &Pseudonymiser,
    sink: impl FnMut(Record, Position),
) -> ReadSummary {
    let mut state = State {
        pseudonymiser,
        sink,
        summary: ReadSummary::default(),
        header: None,
        scope: None,
        fields: Fields::default(),
        message: Fields::default(),
        client: None,
        client_valid: false,
        claim_emitted: false,
        lines_total: 0,
        claim: None,
    };
    // The open elements' local names, one after another in `names`, each starting at its
    // offset in `stack`.
    let mut names: Vec<u8> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut text = String::new();
    let mut line: u64 = 1;
    let mut kind: Option<(Standard, MessageKind)> = None;
    loop {
        let offset = reader.position();
        let at = Position { offset, line: Some(line) };
        let event = match reader.next_event() {
            Ok(e) => e,
            Err(e) => {
                let at = Position { offset: reader.error_position(), line: Some(line) };
                state.file_problem(at, "bestand", "XSD", format!("Het bestand is geen geldige XML: {e}."));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                line += bytecount(e.attributes_raw().as_bytes());
                let local = e.local_name();
                let name: &[u8] = local.as_ref().as_bytes();
                if stack.is_empty() {
                    match root_namespace(&e).and_then(|ns| identify(&ns)) {
                        Ok(k) if name == b"Bericht" => kind = Some(k),
                        Ok(_) => {
                            state.file_problem(at, "Bericht", "XSD", "Het rootelement heet Bericht.".into());
                            break;
                        }
                        Err(message) => {
                            state.file_problem(at, "Bericht", "XSD", message);
                            break;
                        }
                    }
                }
                let Some((_, message_kind)) = kind else { break };
                match (name, state.scope) {
                    (b"Header", None) => {
                        state.scope = Some(Scope::Header);
                        state.message.clear(at);
                    }
                    (b"Client", _) => {
                        if message_kind == MessageKind::Claim {
                            state.emit_claim();
                        } else if message_kind == MessageKind::ClaimAnswer {
                            state.emit_answer();
                        }
                        state.client = None;
                        state.client_valid = false;
                    }
                    (b"ToegewezenProduct", _) => {
                        state.scope = Some(Scope::Assignment);
                        state.fields.clear(at);
                    }
                    (b"StartProduct" | b"StopProduct", _) => {
                        state.scope = Some(Scope::Event);
                        state.fields.clear(at);
                    }
                    (b"Declaratie", _) => {
                        state.scope = Some(Scope::Claim);
                        state.message.clear(at);
                    }
                    (b"DeclaratieAntwoord", _) => {
                        state.scope = Some(Scope::Answer);
                        state.message.clear(at);
                    }
                    (b"Prestatie", _) => {
                        state.scope = Some(Scope::Line);
                        state.fields.clear(at);
                    }
                    _ => {}
                }
                stack.push(names.len());
                names.extend_from_slice(name);
                text.clear();
            }
            Event::End(e) => {
                let local = e.local_name();
                let name: &[u8] = local.as_ref().as_bytes();
                let parent: &[u8] = match stack.len() {
                    n if n >= 2 => &names[stack[n - 2]..stack[n - 1]],
                    _ => &[],
                };
                if let Some(key) = field_key(parent, name) {
                    match (key, state.scope) {
                        ("Bsn", _) => state.client_bsn(&text),
                        (_, Some(Scope::Header | Scope::Claim | Scope::Answer))
                            if !state.claim_emitted || state.scope == Some(Scope::Header) =>
                        {
                            state.message.push(key, &text);
                        }
                        _ => state.fields.push(key, &text),
                    }
                } else if name == b"RetourCode" && state.scope == Some(Scope::Line) {
                    state.fields.return_codes.push(text.trim().to_string());
                }
                if let Some((standard, message_kind)) = kind {
                    match name {
                        b"Header" => {
                            state.finish_header((standard, message_kind));
                            state.scope = None;
                        }
                        b"ToegewezenProduct" => {
                            state.finish_assignment();
                            state.scope = None;
                        }
                        b"StartProduct" => {
                            state.finish_event(false);
                            state.scope = None;
                        }
                        b"StopProduct" => {
                            state.finish_event(true);
                            state.scope = None;
                        }
                        b"Prestatie" => {
                            if message_kind == MessageKind::ClaimAnswer {
                                state.finish_rejected_line();
                                state.scope = Some(Scope::Answer);
                            } else {
                                state.finish_line();
                                state.scope = Some(Scope::Claim);
                            }
                        }
                        b"Declaratie" => {
                            state.emit_claim();
                            if let Some(claim) = &state.claim {
                                if claim.total_cents != Some(state.lines_total) {
                                    let (total, lines) = (claim.total_cents.unwrap_or(0), state.lines_total);
                                    state.file_problem(
                                        at,
                                        "Declaratie/TotaalIngediendBedrag",
                                        "TR358",
                                        format!("Het totaal ({total} cent) is niet de som van de prestaties ({lines} cent, debet min credit)."),
                                    );
                                }
                            }
                            state.scope = None;
                        }
                        b"DeclaratieAntwoord" => {
                            state.emit_answer();
                            state.scope = None;
                        }
                        _ => {}
                    }
                }
                if let Some(start) = stack.pop() {
                    names.truncate(start);
                }
                text.clear();
            }
            Event::Empty(e) => {
                line += bytecount(e.attributes_raw().as_bytes());
                if stack.is_empty() {
                    let message = match root_namespace(&e).and_then(|ns| identify(&ns)) {
                        Ok(_) => "Het bericht is leeg.".to_string(),
                        Err(message) => message,
                    };
                    state.file_problem(at, "Bericht", "XSD", message);
                    kind = None;
                    break;
                }
            }
            Event::Text(t) => {
                let raw: &str = &t;
                line += line_breaks(raw.as_bytes());
                // Indentation between elements: every value is trimmed, so whitespace alone
                // reads as nothing, and needs no line endings normalised.
                if !raw.bytes().all(|b| b.is_ascii_whitespace()) {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => match r.xml10_content().as_ref() {
                        "amp" => Some("&".into()),
                        "lt" => Some("<".into()),
                        "gt" => Some(">".into()),
                        "quot" => Some("\"".into()),
                        "apos" => Some("'".into()),
                        _ => None,
                    },
                };
                match resolved {
                    Some(s) => text.push_str(&s),
                    None => {
                        state.file_problem(
                            at,
                            "bestand",
                            "XSD",
                            format!("Onbekende entiteit &{};.", r.xml10_content()),
                        );
                        break;
                    }
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                line += content.bytes().filter(|b| *b == b'\n').count() as u64;
                text.push_str(&content);
            }
            Event::Comment(c) => line += bytecount(c.xml10_content().as_bytes()),
            Event::Eof => {
                if !stack.is_empty() {
                    let open = String::from_utf8_lossy(&names[stack.last().copied().unwrap_or(0)..]).into_owned();
                    state.file_problem(
                        at,
                        &open,
                        "XSD",
                        format!("Het bestand houdt op midden in element {open}: afgebroken?"),
                    );
                } else if kind.is_none() {
                    state.file_problem(at, "bestand", "XSD", "Het bestand bevat geen bericht.".into());
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if kind.is_some() && state.summary.file_problems.is_empty() && state.header.is_none() {
        state.file_problem(
            Position { offset: 0, line: Some(1) },
            "Header",
            "XSD",
            "Het bericht heeft geen (geldige) header.".into(),
        );
    }
    state.summary
}

fn bytecount(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// Line breaks in text as XML counts them: LF, CR LF and a CR alone.
fn line_breaks(bytes: &[u8]) -> u64 {
    let lone_cr = bytes.iter().enumerate().filter(|&(i, b)| *b == b'\r' && bytes.get(i + 1) != Some(&b'\n')).count();
    bytecount(bytes) + lone_cr as u64
}

/// The namespace URI of the root element's prefix.
fn root_namespace(e: &quick_xml::events::BytesStart) -> Result<String, String> {
    let qname = e.name();
    let prefix = qname.prefix().map(|p| p.as_ref().as_bytes().to_vec());
    let wanted: Vec<u8> = match &prefix {
        Some(p) => [b"xmlns:".as_slice(), p].concat(),
        None => b"xmlns".to_vec(),
    };
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| format!("Ongeldig attribuut in het rootelement: {err}."))?;
        if attribute.key.as_ref().as_bytes() == wanted.as_slice() {
            return Ok(attribute.value.to_string());
        }
    }
    Err("Het rootelement heeft geen namespace; een iJw/iWmo-bericht heeft die wel.".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_are_read_as_the_schema_writes_them() {
        assert_eq!(parse_date(" 2026-04-01 "), Some(date!(2026 - 04 - 01)));
        assert_eq!(parse_date("2024-02-29"), Some(date!(2024 - 02 - 29)));
        for wrong in
            ["2025-02-29", "2026-4-01", "2026-04-01Z", "2026/04/01", "2026-13-01", "20a6-04-01", "", "2026-04-0\u{661}"]
        {
            assert_eq!(parse_date(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn line_breaks_count_every_convention() {
        assert_eq!(line_breaks(b"a\nb\r\nc\rd"), 3);
        assert_eq!(line_breaks(b"\r"), 1);
        assert_eq!(line_breaks(b"no breaks"), 0);
    }
}
