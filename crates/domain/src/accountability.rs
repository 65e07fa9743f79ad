//! Accountability requests (verantwoordingsverzoeken): what the region asks every provider once,
//! for all members together, and the submissions that answer them.
//!
//! A request lists its figures. A figure is asked per member (each member the provider serves
//! under its contracts gets its own value) or once for the provider as a whole (a quality
//! narrative, say). A submission arrives as a form, a CSV file or a JSON document; all three
//! become the same [`Submitted`] values and pass the same checks, so a provider gets the same
//! answer whichever way it sends. The formats are documented in `docs/aanbieders.md`.

use crate::figures::parse_count;
use crate::money::Cents;
use crate::nl::group_thousands;
use crate::validation::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a request is about; the region sets the hours a submission of each kind costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RequestKind {
    #[serde(rename = "productie")]
    Production,
    #[serde(rename = "kwaliteit")]
    Quality,
    #[serde(rename = "wachttijden")]
    WaitingTimes,
    #[serde(rename = "overig")]
    Other,
}

impl RequestKind {
    pub const ALL: [RequestKind; 4] =
        [RequestKind::Production, RequestKind::Quality, RequestKind::WaitingTimes, RequestKind::Other];

    pub fn code(self) -> &'static str {
        match self {
            RequestKind::Production => "productie",
            RequestKind::Quality => "kwaliteit",
            RequestKind::WaitingTimes => "wachttijden",
            RequestKind::Other => "overig",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Production => "Productieverantwoording",
            RequestKind::Quality => "Kwaliteitsrapportage",
            RequestKind::WaitingTimes => "Wachtlijst en wachttijden",
            RequestKind::Other => "Overige uitvraag",
        }
    }

    /// Hours a provider spends on one submission of this kind, until the region sets its own
    /// figure. Shown as an assumption, never as a measurement.
    pub fn default_hours(self) -> u32 {
        match self {
            RequestKind::Production => 16,
            RequestKind::Quality => 24,
            RequestKind::WaitingTimes => 2,
            RequestKind::Other => 4,
        }
    }

    pub fn parse(s: &str) -> Result<RequestKind, FieldError> {
        RequestKind::ALL.into_iter().find(|k| k.code() == s.trim()).ok_or_else(|| {
            FieldError::new("", "enum", "Kies productie, kwaliteit, wachttijden of overig als soort uitvraag.")
        })
    }
}

/// How often a request comes back in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Frequency {
    #[serde(rename = "jaarlijks")]
    Yearly,
    #[serde(rename = "kwartaal")]
    Quarterly,
    #[serde(rename = "eenmalig")]
    Once,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Yearly, Frequency::Quarterly, Frequency::Once];

    pub fn code(self) -> &'static str {
        match self {
            Frequency::Yearly => "jaarlijks",
            Frequency::Quarterly => "kwartaal",
            Frequency::Once => "eenmalig",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Frequency::Yearly => "Jaarlijks",
            Frequency::Quarterly => "Elk kwartaal",
            Frequency::Once => "Eenmalig",
        }
    }

    /// Submissions a year, for the burden estimate.
    pub fn per_year(self) -> u32 {
        match self {
            Frequency::Yearly | Frequency::Once => 1,
            Frequency::Quarterly => 4,
        }
    }

    pub fn parse(s: &str) -> Result<Frequency, FieldError> {
        Frequency::ALL
            .into_iter()
            .find(|f| f.code() == s.trim())
            .ok_or_else(|| FieldError::new("", "enum", "Kies jaarlijks, kwartaal of eenmalig."))
    }
}

/// What a figure holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// A whole number of zero or more.
    #[serde(rename = "aantal")]
    Count,
    /// Euros with cents.
    #[serde(rename = "bedrag")]
    Amount,
    /// A number with at most two decimals (days, a percentage).
    #[serde(rename = "getal")]
    Decimal,
    /// Free text, up to [`MAX_TEXT`] characters.
    #[serde(rename = "tekst")]
    Text,
}

pub const MAX_TEXT: usize = 4000;

impl Unit {
    pub const ALL: [Unit; 4] = [Unit::Count, Unit::Amount, Unit::Decimal, Unit::Text];

    pub fn code(self) -> &'static str {
        match self {
            Unit::Count => "aantal",
            Unit::Amount => "bedrag",
            Unit::Decimal => "getal",
            Unit::Text => "tekst",
        }
    }

    pub fn parse(s: &str) -> Result<Unit, FieldError> {
        Unit::ALL.into_iter().find(|u| u.code() == s.trim().to_lowercase()).ok_or_else(|| {
            FieldError::new("", "enum", format!("'{}' is geen eenheid; kies aantal, bedrag, getal of tekst.", s.trim()))
        })
    }
}

/// Whether a figure is given per member or once for the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "gemeente")]
    PerMember,
    #[serde(rename = "aanbieder")]
    Provider,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::PerMember => "gemeente",
            Scope::Provider => "aanbieder",
        }
    }

    pub fn parse(s: &str) -> Result<Scope, FieldError> {
        match s.trim().to_lowercase().as_str() {
            "gemeente" => Ok(Scope::PerMember),
            "aanbieder" => Ok(Scope::Provider),
            other => Err(FieldError::new("", "enum", format!("'{other}' is geen niveau; kies gemeente of aanbieder."))),
        }
    }
}

/// One figure a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// Stable key, used in files: lowercase letters, digits and underscores.
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub scope: Scope,
}

pub const MAX_FIELDS: usize = 40;

fn check_key(key: &str) -> Result<String, FieldError> {
    let k = key.trim();
    let ok = (1..=40).contains(&k.len())
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(k.to_string())
    } else {
        Err(FieldError::new(
            "",
            "pattern",
            format!("'{k}' is geen geldige sleutel: begin met een kleine letter, gebruik kleine letters, cijfers en _ (hoogstens 40)."),
        ))
    }
}

/// Checks a list of figures: keys unique and well formed, labels present, at least one figure.
pub fn check_fields(fields: &[FieldSpec]) -> Result<(), Invalid> {
    let mut invalid = Invalid::new();
    if fields.is_empty() {
        invalid.push("velden", "required", "Vraag minstens één cijfer of tekst.");
    }
    if fields.len() > MAX_FIELDS {
        invalid.push("velden", "length", format!("Vraag hoogstens {MAX_FIELDS} cijfers in één verzoek."));
    }
    let mut seen = BTreeSet::new();
    for (i, f) in fields.iter().enumerate() {
        if let Err(e) = check_key(&f.key) {
            invalid.push("velden", &e.code, format!("Veld {}: {}", i + 1, e.reason));
        }
        if !seen.insert(f.key.as_str()) {
            invalid.push("velden", "duplicate", format!("Veld {}: de sleutel '{}' komt twee keer voor.", i + 1, f.key));
        }
        let label_len = f.label.trim().chars().count();
        if label_len == 0 || label_len > 200 {
            invalid.push("velden", "length", format!("Veld {}: geef een omschrijving van 1 tot 200 tekens.", i + 1));
        }
    }
    invalid.finish(|| ())
}

/// Parses the figures as the region types them on the page, one per line:
/// `sleutel; omschrijving; eenheid; niveau` (for example
/// `clienten; Cliënten in zorg op 31 december; aantal; gemeente`).
pub fn parse_field_lines(text: &str) -> Result<Vec<FieldSpec>, Invalid> {
    let mut fields = Vec::new();
    let mut invalid = Invalid::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split(';').map(str::trim).collect();
        if parts.len() != 4 {
            invalid.push(
                "velden",
                "pattern",
                format!(
                    "Regel {}: schrijf sleutel; omschrijving; eenheid; niveau (vier delen, gescheiden door ;).",
                    n + 1
                ),
            );
            continue;
        }
        if let Err(e) = check_key(parts[0]) {
            invalid.push("velden", &e.code, format!("Regel {}: {}", n + 1, e.reason));
        }
        let unit = Unit::parse(parts[2]);
        let scope = Scope::parse(parts[3]);
        match (unit, scope) {
            (Ok(unit), Ok(scope)) => {
                fields.push(FieldSpec { key: parts[0].to_string(), label: parts[1].to_string(), unit, scope })
            }
            (unit, scope) => {
                for e in [unit.err(), scope.err()].into_iter().flatten() {
                    invalid.push("velden", &e.code, format!("Regel {}: {}", n + 1, e.reason));
                }
            }
        }
    }
    if invalid.is_empty() {
        check_fields(&fields)?;
    }
    invalid.finish(|| fields)
}

/// The figures as lines for the edit form, the inverse of [`parse_field_lines`].
pub fn field_lines(fields: &[FieldSpec]) -> String {
    fields.iter().map(|f| format!("{}; {}; {}; {}\n", f.key, f.label, f.unit.code(), f.scope.code())).collect()
}

/// A value as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Count(i64),
    Amount(Cents),
    /// Hundredths.
    Decimal(i64),
    Text(String),
}

impl Value {
    /// Parses a value as people type it in a form or a CSV cell: Dutch notation first.
    pub fn parse(unit: Unit, input: &str) -> Result<Value, FieldError> {
        match unit {
            Unit::Count => parse_count(input).map(Value::Count),
            Unit::Amount => Cents::parse(input).map(Value::Amount),
            Unit::Decimal => Cents::parse(input).map(|c| Value::Decimal(c.0)).map_err(|_| {
                FieldError::new("", "pattern", format!("'{}' is geen getal; schrijf bijvoorbeeld 12,5.", input.trim()))
            }),
            Unit::Text => parse_text(input).map(Value::Text),
        }
    }

    /// A JSON value: numbers use a decimal point, strings Dutch notation as in a form.
    pub fn from_json(unit: Unit, value: &serde_json::Value) -> Result<Value, FieldError> {
        match (unit, value) {
            (Unit::Text, serde_json::Value::String(s)) => parse_text(s).map(Value::Text),
            (Unit::Text, _) => Err(FieldError::new("", "type", "Geef hier tekst (tussen aanhalingstekens).")),
            (_, serde_json::Value::String(s)) => Value::parse(unit, s),
            (Unit::Count, serde_json::Value::Number(n)) => match n.as_i64() {
                Some(v) if v >= 0 => Ok(Value::Count(v)),
                _ => Err(FieldError::new("", "pattern", format!("{n} is geen geheel aantal van nul of meer."))),
            },
            (_, serde_json::Value::Number(n)) => {
                let hundredths = json_hundredths(n).ok_or_else(|| {
                    FieldError::new("", "pattern", format!("{n} heeft meer dan twee decimalen of is te groot."))
                })?;
                Ok(if unit == Unit::Amount { Value::Amount(Cents(hundredths)) } else { Value::Decimal(hundredths) })
            }
            _ => Err(FieldError::new("", "type", "Geef hier een getal.")),
        }
    }

    /// Dutch notation for people.
    pub fn display(&self) -> String {
        match self {
            Value::Count(n) => group_thousands(n.unsigned_abs()),
            Value::Amount(c) => c.to_string(),
            Value::Decimal(h) => decimal_text(*h, true),
            Value::Text(t) => t.clone(),
        }
    }

    /// As stored and exported: decimal comma, no grouping, so it reads back with [`Value::parse`].
    pub fn plain(&self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Amount(c) => c.plain(),
            Value::Decimal(h) => decimal_text(*h, false),
            Value::Text(t) => t.clone(),
        }
    }
}

fn decimal_text(hundredths: i64, group: bool) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.unsigned_abs();
    let whole = if group { group_thousands(abs / 100) } else { (abs / 100).to_string() };
    match abs % 100 {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole},{}", f / 10),
        f => format!("{sign}{whole},{f:02}"),
    }
}

/// Exact hundredths of a JSON number, from its shortest decimal text; `None` beyond two
/// decimals or out of range.
fn json_hundredths(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return i.checked_mul(100);
    }
    let text = n.to_string();
    if text.contains(['e', 'E']) {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 2 || whole.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<i64>().ok()?;
    let total = whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -total } else { total })
}

fn parse_text(input: &str) -> Result<String, FieldError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(FieldError::new("", "required", "Dit veld is verplicht."));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(FieldError::new("", "length", format!("Gebruik hoogstens {MAX_TEXT} tekens.")));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new("", "pattern", "Gebruik geen stuurtekens."));
    }
    Ok(t.replace("\r\n", "\n"))
}

/// Where a value belongs: a member's municipality code, or `None` for the provider as a whole.
pub type ValueKey = (Option<String>, String);

/// A complete, checked submission.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Submitted {
    pub values: BTreeMap<ValueKey, Value>,
}

impl Submitted {
    /// The part one member sees: its own values and those of the provider as a whole.
    pub fn part_for(&self, municipality: &str) -> Vec<(&ValueKey, &Value)> {
        self.values.iter().filter(|((m, _), _)| m.as_deref().is_none_or(|m| m == municipality)).collect()
    }
}

/// One thing wrong with a submission: where (line of a CSV file, member, figure), the rule and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionProblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(rename = "gemeentecode", skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    #[serde(rename = "veld", skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(rename = "regel")]
    pub rule: &'static str,
    #[serde(rename = "melding")]
    pub message: String,
}

impl std::fmt::Display for SubmissionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "regel {line}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The format a file arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "formulier")]
    Form,
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "json")]
    Json,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Form => "formulier",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// JSON when the content starts with `{`, else CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            Format::Json
        } else {
            Format::Csv
        }
    }
}

/// Collects values, then checks the whole against the request and the members served.
struct Collector<'a> {
    fields: &'a [FieldSpec],
    served: &'a BTreeSet<String>,
    values: BTreeMap<ValueKey, (Option<usize>, Value)>,
    problems: Vec<SubmissionProblem>,
}

impl<'a> Collector<'a> {
    fn new(fields: &'a [FieldSpec], served: &'a BTreeSet<String>) -> Self {
        Collector { fields, served, values: BTreeMap::new(), problems: Vec::new() }
    }

    fn problem(&mut self, line: Option<usize>, m: Option<&str>, f: Option<&str>, rule: &'static str, message: String) {
        self.problems.push(SubmissionProblem {
            line,
            municipality: m.map(str::to_string),
            field: f.map(str::to_string),
            rule,
            message,
        });
    }

    /// Finds the figure and checks that the value is given at its level and for a member served.
    fn spec(&mut self, line: Option<usize>, municipality: Option<&str>, key: &str) -> Option<&'a FieldSpec> {
        let Some(spec) = self.fields.iter().find(|f| f.key == key) else {
            let known: Vec<&str> = self.fields.iter().map(|f| f.key.as_str()).collect();
            self.problem(
                line,
                municipality,
                Some(key),
                "onbekend-veld",
                format!("Dit verzoek vraagt geen '{key}'; de velden zijn {}.", known.join(", ")),
            );
            return None;
        };
        match (spec.scope, municipality) {
            (Scope::Provider, Some(m)) => {
                self.problem(
                    line,
                    Some(m),
                    Some(key),
                    "verkeerd-niveau",
                    format!("'{key}' geldt voor de aanbieder als geheel; laat de gemeentecode leeg."),
                );
                None
            }
            (Scope::PerMember, None) => {
                self.problem(
                    line,
                    None,
                    Some(key),
                    "verkeerd-niveau",
                    format!("'{key}' vraagt een waarde per gemeente; geef de gemeentecode."),
                );
                None
            }
            (Scope::PerMember, Some(m)) if !self.served.contains(m) => {
                self.problem(
                    line,
                    Some(m),
                    Some(key),
                    "geen-contract",
                    format!(
                        "U levert in deze regio onder uw contracten geen zorg aan {m}; geef alleen cijfers voor {}.",
                        self.served.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
                None
            }
            _ => Some(spec),
        }
    }

    fn add(&mut self, line: Option<usize>, municipality: Option<&str>, key: &str, parsed: Result<Value, FieldError>) {
        let Some(spec) = self.spec(line, municipality, key) else { return };
        let value = match parsed {
            Ok(v) => v,
            Err(e) => {
                let message = format!("{}: {}", spec.label, e.reason);
                self.problem(line, municipality, Some(key), "waarde", message);
                return;
            }
        };
        let at = (municipality.map(str::to_string), key.to_string());
        if let Some((first, _)) = self.values.get(&at) {
            let earlier = first.map(|l| format!(" (eerder op regel {l})")).unwrap_or_default();
            let whom = municipality.map(|m| format!(" voor {m}")).unwrap_or_default();
            self.problem(
                line,
                municipality,
                Some(key),
                "dubbel",
                format!("'{key}'{whom} staat er twee keer in{earlier}; geef elke waarde één keer."),
            );
            return;
        }
        self.values.insert(at, (line, value));
    }

    fn finish(mut self) -> Result<Submitted, Vec<SubmissionProblem>> {
        for spec in self.fields {
            let wanted: Vec<Option<String>> = match spec.scope {
                Scope::Provider => vec![None],
                Scope::PerMember => self.served.iter().cloned().map(Some).collect(),
            };
            for m in wanted {
                if !self.values.contains_key(&(m.clone(), spec.key.clone())) {
                    let whom = m.as_ref().map(|m| format!(" voor {m}")).unwrap_or_default();
                    let message = format!("'{}' ({}){whom} ontbreekt.", spec.key, spec.label);
                    self.problem(None, m.as_deref(), Some(&spec.key.clone()), "ontbreekt", message);
                }
            }
        }
        if self.problems.is_empty() {
            Ok(Submitted { values: self.values.into_iter().map(|(k, (_, v))| (k, v)).collect() })
        } else {
            Err(self.problems)
        }
    }
}

fn unit_of(fields: &[FieldSpec], key: &str) -> Unit {
    fields.iter().find(|f| f.key == key).map(|f| f.unit).unwrap_or(Unit::Text)
}

/// Values typed in the submission form: `(member or None, figure key, text)`.
pub fn from_form<'x>(
    entries: impl IntoIterator<Item = (Option<&'x str>, &'x str, &'x str)>,
    fields: &[FieldSpec],
    served: &BTreeSet<String>,
) -> Result<Submitted, Vec<SubmissionProblem>> {
    let mut c = Collector::new(fields, served);
    for (m, key, text) in entries {
        c.add(None, m, key, Value::parse(unit_of(fields, key), text));
    }
    c.finish()
}

pub const CSV_COLUMNS: [&str; 3] = ["gemeentecode", "veld", "waarde"];

/// A CSV file: header `gemeentecode;veld;waarde` (commas also accepted), one value per row,
/// an empty member code for a figure of the provider as a whole.
pub fn parse_csv(
    bytes: &[u8],
    fields: &[FieldSpec],
    served: &BTreeSet<String>,
) -> Result<Submitted, Vec<SubmissionProblem>> {
    let problem = |line: usize, rule: &'static str, message: String| SubmissionProblem {
        line: Some(line),
        municipality: None,
        field: None,
        rule,
        message,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count();
            return Err(vec![problem(
                line,
                "codering",
                "Het bestand is geen UTF-8; sla het op als 'CSV UTF-8'.".into(),
            )]);
        }
    };
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(e) => return Err(vec![problem(1, "csv", format!("De kopregel is onleesbaar: {e}"))]),
    };
    let missing: Vec<&str> = CSV_COLUMNS.iter().copied().filter(|c| !headers.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        return Err(vec![problem(
            1,
            "kolom-ontbreekt",
            format!(
                "De kolom{} {} ontbreekt; de kopregel is gemeentecode;veld;waarde.",
                if missing.len() > 1 { "men" } else { "" },
                missing.join(", ")
            ),
        )]);
    }
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0);
    let (c_m, c_f, c_v) = (col("gemeentecode"), col("veld"), col("waarde"));
    let mut c = Collector::new(fields, served);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                c.problems.push(problem(line, "csv", format!("Onleesbare regel: {e}")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            c.problems.push(problem(
                line,
                "kolommen",
                format!("Deze regel heeft {} kolommen, de kopregel {}.", record.len(), headers.len()),
            ));
            continue;
        }
        let municipality = Some(record[c_m].to_uppercase()).filter(|m| !m.is_empty());
        let key = record[c_f].to_lowercase();
        let parsed = Value::parse(unit_of(fields, &key), &record[c_v]);
        c.add(Some(line), municipality.as_deref(), &key, parsed);
    }
    c.finish()
}

/// A JSON document:
/// `{"aanbieder": {"veld": waarde, …}, "gemeenten": {"GM0518": {"veld": waarde, …}, …}}`.
pub fn parse_json(
    bytes: &[u8],
    fields: &[FieldSpec],
    served: &BTreeSet<String>,
) -> Result<Submitted, Vec<SubmissionProblem>> {
    let problem = |rule: &'static str, message: String| SubmissionProblem {
        line: None,
        municipality: None,
        field: None,
        rule,
        message,
    };
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let document: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        Err(e) => {
            return Err(vec![SubmissionProblem {
                line: Some(e.line()),
                ..problem("json", format!("Geen geldige JSON: {e}"))
            }])
        }
    };
    let Some(object) = document.as_object() else {
        return Err(vec![problem("json", "Verwacht een object met 'aanbieder' en 'gemeenten'.".into())]);
    };
    let mut c = Collector::new(fields, served);
    for (name, part) in object {
        match (name.as_str(), part) {
            ("aanbieder", serde_json::Value::Object(values)) => {
                for (key, v) in values {
                    c.add(None, None, key, Value::from_json(unit_of(fields, key), v));
                }
            }
            ("gemeenten", serde_json::Value::Object(members)) => {
                for (m, values) in members {
                    let m = m.to_uppercase();
                    match values.as_object() {
                        Some(values) => {
                            for (key, v) in values {
                                c.add(None, Some(&m), key, Value::from_json(unit_of(fields, key), v));
                            }
                        }
                        None => c.problem(
                            None,
                            Some(&m),
                            None,
                            "json",
                            format!("Onder 'gemeenten' hoort bij {m} een object met de velden."),
                        ),
                    }
                }
            }
            ("aanbieder" | "gemeenten", _) => {
                c.problems.push(problem("json", format!("'{name}' moet een object zijn.")));
            }
            _ => c.problems.push(problem(
                "json",
                format!("Onbekend onderdeel '{name}'; een inzending heeft alleen 'aanbieder' en 'gemeenten'."),
            )),
        }
    }
    c.finish()
}

/// Reads a file in either format.
pub fn parse_file(
    bytes: &[u8],
    fields: &[FieldSpec],
    served: &BTreeSet<String>,
) -> (Format, Result<Submitted, Vec<SubmissionProblem>>) {
    match Format::sniff(bytes) {
        Format::Json => (Format::Json, parse_json(bytes, fields, served)),
        _ => (Format::Csv, parse_csv(bytes, fields, served)),
    }
}

/// A submission as CSV in the same format it is read in, so it can be corrected and sent back.
pub fn to_csv(values: &BTreeMap<ValueKey, Value>) -> String {
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let _ = writer.write_record(CSV_COLUMNS);
    for ((m, key), v) in values {
        let _ = writer.write_record([m.as_deref().unwrap_or(""), key.as_str(), v.plain().as_str()]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields() -> Vec<FieldSpec> {
        parse_field_lines(
            "clienten; Cliënten in zorg op 31 december; aantal; gemeente\n\
             omzet; Omzet; bedrag; gemeente\n\
             wachttijd; Gemiddelde wachttijd in dagen; getal; aanbieder\n\
             kwaliteit; Kwaliteitsverslag; tekst; aanbieder\n",
        )
        .unwrap()
    }

    fn served() -> BTreeSet<String> {
        ["GM0518", "GM1783"].into_iter().map(String::from).collect()
    }

    const GOOD_CSV: &str = "gemeentecode;veld;waarde\n\
        GM0518;clienten;1.204\n\
        GM0518;omzet;1.234.567,89\n\
        GM1783;clienten;12\n\
        GM1783;omzet;0\n\
        ;wachttijd;12,5\n\
        ;kwaliteit;\"Alles op orde;\nook de tweede regel\"\n";

    #[test]
    fn a_csv_file_with_dutch_notation_is_read_exactly() {
        let s = parse_csv(GOOD_CSV.as_bytes(), &fields(), &served()).unwrap();
        assert_eq!(s.values[&(Some("GM0518".into()), "clienten".into())], Value::Count(1204));
        assert_eq!(s.values[&(Some("GM0518".into()), "omzet".into())], Value::Amount(Cents(123_456_789)));
        assert_eq!(s.values[&(None, "wachttijd".into())], Value::Decimal(1250));
        assert_eq!(s.values[&(None, "kwaliteit".into())], Value::Text("Alles op orde;\nook de tweede regel".into()));
        // What one member sees: its own figures and the provider's, nothing of the other member.
        let part = s.part_for("GM1783");
        assert_eq!(part.len(), 4);
        assert!(part.iter().all(|((m, _), _)| m.as_deref() != Some("GM0518")));
        // Written back out, it reads in again to the same values.
        let again = parse_csv(to_csv(&s.values).as_bytes(), &fields(), &served()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn json_reads_the_same_values_as_csv() {
        let json = r#"{"aanbieder": {"wachttijd": 12.5, "kwaliteit": "Alles op orde;\nook de tweede regel"},
            "gemeenten": {"GM0518": {"clienten": 1204, "omzet": 1234567.89}, "gm1783": {"clienten": "12", "omzet": 0}}}"#;
        let (format, parsed) = parse_file(json.as_bytes(), &fields(), &served());
        assert_eq!(format, Format::Json);
        assert_eq!(parsed.unwrap(), parse_csv(GOOD_CSV.as_bytes(), &fields(), &served()).unwrap());
    }

    fn rules(problems: &[SubmissionProblem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.rule).collect()
    }

    #[test]
    fn every_problem_is_named_with_line_member_and_field() {
        let bad = "gemeentecode;veld;waarde\n\
            GM0518;clienten;-3\n\
            GM0518;clienten;4\n\
            GM0599;clienten;4\n\
            GM0518;omzet;12,345\n\
            GM1783;wachttijd;3\n\
            ;kleur;blauw\n\
            GM1783;clienten\n";
        let problems = parse_csv(bad.as_bytes(), &fields(), &served()).unwrap_err();
        assert_eq!(
            rules(&problems),
            vec![
                "waarde",
                "geen-contract",
                "waarde",
                "verkeerd-niveau",
                "onbekend-veld",
                "kolommen",
                "ontbreekt",
                "ontbreekt",
                "ontbreekt",
                "ontbreekt",
                "ontbreekt"
            ]
        );
        assert_eq!(problems[0].line, Some(2));
        assert_eq!(problems[1].municipality.as_deref(), Some("GM0599"));
        assert!(problems[1].message.contains("GM0518, GM1783"), "{}", problems[1].message);
        assert_eq!(problems[2].field.as_deref(), Some("omzet"));
        let dup = "gemeentecode;veld;waarde\nGM0518;clienten;1\nGM0518;clienten;1\n";
        let problems = parse_csv(dup.as_bytes(), &fields(), &served()).unwrap_err();
        assert_eq!(problems[0].rule, "dubbel");
        assert!(problems[0].message.contains("eerder op regel 2"), "{}", problems[0].message);
    }

    #[test]
    fn a_missing_column_or_a_broken_file_is_one_clear_problem() {
        let p = parse_csv(b"gemeentecode;waarde\nGM0518;3\n", &fields(), &served()).unwrap_err();
        assert_eq!((p.len(), p[0].rule), (1, "kolom-ontbreekt"));
        assert!(p[0].message.contains("veld"));
        let p = parse_csv(b"gemeentecode;veld;waarde\n\xff\xfe", &fields(), &served()).unwrap_err();
        assert_eq!((p[0].rule, p[0].line), ("codering", Some(2)));
        let p = parse_json(b"{\"gemeenten\": [", &fields(), &served()).unwrap_err();
        assert_eq!(p[0].rule, "json");
        let p = parse_json(br#"{"gemeenten": {"GM0518": {"clienten": 1.5}}, "extra": 1}"#, &fields(), &served())
            .unwrap_err();
        assert!(p.iter().any(|p| p.rule == "waarde" && p.field.as_deref() == Some("clienten")));
        assert!(p.iter().any(|p| p.message.contains("'extra'")));
    }

    #[test]
    fn json_numbers_are_exact_to_the_cent() {
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(json_hundredths(&n("0.1")), Some(10));
        assert_eq!(json_hundredths(&n("1234567.89")), Some(123_456_789));
        assert_eq!(json_hundredths(&n("-2.5")), Some(-250));
        assert_eq!(json_hundredths(&n("1.005")), None);
        assert_eq!(json_hundredths(&n("1e300")), None);
    }

    #[test]
    fn field_lines_name_the_line_that_is_wrong() {
        let e =
            parse_field_lines("a; A; aantal; gemeente\nb; B; liter; gemeente\nC; C; aantal; aanbieder").unwrap_err();
        assert_eq!(e.errors.len(), 2, "{e}");
        assert!(e.errors[0].reason.starts_with("Regel 2"));
        assert!(e.errors[1].reason.contains("'C'"));
        assert_eq!(parse_field_lines(&field_lines(&fields())).unwrap(), fields());
        assert!(parse_field_lines("a; A; aantal; gemeente\na; B; tekst; aanbieder").is_err());
    }

    proptest! {
        #[test]
        fn no_input_panics_the_readers(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_file(&bytes, &fields(), &served());
            let _ = parse_csv(&bytes, &fields(), &served());
            let _ = parse_json(&bytes, &fields(), &served());
        }

        #[test]
        fn counts_and_amounts_survive_a_round_trip(counts in proptest::collection::vec(0i64..10_000_000, 2), amounts in proptest::collection::vec(-1_000_000_000i64..1_000_000_000, 2), wait in 0i64..100_000) {
            let mut values = BTreeMap::new();
            for (i, m) in served().into_iter().enumerate() {
                values.insert((Some(m.clone()), "clienten".to_string()), Value::Count(counts[i]));
                values.insert((Some(m), "omzet".to_string()), Value::Amount(Cents(amounts[i])));
            }
            values.insert((None, "wachttijd".to_string()), Value::Decimal(wait));
            values.insert((None, "kwaliteit".to_string()), Value::Text("x".into()));
            let again = parse_csv(to_csv(&values).as_bytes(), &fields(), &served()).unwrap();
            prop_assert_eq!(again.values, values);
        }
    }
}
