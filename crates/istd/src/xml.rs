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
use std::io::Read;
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

/// The fields of a record Samenspel keeps, named as in the problems it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    BerichtCode,
    BerichtVersie,
    BerichtSubversie,
    Afzender,
    Ontvanger,
    BerichtIdentificatieIdentificatie,
    BerichtIdentificatieDagtekening,
    Bsn,
    ToewijzingNummer,
    ProductOfAssignmentCategorie,
    ProductOfAssignmentCode,
    Toewijzingsdatum,
    Toewijzingstijd,
    Ingangsdatum,
    Einddatum,
    RedenWijziging,
    Budget,
    OmvangVolume,
    OmvangEenheid,
    OmvangFrequentie,
    Begindatum,
    RedenBeeindiging,
    StatusAanlevering,
    DeclaratieNummer,
    DeclaratiePeriodeBegindatum,
    DeclaratiePeriodeEinddatum,
    DeclaratieDagtekening,
    TotaalIngediendBedragTotaalBedrag,
    TotaalIngediendBedragDebetCredit,
    TotaalToegekendBedragTotaalBedrag,
    TotaalToegekendBedragDebetCredit,
    ReferentieNummer,
    VorigReferentieNummer,
    ProductCategorie,
    ProductCode,
    ProductPeriodeBegindatum,
    ProductPeriodeEinddatum,
    GeleverdVolume,
    Eenheid,
    ProductTarief,
    IngediendBedragBedrag,
    IngediendBedragDebetCredit,
}

const KEYS: usize = 42;

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::BerichtCode => "BerichtCode",
            Key::BerichtVersie => "BerichtVersie",
            Key::BerichtSubversie => "BerichtSubversie",
            Key::Afzender => "Afzender",
            Key::Ontvanger => "Ontvanger",
            Key::BerichtIdentificatieIdentificatie => "BerichtIdentificatie/Identificatie",
            Key::BerichtIdentificatieDagtekening => "BerichtIdentificatie/Dagtekening",
            Key::Bsn => "Bsn",
            Key::ToewijzingNummer => "ToewijzingNummer",
            Key::ProductOfAssignmentCategorie => "Product/Categorie",
            Key::ProductOfAssignmentCode => "Product/Code",
            Key::Toewijzingsdatum => "Toewijzingsdatum",
            Key::Toewijzingstijd => "Toewijzingstijd",
            Key::Ingangsdatum => "Ingangsdatum",
            Key::Einddatum => "Einddatum",
            Key::RedenWijziging => "RedenWijziging",
            Key::Budget => "Budget",
            Key::OmvangVolume => "Omvang/Volume",
            Key::OmvangEenheid => "Omvang/Eenheid",
            Key::OmvangFrequentie => "Omvang/Frequentie",
            Key::Begindatum => "Begindatum",
            Key::RedenBeeindiging => "RedenBeeindiging",
            Key::StatusAanlevering => "StatusAanlevering",
            Key::DeclaratieNummer => "DeclaratieNummer",
            Key::DeclaratiePeriodeBegindatum => "DeclaratiePeriode/Begindatum",
            Key::DeclaratiePeriodeEinddatum => "DeclaratiePeriode/Einddatum",
            Key::DeclaratieDagtekening => "DeclaratieDagtekening",
            Key::TotaalIngediendBedragTotaalBedrag => "TotaalIngediendBedrag/TotaalBedrag",
            Key::TotaalIngediendBedragDebetCredit => "TotaalIngediendBedrag/DebetCredit",
            Key::TotaalToegekendBedragTotaalBedrag => "TotaalToegekendBedrag/TotaalBedrag",
            Key::TotaalToegekendBedragDebetCredit => "TotaalToegekendBedrag/DebetCredit",
            Key::ReferentieNummer => "ReferentieNummer",
            Key::VorigReferentieNummer => "VorigReferentieNummer",
            Key::ProductCategorie => "ProductCategorie",
            Key::ProductCode => "ProductCode",
            Key::ProductPeriodeBegindatum => "ProductPeriode/Begindatum",
            Key::ProductPeriodeEinddatum => "ProductPeriode/Einddatum",
            Key::GeleverdVolume => "GeleverdVolume",
            Key::Eenheid => "Eenheid",
            Key::ProductTarief => "ProductTarief",
            Key::IngediendBedragBedrag => "IngediendBedrag/Bedrag",
            Key::IngediendBedragDebetCredit => "IngediendBedrag/DebetCredit",
        }
    }
}

/// The fields of the record being read, by key. The values share one buffer, so reading a
/// record does not allocate per element; a field given twice keeps its first value.
struct Fields {
    arena: String,
    values: [Option<(u32, u32)>; KEYS],
    return_codes: Vec<String>,
    start: Position,
}

impl Default for Fields {
    fn default() -> Fields {
        Fields { arena: String::new(), values: [None; KEYS], return_codes: Vec::new(), start: Position::default() }
    }
}

impl Fields {
    fn get(&self, key: Key) -> Option<&str> {
        let (start, end) = self.values[key as usize]?;
        self.arena.get(start as usize..end as usize)
    }

    fn push(&mut self, key: Key, value: &str) {
        let slot = &mut self.values[key as usize];
        if slot.is_none() {
            let start = self.arena.len();
            self.arena.push_str(value);
            // A record's fields are far below 4 GiB; a larger one is not kept.
            if let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(self.arena.len())) {
                *slot = Some((start, end));
            }
        }
    }

    fn clear(&mut self, start: Position) {
        self.arena.clear();
        self.values = [None; KEYS];
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

/// The elements the reader acts on, by local name; every other element is `Other`. Each
/// element's name is recognised once, when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Afzender,
    Bedrag,
    Begindatum,
    Bericht,
    BerichtCode,
    BerichtIdentificatie,
    BerichtSubversie,
    BerichtVersie,
    Bsn,
    Budget,
    Categorie,
    Client,
    Code,
    Dagtekening,
    DebetCredit,
    Declaratie,
    DeclaratieAntwoord,
    DeclaratieDagtekening,
    DeclaratieNummer,
    DeclaratiePeriode,
    Eenheid,
    Einddatum,
    Frequentie,
    GeleverdVolume,
    Header,
    Identificatie,
    Ingangsdatum,
    IngediendBedrag,
    Omvang,
    Ontvanger,
    Prestatie,
    Product,
    ProductCategorie,
    ProductCode,
    ProductPeriode,
    ProductReferentie,
    ProductTarief,
    RedenBeeindiging,
    RedenWijziging,
    ReferentieNummer,
    RetourCode,
    StartProduct,
    StatusAanlevering,
    StopProduct,
    ToegewezenProduct,
    ToewijzingNummer,
    Toewijzingsdatum,
    Toewijzingstijd,
    TotaalBedrag,
    TotaalIngediendBedrag,
    TotaalToegekendBedrag,
    Volume,
    VorigReferentieNummer,
    Other,
}

fn name_of(local: &[u8]) -> Name {
    match local {
        b"Afzender" => Name::Afzender,
        b"Bedrag" => Name::Bedrag,
        b"Begindatum" => Name::Begindatum,
        b"Bericht" => Name::Bericht,
        b"BerichtCode" => Name::BerichtCode,
        b"BerichtIdentificatie" => Name::BerichtIdentificatie,
        b"BerichtSubversie" => Name::BerichtSubversie,
        b"BerichtVersie" => Name::BerichtVersie,
        b"Bsn" => Name::Bsn,
        b"Budget" => Name::Budget,
        b"Categorie" => Name::Categorie,
        b"Client" => Name::Client,
        b"Code" => Name::Code,
        b"Dagtekening" => Name::Dagtekening,
        b"DebetCredit" => Name::DebetCredit,
        b"Declaratie" => Name::Declaratie,
        b"DeclaratieAntwoord" => Name::DeclaratieAntwoord,
        b"DeclaratieDagtekening" => Name::DeclaratieDagtekening,
        b"DeclaratieNummer" => Name::DeclaratieNummer,
        b"DeclaratiePeriode" => Name::DeclaratiePeriode,
        b"Eenheid" => Name::Eenheid,
        b"Einddatum" => Name::Einddatum,
        b"Frequentie" => Name::Frequentie,
        b"GeleverdVolume" => Name::GeleverdVolume,
        b"Header" => Name::Header,
        b"Identificatie" => Name::Identificatie,
        b"Ingangsdatum" => Name::Ingangsdatum,
        b"IngediendBedrag" => Name::IngediendBedrag,
        b"Omvang" => Name::Omvang,
        b"Ontvanger" => Name::Ontvanger,
        b"Prestatie" => Name::Prestatie,
        b"Product" => Name::Product,
        b"ProductCategorie" => Name::ProductCategorie,
        b"ProductCode" => Name::ProductCode,
        b"ProductPeriode" => Name::ProductPeriode,
        b"ProductReferentie" => Name::ProductReferentie,
        b"ProductTarief" => Name::ProductTarief,
        b"RedenBeeindiging" => Name::RedenBeeindiging,
        b"RedenWijziging" => Name::RedenWijziging,
        b"ReferentieNummer" => Name::ReferentieNummer,
        b"RetourCode" => Name::RetourCode,
        b"StartProduct" => Name::StartProduct,
        b"StatusAanlevering" => Name::StatusAanlevering,
        b"StopProduct" => Name::StopProduct,
        b"ToegewezenProduct" => Name::ToegewezenProduct,
        b"ToewijzingNummer" => Name::ToewijzingNummer,
        b"Toewijzingsdatum" => Name::Toewijzingsdatum,
        b"Toewijzingstijd" => Name::Toewijzingstijd,
        b"TotaalBedrag" => Name::TotaalBedrag,
        b"TotaalIngediendBedrag" => Name::TotaalIngediendBedrag,
        b"TotaalToegekendBedrag" => Name::TotaalToegekendBedrag,
        b"Volume" => Name::Volume,
        b"VorigReferentieNummer" => Name::VorigReferentieNummer,
        _ => Name::Other,
    }
}

/// The fields Samenspel keeps, by parent and local name.
fn field_key(parent: Name, name: Name) -> Option<Key> {
    use Name::*;
    Some(match (parent, name) {
        (Header, BerichtCode) => Key::BerichtCode,
        (Header, BerichtVersie) => Key::BerichtVersie,
        (Header, BerichtSubversie) => Key::BerichtSubversie,
        (Header, Afzender) => Key::Afzender,
        (Header, Ontvanger) => Key::Ontvanger,
        (BerichtIdentificatie, Identificatie) => Key::BerichtIdentificatieIdentificatie,
        (BerichtIdentificatie, Dagtekening) => Key::BerichtIdentificatieDagtekening,
        (Client, Bsn) => Key::Bsn,
        (ToegewezenProduct | StartProduct | StopProduct | Prestatie, ToewijzingNummer) => Key::ToewijzingNummer,
        (Product, Categorie) => Key::ProductOfAssignmentCategorie,
        (Product, Code) => Key::ProductOfAssignmentCode,
        (ToegewezenProduct, Toewijzingsdatum) => Key::Toewijzingsdatum,
        (ToegewezenProduct, Toewijzingstijd) => Key::Toewijzingstijd,
        (ToegewezenProduct, Ingangsdatum) => Key::Ingangsdatum,
        (ToegewezenProduct | StopProduct, Einddatum) => Key::Einddatum,
        (ToegewezenProduct, RedenWijziging) => Key::RedenWijziging,
        (ToegewezenProduct, Budget) => Key::Budget,
        (Omvang, Volume) => Key::OmvangVolume,
        (Omvang, Eenheid) => Key::OmvangEenheid,
        (Omvang, Frequentie) => Key::OmvangFrequentie,
        (StartProduct | StopProduct, Begindatum) => Key::Begindatum,
        (StopProduct, RedenBeeindiging) => Key::RedenBeeindiging,
        (StartProduct | StopProduct, StatusAanlevering) => Key::StatusAanlevering,
        (Declaratie | DeclaratieAntwoord, DeclaratieNummer) => Key::DeclaratieNummer,
        (DeclaratiePeriode, Begindatum) => Key::DeclaratiePeriodeBegindatum,
        (DeclaratiePeriode, Einddatum) => Key::DeclaratiePeriodeEinddatum,
        (Declaratie, DeclaratieDagtekening) => Key::DeclaratieDagtekening,
        (TotaalIngediendBedrag, TotaalBedrag) => Key::TotaalIngediendBedragTotaalBedrag,
        (TotaalIngediendBedrag, DebetCredit) => Key::TotaalIngediendBedragDebetCredit,
        (TotaalToegekendBedrag, TotaalBedrag) => Key::TotaalToegekendBedragTotaalBedrag,
        (TotaalToegekendBedrag, DebetCredit) => Key::TotaalToegekendBedragDebetCredit,
        (ProductReferentie, ReferentieNummer) => Key::ReferentieNummer,
        (ProductReferentie, VorigReferentieNummer) => Key::VorigReferentieNummer,
        (Prestatie, ProductCategorie) => Key::ProductCategorie,
        (Prestatie, ProductCode) => Key::ProductCode,
        (ProductPeriode, Begindatum) => Key::ProductPeriodeBegindatum,
        (ProductPeriode, Einddatum) => Key::ProductPeriodeEinddatum,
        (Prestatie, GeleverdVolume) => Key::GeleverdVolume,
        (Prestatie, Eenheid) => Key::Eenheid,
        (Prestatie, ProductTarief) => Key::ProductTarief,
        (IngediendBedrag, Bedrag) => Key::IngediendBedragBedrag,
        (IngediendBedrag, DebetCredit) => Key::IngediendBedragDebetCredit,
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

    fn required<'f>(&mut self, fields: &'f Fields, key: Key) -> Option<&'f str> {
        let value = fields.get(key).filter(|v| !v.trim().is_empty());
        if value.is_none() {
            self.fail(key.name(), "XSD", "Verplicht element ontbreekt of is leeg.");
        }
        value
    }

    fn date(&mut self, fields: &Fields, key: Key, required: bool) -> Option<Option<Date>> {
        match fields.get(key) {
            None if !required => Some(None),
            None => {
                self.fail(key.name(), "XSD", "Verplichte datum ontbreekt.");
                None
            }
            Some(v) => match parse_date(v) {
                Some(d) => Some(Some(d)),
                None => {
                    self.fail(
                        key.name(),
                        "XSD",
                        format!("'{}' is geen datum (JJJJ-MM-DD, zonder tijdzone).", v.trim()),
                    );
                    None
                }
            },
        }
    }

    fn integer(&mut self, fields: &Fields, key: Key, required: bool, max: i64) -> Option<Option<i64>> {
        match fields.get(key) {
            None if !required => Some(None),
            None => {
                self.fail(key.name(), "XSD", "Verplicht getal ontbreekt.");
                None
            }
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Some(Some(n)),
                _ => {
                    self.fail(
                        key.name(),
                        "XSD",
                        format!("'{}' is geen geheel getal van 0 tot en met {max}.", v.trim()),
                    );
                    None
                }
            },
        }
    }

    /// An amount with its DebetCredit, signed: credit negative.
    fn signed(&mut self, fields: &Fields, amount_key: Key, sign_key: Key, max: i64) -> Option<i64> {
        let amount = self.integer(fields, amount_key, true, max)??;
        match fields.get(sign_key).map(str::trim) {
            Some("D") => Some(amount),
            Some("C") => Some(-amount),
            other => {
                self.fail(sign_key.name(), "XSD", format!("DebetCredit is D of C, niet '{}'.", other.unwrap_or("")));
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
        let code = c.required(&f, Key::BerichtCode).map(str::trim).map(str::to_string);
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
        if f.get(Key::BerichtVersie).map(str::trim) != Some("3") {
            c.fail("BerichtVersie", "CS025", "Dit is geen bericht van release 3.2 (BerichtVersie moet 3 zijn).");
        }
        if f.get(Key::BerichtSubversie).map(str::trim) != Some("2") {
            c.fail("BerichtSubversie", "CS015", "Dit is geen bericht van release 3.2 (BerichtSubversie moet 2 zijn).");
        }
        let sender = c.required(&f, Key::Afzender).map(|s| s.trim().to_string());
        let receiver = c.required(&f, Key::Ontvanger).map(|s| s.trim().to_string());
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
        let id = c.required(&f, Key::BerichtIdentificatieIdentificatie).map(|s| s.trim().to_string());
        let day = c.date(&f, Key::BerichtIdentificatieDagtekening, true).flatten();
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
        let number = c.integer(f, Key::ToewijzingNummer, true, 999_999_999).flatten();
        let category = f.get(Key::ProductOfAssignmentCategorie).map(|s| s.trim().to_string());
        let code = f.get(Key::ProductOfAssignmentCode).map(|s| s.trim().to_string());
        let assigned_on = c.date(f, Key::Toewijzingsdatum, true).flatten();
        let assigned_at = c.required(f, Key::Toewijzingstijd).map(|s| s.trim().to_string());
        let starts_on = c.date(f, Key::Ingangsdatum, true).flatten();
        let ends_on = c.date(f, Key::Einddatum, false);
        let volume = c.integer(f, Key::OmvangVolume, false, 99_999_999);
        let budget = c.integer(f, Key::Budget, false, 99_999_999);
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
                change_reason: f.get(Key::RedenWijziging).map(|s| s.trim().to_string()),
                volume,
                unit: f.get(Key::OmvangEenheid).map(|s| s.trim().to_string()),
                frequency: f.get(Key::OmvangFrequentie).map(|s| s.trim().to_string()),
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
        let number = c.integer(f, Key::ToewijzingNummer, false, 999_999_999);
        let starts_on = c.date(f, Key::Begindatum, true).flatten();
        let ends_on = c.date(f, Key::Einddatum, stop);
        let status = c.required(f, Key::StatusAanlevering).map(|s| s.trim().to_string());
        if let (Some(number), Some(starts_on), Some(ends_on), Some(status)) = (number, starts_on, ends_on, status) {
            let event = CareEvent {
                client,
                stop,
                number,
                product: ProductRef {
                    category: f.get(Key::ProductOfAssignmentCategorie).map(|s| s.trim().to_string()),
                    code: f.get(Key::ProductOfAssignmentCode).map(|s| s.trim().to_string()),
                },
                starts_on,
                ends_on,
                reason: f.get(Key::RedenBeeindiging).map(|s| s.trim().to_string()),
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
        let number = c.required(&f, Key::DeclaratieNummer).map(|s| s.trim().to_string());
        let start = c.date(&f, Key::DeclaratiePeriodeBegindatum, true).flatten();
        let end = c.date(&f, Key::DeclaratiePeriodeEinddatum, true).flatten();
        let date = c.date(&f, Key::DeclaratieDagtekening, true).flatten();
        let total = c.signed(
            &f,
            Key::TotaalIngediendBedragTotaalBedrag,
            Key::TotaalIngediendBedragDebetCredit,
            999_999_999_999,
        );
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
            f,
            Key::IngediendBedragBedrag,
            Key::IngediendBedragDebetCredit,
            99_999_999,
        );
        self.lines_total = self.lines_total.saturating_add(amount.unwrap_or(0));
        let Some(client) = self.client_or_skip(at, "Prestatie") else { return };
        let mut problems = Vec::new();
        let mut c = Check::new("Prestatie", at, &mut problems);
        let reference = c.required(f, Key::ReferentieNummer).map(|s| s.trim().to_string());
        let number = c.integer(f, Key::ToewijzingNummer, true, 999_999_999).flatten();
        let category = c.required(f, Key::ProductCategorie).map(|s| s.trim().to_string());
        let start = c.date(f, Key::ProductPeriodeBegindatum, true).flatten();
        let end = c.date(f, Key::ProductPeriodeEinddatum, true).flatten();
        let volume = c.integer(f, Key::GeleverdVolume, true, 99_999_999).flatten();
        let unit = c.required(f, Key::Eenheid).map(|s| s.trim().to_string());
        let tariff = c.integer(f, Key::ProductTarief, false, 99_999_999);
        let amount = c.signed(f, Key::IngediendBedragBedrag, Key::IngediendBedragDebetCredit, 99_999_999);
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
                previous_reference: f.get(Key::VorigReferentieNummer).map(|s| s.trim().to_string()),
                assignment_number,
                category,
                code: f.get(Key::ProductCode).map(|s| s.trim().to_string()),
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
        let number = c.required(&f, Key::DeclaratieNummer).map(|s| s.trim().to_string());
        let submitted = c.signed(
            &f,
            Key::TotaalIngediendBedragTotaalBedrag,
            Key::TotaalIngediendBedragDebetCredit,
            999_999_999_999,
        );
        let granted = c.signed(
            &f,
            Key::TotaalToegekendBedragTotaalBedrag,
            Key::TotaalToegekendBedragDebetCredit,
            999_999_999_999,
        );
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
        let reference = c.required(f, Key::ReferentieNummer).map(|s| s.trim().to_string());
        let start = c.date(f, Key::ProductPeriodeBegindatum, true).flatten();
        let amount = c.signed(f, Key::IngediendBedragBedrag, Key::IngediendBedragDebetCredit, 99_999_999);
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

/// A UTF-8 byte order mark: dropped at the start of the input, a character (U+FEFF) elsewhere.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much a stream is read at a time. Constant memory: the buffer holds one chunk and the
/// event the previous chunk ended in.
const CHUNK: usize = 256 * 1024;

/// Reads a message from a stream, in constant memory: the stream is read in chunks and each
/// chunk parsed in place like [`read_bytes`], with the same records and problems.
pub fn read<R: Read>(input: R, pseudonymiser: &Pseudonymiser, sink: impl FnMut(Record, Position)) -> ReadSummary {
    read_in_chunks(input, CHUNK, pseudonymiser, sink)
}

/// [`read`] with a chosen chunk size, so that tests can end a chunk at every byte.
#[doc(hidden)]
pub fn read_in_chunks<R: Read>(
    mut input: R,
    chunk: usize,
    pseudonymiser: &Pseudonymiser,
    sink: impl FnMut(Record, Position),
) -> ReadSummary {
    let chunk = chunk.max(1);
    let mut walk = Walk::new(pseudonymiser, sink);
    // `buf[..len]` is the input from `base` on; the rest is room, zeroed once.
    let mut buf = vec![0u8; chunk];
    let mut len = 0;
    let mut base: u64 = 0;
    let mut at_end = false;
    loop {
        // What the last chunk ended in, and a chunk more (or the rest of the input).
        let wanted = len + chunk;
        if buf.len() < wanted {
            buf.resize(wanted, 0);
        }
        while len < wanted && !at_end {
            match input.read(&mut buf[len..wanted]) {
                Ok(0) => at_end = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let offset = base + len as u64;
                    let at = Position { offset, line: Some(walk.lines.line_at(&buf[..len], base, offset)) };
                    walk.state.file_problem(at, "bestand", "XSD", format!("Het bestand kon niet worden gelezen: {e}."));
                    return walk.finish();
                }
            }
        }
        match walk.chunk(&buf[..len], base, at_end) {
            Step::Done => return walk.finish(),
            Step::CarryFrom(index) => {
                buf.copy_within(index..len, 0);
                len -= index;
                base += index as u64;
            }
        }
    }
}

/// Reads a message held in memory (an upload, a file read whole): the same records and
/// problems as [`read`], parsed in place without copying the input.
pub fn read_bytes(input: &[u8], pseudonymiser: &Pseudonymiser, sink: impl FnMut(Record, Position)) -> ReadSummary {
    let mut walk = Walk::new(pseudonymiser, sink);
    walk.chunk(input, 0, true);
    walk.finish()
}

/// What reading a chunk left to do.
enum Step {
    /// The message was read to its end, or reading stopped at a problem.
    Done,
    /// The chunk ended inside the event at this index: read it again with more input.
    CarryFrom(usize),
}

/// One message's reading: the records being built, the open elements and the line.
struct Walk<'p, F: FnMut(Record, Position)> {
    state: State<'p, F>,
    /// The open elements' qualified names, one after another in `names`, each starting at its
    /// offset in `stack`, and recognised by local name in `ids`.
    names: Vec<u8>,
    stack: Vec<usize>,
    ids: Vec<Name>,
    /// The text of the element being read.
    text: String,
    lines: Lines,
    kind: Option<(Standard, MessageKind)>,
}

impl<'p, F: FnMut(Record, Position)> Walk<'p, F> {
    fn new(pseudonymiser: &'p Pseudonymiser, sink: F) -> Self {
        Walk {
            state: State {
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
            },
            names: Vec::new(),
            stack: Vec::new(),
            ids: Vec::new(),
            text: String::new(),
            lines: Lines::default(),
            kind: None,
        }
    }

    /// Parses the events of `buf`, whose first byte is at `base` in the input. Unless the
    /// input ends with `buf` (`last`), an event that runs to the end of `buf` may go on in the
    /// next chunk: it is not handled here but carried over, whether it parsed or not.
    fn chunk(&mut self, buf: &[u8], base: u64, last: bool) -> Step {
        // The input's byte order mark is skipped here, not by quick-xml, which would also skip
        // U+FEFF at the start of a later chunk (text there), and counts no offset for it.
        let skipped = if base == 0 && buf.starts_with(BOM) { BOM.len() } else { 0 };
        let mut start = skipped;
        while buf[start..].starts_with(BOM) {
            start += BOM.len();
        }
        // Text that starts with U+FEFF: handed on with the event that follows it.
        let mut leading_text = (start > skipped).then(|| &buf[skipped..start]);
        let mut reader = Reader::from_reader(&buf[start..]);
        let config = reader.config_mut();
        config.trim_text(false);
        // Elements are matched here, since a chunk's reader does not see the elements opened
        // in the chunks before.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        let offset_of = |position: u64| base + start as u64 + position;
        loop {
            let before = reader.buffer_position();
            let result = reader.read_event();
            let after = reader.buffer_position();
            // An error just before the end may want a byte the chunk does not have yet
            // (`<` or `<!` as its last bytes fail before reaching it).
            let ended = start + after as usize == buf.len();
            let short = result.is_err() && buf.len() - (start + before as usize) < 3;
            if !last && (ended || short) {
                let from = if before == 0 { skipped } else { start + before as usize };
                // The bytes before `from` go: count their lines now.
                self.lines.line_at(buf, base, base + from as u64);
                return Step::CarryFrom(from);
            }
            // Text after leading U+FEFF starts with it; markup and references after it start
            // where the reader found them.
            let continues_text = before == 0 && leading_text.is_some() && !matches!(buf.get(start), Some(b'<' | b'&'));
            let at_offset = if continues_text { base + skipped as u64 } else { offset_of(before) };
            let event = match result {
                Ok(event) => event,
                Err(quick_xml::Error::Encoding(quick_xml::encoding::EncodingError::Utf8(e))) => {
                    // The byte itself: quick-xml counts from the start of the event it read,
                    // which for text after U+FEFF at a chunk's start is not where it starts.
                    let offset = offset_of(before) + e.valid_up_to() as u64;
                    let at = Position { offset, line: Some(self.lines.line_at(buf, base, offset)) };
                    let message =
                        format!("Het bestand is geen geldige UTF-8: bij byte {offset} staat geen geldig teken.");
                    self.state.file_problem(at, "bestand", "XSD", message);
                    return Step::Done;
                }
                Err(e) => {
                    // At the event's start: quick-xml's own error position is not kept for
                    // every kind of error.
                    let at = Position { offset: at_offset, line: Some(self.lines.line_at(buf, base, at_offset)) };
                    self.state.file_problem(at, "bestand", "XSD", format!("Het bestand is geen geldige XML: {e}."));
                    return Step::Done;
                }
            };
            let event = match (leading_text.take(), event) {
                (None, event) => event,
                // Only U+FEFF and valid UTF-8 after it: the text was checked when it was read.
                (Some(bom), Event::Text(t)) => {
                    let joined = [std::str::from_utf8(bom).unwrap_or_default(), &t].concat();
                    Event::Text(quick_xml::events::BytesText::from_escaped(joined))
                }
                (Some(bom), event) => {
                    let bom_text =
                        quick_xml::events::BytesText::from_escaped(std::str::from_utf8(bom).unwrap_or_default());
                    if !self.event(Event::Text(bom_text), base + skipped as u64, buf, base) {
                        return Step::Done;
                    }
                    event
                }
            };
            if !self.event(event, at_offset, buf, base) {
                return Step::Done;
            }
        }
    }

    fn finish(mut self) -> ReadSummary {
        if self.kind.is_some() && self.state.summary.file_problems.is_empty() && self.state.header.is_none() {
            self.state.file_problem(
                Position { offset: 0, line: Some(1) },
                "Header",
                "XSD",
                "Het bericht heeft geen (geldige) header.".into(),
            );
        }
        self.state.summary
    }

    /// Handles one event that starts at `offset` in `buf` (which starts at `base`); false when
    /// reading stops there.
    fn event(&mut self, event: Event<'_>, offset: u64, buf: &[u8], base: u64) -> bool {
        let lines = &mut self.lines;
        // Lines are counted only for the positions that are kept.
        let mut at = || Position { offset, line: Some(lines.line_at(buf, base, offset)) };
        let state = &mut self.state;
        match event {
            Event::Start(e) => {
                let qname = e.name();
                let id = name_of(local_name(qname.as_ref().as_bytes()));
                if self.stack.is_empty() {
                    match root_namespace(&e).and_then(|ns| identify(&ns)) {
                        Ok(k) if id == Name::Bericht => self.kind = Some(k),
                        Ok(_) => {
                            state.file_problem(at(), "Bericht", "XSD", "Het rootelement heet Bericht.".into());
                            return false;
                        }
                        Err(message) => {
                            state.file_problem(at(), "Bericht", "XSD", message);
                            return false;
                        }
                    }
                }
                let Some((_, message_kind)) = self.kind else { return false };
                match (id, state.scope) {
                    (Name::Header, None) => {
                        state.scope = Some(Scope::Header);
                        state.message.clear(at());
                    }
                    (Name::Client, _) => {
                        if message_kind == MessageKind::Claim {
                            state.emit_claim();
                        } else if message_kind == MessageKind::ClaimAnswer {
                            state.emit_answer();
                        }
                        state.client = None;
                        state.client_valid = false;
                    }
                    (Name::ToegewezenProduct, _) => {
                        state.scope = Some(Scope::Assignment);
                        state.fields.clear(at());
                    }
                    (Name::StartProduct | Name::StopProduct, _) => {
                        state.scope = Some(Scope::Event);
                        state.fields.clear(at());
                    }
                    (Name::Declaratie, _) => {
                        state.scope = Some(Scope::Claim);
                        state.message.clear(at());
                    }
                    (Name::DeclaratieAntwoord, _) => {
                        state.scope = Some(Scope::Answer);
                        state.message.clear(at());
                    }
                    (Name::Prestatie, _) => {
                        state.scope = Some(Scope::Line);
                        state.fields.clear(at());
                    }
                    _ => {}
                }
                self.stack.push(self.names.len());
                self.names.extend_from_slice(qname.as_ref().as_bytes());
                self.ids.push(id);
                self.text.clear();
            }
            Event::End(e) => {
                let open = self.stack.last().map(|&start| &self.names[start..]);
                let closed = e.name();
                if open != Some(closed.as_ref().as_bytes()) {
                    use quick_xml::errors::{Error, IllFormedError};
                    let found = closed.as_ref().to_string();
                    let error = match open {
                        Some(open) => IllFormedError::MismatchedEndTag {
                            expected: String::from_utf8_lossy(open).into_owned(),
                            found,
                        },
                        None => IllFormedError::UnmatchedEndTag(found),
                    };
                    let message = format!("Het bestand is geen geldige XML: {}.", Error::IllFormed(error));
                    state.file_problem(at(), "bestand", "XSD", message);
                    return false;
                }
                let name = self.ids.last().copied().unwrap_or(Name::Other);
                let parent = match self.ids.len() {
                    n if n >= 2 => self.ids[n - 2],
                    _ => Name::Other,
                };
                let text = &self.text;
                if let Some(key) = field_key(parent, name) {
                    match (key, state.scope) {
                        (Key::Bsn, _) => state.client_bsn(text),
                        (_, Some(Scope::Header | Scope::Claim | Scope::Answer))
                            if !state.claim_emitted || state.scope == Some(Scope::Header) =>
                        {
                            state.message.push(key, text);
                        }
                        _ => state.fields.push(key, text),
                    }
                } else if name == Name::RetourCode && state.scope == Some(Scope::Line) {
                    state.fields.return_codes.push(text.trim().to_string());
                }
                if let Some((standard, message_kind)) = self.kind {
                    match name {
                        Name::Header => {
                            state.finish_header((standard, message_kind));
                            state.scope = None;
                        }
                        Name::ToegewezenProduct => {
                            state.finish_assignment();
                            state.scope = None;
                        }
                        Name::StartProduct => {
                            state.finish_event(false);
                            state.scope = None;
                        }
                        Name::StopProduct => {
                            state.finish_event(true);
                            state.scope = None;
                        }
                        Name::Prestatie => {
                            if message_kind == MessageKind::ClaimAnswer {
                                state.finish_rejected_line();
                                state.scope = Some(Scope::Answer);
                            } else {
                                state.finish_line();
                                state.scope = Some(Scope::Claim);
                            }
                        }
                        Name::Declaratie => {
                            state.emit_claim();
                            if let Some(claim) = &state.claim {
                                if claim.total_cents != Some(state.lines_total) {
                                    let (total, lines) = (claim.total_cents.unwrap_or(0), state.lines_total);
                                    state.file_problem(
                                        at(),
                                        "Declaratie/TotaalIngediendBedrag",
                                        "TR358",
                                        format!("Het totaal ({total} cent) is niet de som van de prestaties ({lines} cent, debet min credit)."),
                                    );
                                }
                            }
                            state.scope = None;
                        }
                        Name::DeclaratieAntwoord => {
                            state.emit_answer();
                            state.scope = None;
                        }
                        _ => {}
                    }
                }
                if let Some(start) = self.stack.pop() {
                    self.names.truncate(start);
                }
                self.ids.pop();
                self.text.clear();
            }
            Event::Empty(e) => {
                if self.stack.is_empty() {
                    let message = match root_namespace(&e).and_then(|ns| identify(&ns)) {
                        Ok(_) => "Het bericht is leeg.".to_string(),
                        Err(message) => message,
                    };
                    state.file_problem(at(), "Bericht", "XSD", message);
                    self.kind = None;
                    return false;
                }
            }
            Event::Text(t) => {
                // Indentation between elements: every value is trimmed, so whitespace alone
                // reads as nothing, and needs no line endings normalised.
                if !t.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                    self.text.push_str(&t.xml10_content());
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
                    Some(s) => self.text.push_str(&s),
                    None => {
                        state.file_problem(
                            at(),
                            "bestand",
                            "XSD",
                            format!("Onbekende entiteit &{};.", r.xml10_content()),
                        );
                        return false;
                    }
                }
            }
            Event::CData(c) => {
                self.text.push_str(&c.xml10_content());
            }
            Event::Comment(_) => {}
            Event::Eof => {
                if let Some(&start) = self.stack.last() {
                    let open = String::from_utf8_lossy(&self.names[start..]).into_owned();
                    let open = open.rsplit(':').next().unwrap_or_default().to_string();
                    state.file_problem(
                        at(),
                        &open,
                        "XSD",
                        format!("Het bestand houdt op midden in element {open}: afgebroken?"),
                    );
                } else if self.kind.is_none() {
                    state.file_problem(at(), "bestand", "XSD", "Het bestand bevat geen bericht.".into());
                }
                return false;
            }
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        true
    }
}

/// The part of a qualified name after its prefix.
fn local_name(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(colon) => &qname[colon + 1..],
        None => qname,
    }
}

/// Line numbers as XML counts them (LF, CR LF and a CR alone each end a line), counted in the
/// input up to an offset when a position is kept rather than event by event.
#[derive(Default)]
struct Lines {
    counted_to: u64,
    breaks: u64,
    after_cr: bool,
}

impl Lines {
    /// The line `offset` is on. `buf` holds the input from `base` on, including every byte
    /// from the last offset asked for up to this one (offsets are asked for in order).
    fn line_at(&mut self, buf: &[u8], base: u64, offset: u64) -> u64 {
        let from = self.counted_to.saturating_sub(base) as usize;
        let to = (offset.saturating_sub(base) as usize).min(buf.len());
        if from < to {
            let span = &buf[from..to];
            self.breaks += line_breaks(span, self.after_cr);
            self.after_cr = span.last() == Some(&b'\r');
            self.counted_to = base + to as u64;
        }
        self.breaks + 1
    }
}

/// The line breaks in `span`; `after_cr` when the byte before it was a CR (so an LF first
/// ends no new line).
fn line_breaks(span: &[u8], after_cr: bool) -> u64 {
    // Counted with SIMD; most input has no CR at all.
    let lf = memchr::memchr_iter(b'\n', span).count() as u64;
    if !(span.contains(&b'\r') || (after_cr && span.first() == Some(&b'\n'))) {
        return lf;
    }
    let mut previous_cr = after_cr;
    let mut breaks = 0;
    for &b in span {
        if b == b'\r' || (b == b'\n' && !previous_cr) {
            breaks += 1;
        }
        previous_cr = b == b'\r';
    }
    breaks
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
        assert_eq!(line_breaks(b"a\nb\r\nc\rd", false), 3);
        assert_eq!(line_breaks(b"\r", false), 1);
        assert_eq!(line_breaks(b"no breaks", false), 0);
        assert_eq!(line_breaks(b"\n\t\t  \r\n\r", false), 3);
        // A CR LF split over two spans is one break.
        assert_eq!(line_breaks(b"\nx", true), 0);
        assert_eq!(line_breaks(b"\nx", false), 1);
        let text = b"a\r\nb\rc\n\r\r\nd";
        for cut in 0..=text.len() {
            let mut lines = Lines::default();
            lines.line_at(text, 0, cut as u64);
            assert_eq!(lines.line_at(text, 0, text.len() as u64), 6, "cut at {cut}");
        }
    }
}
