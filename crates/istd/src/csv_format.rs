//! Samenspel's CSV format for the same facts as the messages, for regions that keep
//! spreadsheets rather than message archives: assignments, claim lines, and starts and stops of
//! care. The format is documented in `docs/productie.md`.
//!
//! One file holds one kind of fact, recognised by its columns. Separator `;` (or `,`), a header
//! row, column names in any case and order, extra columns ignored (and never stored: a name
//! column stays in the spreadsheet). Dates as `2026-04-01` or `1-4-2026`; amounts in euros as
//! people type them (`1.234,56`, `-12,50` for a credit). Rows become the same records the
//! message reader gives, so the importer treats both alike: a header record whenever the law,
//! municipality or provider changes, and a claim record whenever the claim number does.

use crate::bsn::{check_bsn, Pseudonymiser};
use crate::model::*;
use crate::rules::{self, Break};
use samenspel_domain::{AgbCode, Cents, MunicipalityCode};
use std::io::{BufRead, BufReader, Read};
use time::macros::format_description;
use time::{Date, Month};

/// The kinds of CSV file, recognised by their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CsvKind {
    Assignments,
    ClaimLines,
    CareEvents,
}

impl CsvKind {
    pub fn label(self) -> &'static str {
        match self {
            CsvKind::Assignments => "toewijzingen",
            CsvKind::ClaimLines => "declaratieregels",
            CsvKind::CareEvents => "start en stop zorg",
        }
    }

    /// The columns a file of this kind must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            CsvKind::Assignments => &[
                "wet",
                "gemeente",
                "aanbieder",
                "bsn",
                "toewijzingnummer",
                "productcategorie",
                "toewijzingsdatum",
                "ingangsdatum",
            ],
            CsvKind::ClaimLines => &[
                "wet",
                "gemeente",
                "aanbieder",
                "declaratienummer",
                "bsn",
                "referentienummer",
                "toewijzingnummer",
                "productcategorie",
                "begindatum",
                "einddatum",
                "volume",
                "eenheid",
                "bedrag",
            ],
            CsvKind::CareEvents => &["wet", "gemeente", "aanbieder", "bsn", "soort", "begindatum"],
        }
    }

    /// The columns a file of this kind may have besides.
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            CsvKind::Assignments => &[
                "productcode",
                "toewijzingstijd",
                "einddatum",
                "redenwijziging",
                "volume",
                "eenheid",
                "frequentie",
                "budget",
            ],
            CsvKind::ClaimLines => &["declaratiedatum", "vorigreferentienummer", "productcode", "tarief"],
            CsvKind::CareEvents => {
                &["toewijzingnummer", "productcategorie", "productcode", "einddatum", "redenbeeindiging", "status"]
            }
        }
    }

    fn message(self) -> MessageKind {
        match self {
            CsvKind::Assignments => MessageKind::Assignment,
            CsvKind::ClaimLines => MessageKind::Claim,
            CsvKind::CareEvents => MessageKind::Start,
        }
    }
}

/// Other names people give the columns.
fn canonical(name: &str) -> String {
    let key: String = name
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    let alias = match key.as_str() {
        "gemeentecode" | "cbscode" => "gemeente",
        "agb" | "agbcode" | "aanbiedercode" => "aanbieder",
        "categorie" => "productcategorie",
        "code" => "productcode",
        "referentie" => "referentienummer",
        "vorigereferentie" | "vorigreferentie" => "vorigreferentienummer",
        "producttarief" => "tarief",
        "ingediendbedrag" => "bedrag",
        "geleverdvolume" => "volume",
        "toewijzingsnummer" => "toewijzingnummer",
        "redenbeëindiging" => "redenbeeindiging",
        "statusaanlevering" => "status",
        "wettelijkdomein" | "domein" => "wet",
        other => other,
    };
    alias.to_string()
}

/// The separator: a semicolon where the header has one (what Dutch spreadsheets write), else a
/// comma, else a tab.
fn separator(header: &str) -> u8 {
    if header.contains(';') {
        b';'
    } else if header.contains(',') {
        b','
    } else {
        b'\t'
    }
}

/// Whether the start of a file looks like one of Samenspel's CSV files rather than XML.
pub fn looks_like_csv(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    !first.trim_start().starts_with('<') && detect(&columns(first, separator(first))).is_some()
}

/// A first guess at the columns, for recognising a file by its first line.
fn columns(header: &str, sep: u8) -> Vec<String> {
    header.trim_end_matches(['\r', '\n']).split(char::from(sep)).map(|c| canonical(c.trim_matches('"'))).collect()
}

fn detect(columns: &[String]) -> Option<CsvKind> {
    let has = |c: &str| columns.iter().any(|x| x == c);
    if has("declaratienummer") {
        Some(CsvKind::ClaimLines)
    } else if has("toewijzingsdatum") {
        Some(CsvKind::Assignments)
    } else if has("soort") {
        Some(CsvKind::CareEvents)
    } else {
        None
    }
}

/// Dates as `2026-04-01`, `01-04-2026`, `1-4-2026` or `1/4/2026`.
fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    let [day, month, year] = parts.as_slice() else { return None };
    if year.len() != 4 || day.is_empty() || day.len() > 2 || month.is_empty() || month.len() > 2 {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// The law as people write it.
fn parse_law(s: &str) -> Option<Standard> {
    match s.trim().to_lowercase().as_str() {
        "jeugd" | "jeugdwet" | "ijw" | "jw" => Some(Standard::Ijw),
        "wmo" | "wmo 2015" | "wmo2015" | "iwmo" => Some(Standard::Iwmo),
        _ => None,
    }
}

/// Reads one row's fields by column name and collects what is wrong with them.
struct Row<'a> {
    columns: &'a [String],
    values: &'a csv::StringRecord,
    at: Position,
    problems: Vec<Problem>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.values.get(i).map(str::trim).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, column: &str, rule: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            position: self.at,
            field: column.to_string(),
            rule: rule.to_string(),
            message: message.into(),
            record: None,
        });
    }

    fn text(&mut self, column: &str) -> Option<String> {
        let value = self.get(column).map(str::to_string);
        if value.is_none() {
            self.fail(column, "CSV", format!("De kolom '{column}' is leeg."));
        }
        value
    }

    fn date(&mut self, column: &str, required: bool) -> Option<Option<Date>> {
        match self.get(column) {
            None if !required => Some(None),
            None => {
                self.fail(column, "CSV", format!("De kolom '{column}' is leeg; verwacht een datum."));
                None
            }
            Some(v) => match parse_date(v) {
                Some(d) => Some(Some(d)),
                None => {
                    let v = v.to_string();
                    self.fail(column, "CSV", format!("'{v}' is geen datum; schrijf 2026-04-01 of 1-4-2026."));
                    None
                }
            },
        }
    }

    /// A whole number as a spreadsheet may write it: `16`, `1.234`, `16,00`.
    fn count(&mut self, column: &str, required: bool, max: i64) -> Option<Option<i64>> {
        match self.get(column) {
            None if !required => Some(None),
            None => {
                self.fail(column, "CSV", format!("De kolom '{column}' is leeg; verwacht een getal."));
                None
            }
            Some(v) => match Cents::parse(v) {
                Ok(Cents(c)) if c % 100 == 0 && (0..=max.saturating_mul(100)).contains(&c) => Some(Some(c / 100)),
                _ => {
                    let v = v.to_string();
                    self.fail(column, "CSV", format!("'{v}' is geen geheel getal van 0 tot en met {max}."));
                    None
                }
            },
        }
    }

    /// An amount in euros, to cents.
    fn euros(&mut self, column: &str, required: bool) -> Option<Option<i64>> {
        match self.get(column) {
            None if !required => Some(None),
            None => {
                self.fail(column, "CSV", format!("De kolom '{column}' is leeg; verwacht een bedrag in euro's."));
                None
            }
            Some(v) => match Cents::parse(v) {
                Ok(c) if c.0.abs() <= 999_999_999_999 => Some(Some(c.0)),
                Ok(_) => {
                    self.fail(column, "CSV", "Het bedrag is te groot.");
                    None
                }
                Err(e) => {
                    self.fail(column, "CSV", e.reason);
                    None
                }
            },
        }
    }

    fn law(&mut self) -> Option<Standard> {
        let v = self.text("wet")?;
        let law = parse_law(&v);
        if law.is_none() {
            self.fail("wet", "CSV", format!("'{v}' is geen wet; schrijf jeugd of wmo."));
        }
        law
    }

    /// The four digits of the municipality, as the messages carry them.
    fn municipality(&mut self) -> Option<String> {
        let v = self.text("gemeente")?;
        match MunicipalityCode::parse(&v) {
            Ok(code) => Some(code.digits().to_string()),
            Err(e) => {
                self.fail("gemeente", "RS035", e.reason);
                None
            }
        }
    }

    fn provider(&mut self) -> Option<String> {
        let v = self.text("aanbieder")?;
        match AgbCode::parse(&v) {
            Ok(code) => Some(code.as_str().to_string()),
            Err(e) => {
                self.fail("aanbieder", "RS036", e.reason);
                None
            }
        }
    }

    /// The client's pseudonym. Spreadsheets drop a BSN's leading zero; eight digits get it back.
    /// The BSN itself goes nowhere, also not into a problem message.
    fn client(&mut self, pseudonymiser: &Pseudonymiser) -> Option<crate::bsn::Pseudonym> {
        let v = self.text("bsn")?;
        let bsn = if v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()) { format!("0{v}") } else { v };
        if check_bsn(&bsn) {
            Some(pseudonymiser.pseudonym(&bsn))
        } else {
            self.fail("bsn", "CS002", "Het BSN voldoet niet aan de elfproef; deze regel is niet ingelezen.");
            None
        }
    }

    fn breaks(&mut self, breaks: Vec<Break>, column_of: fn(&str) -> &'static str) {
        for b in breaks {
            self.fail(column_of(b.field), b.rule, b.message);
        }
    }
}

/// The CSV column a rule's element corresponds to.
fn assignment_column(field: &str) -> &'static str {
    match field {
        "Product" => "productcode",
        "Einddatum" => "einddatum",
        "RedenWijziging" => "redenwijziging",
        "Omvang/Eenheid" => "eenheid",
        "Budget" => "budget",
        _ => "regel",
    }
}

fn line_column(field: &str) -> &'static str {
    match field {
        "ProductCode" => "productcode",
        "ProductPeriode" => "einddatum",
        "Eenheid" => "eenheid",
        "IngediendBedrag" => "bedrag",
        "ProductTarief" => "tarief",
        "VorigReferentieNummer" => "vorigreferentienummer",
        "DeclaratieNummer" => "declaratienummer",
        "DeclaratiePeriode" => "begindatum",
        _ => "regel",
    }
}

fn event_column(field: &str) -> &'static str {
    match field {
        "Product" => "productcode",
        "Einddatum" => "einddatum",
        "StatusAanlevering" => "status",
        "RedenBeeindiging" => "redenbeeindiging",
        _ => "regel",
    }
}

/// What the reader passes on between rows: the last header and claim emitted.
struct Emitter<F: FnMut(Record, Position)> {
    sink: F,
    records: u64,
    header: Option<(Standard, String, String)>,
    claim: Option<(String, Date)>,
}

impl<F: FnMut(Record, Position)> Emitter<F> {
    fn emit(&mut self, record: Record, at: Position) {
        self.records += 1;
        (self.sink)(record, at);
    }

    /// A header record when the law, municipality or provider changes. The direction follows
    /// the message the row stands for; a CSV file has no message identification.
    fn context(
        &mut self,
        kind: CsvKind,
        standard: Standard,
        municipality: &str,
        provider: &str,
        day: Date,
        at: Position,
    ) {
        let key = (standard, municipality.to_string(), provider.to_string());
        if self.header.as_ref() == Some(&key) {
            return;
        }
        self.header = Some(key);
        self.claim = None;
        let message = kind.message();
        let (sender, receiver) = match message {
            MessageKind::Assignment => (municipality.to_string(), provider.to_string()),
            _ => (provider.to_string(), municipality.to_string()),
        };
        let header = Header { standard, kind: message, sender, receiver, message_id: String::new(), message_date: day };
        self.emit(Record::Header(header), at);
    }
}

/// Turns CRLF and lone CR line ends into LF, so the CSV reader counts lines as an editor
/// does (it counts a CRLF ending of the header twice otherwise).
struct UnixLines<R> {
    inner: R,
    after_cr: bool,
}

impl<R: Read> Read for UnixLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut out = 0;
            for i in 0..n {
                let b = buf[i];
                let skip = b == b'\n' && self.after_cr;
                self.after_cr = b == b'\r';
                if !skip {
                    buf[out] = if b == b'\r' { b'\n' } else { b };
                    out += 1;
                }
            }
            if out > 0 {
                return Ok(out);
            }
        }
    }
}

/// Reads one CSV file, handing every good record to `sink` and collecting the problems.
pub fn read<R: Read>(input: R, pseudonymiser: &Pseudonymiser, sink: impl FnMut(Record, Position)) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let mut input = BufReader::new(UnixLines { inner: input, after_cr: false });
    let mut first = Vec::new();
    let file_problem = |summary: &mut ReadSummary, field: &str, message: String| {
        summary.file_problems.push(Problem {
            position: Position { offset: 0, line: Some(1) },
            field: field.into(),
            rule: "CSV".into(),
            message,
            record: None,
        });
    };
    if let Err(e) = input.by_ref().take(64 * 1024).read_until(b'\n', &mut first) {
        file_problem(&mut summary, "bestand", format!("Het bestand kon niet worden gelezen: {e}."));
        return summary;
    }
    let sep = separator(&String::from_utf8_lossy(&first));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::Cursor::new(first).chain(input));
    let mut values = csv::StringRecord::new();
    let columns: Vec<String> = match reader.read_record(&mut values) {
        Ok(true) => values.iter().map(canonical).collect(),
        Ok(false) => Vec::new(),
        Err(_) => {
            file_problem(&mut summary, "kop", "De kop van het bestand is geen geldige CSV in UTF-8.".into());
            return summary;
        }
    };
    let Some(kind) = detect(&columns) else {
        file_problem(
            &mut summary,
            "kop",
            "Dit is geen CSV-bestand van Samenspel: de kop noemt geen kolom declaratienummer (declaratieregels), \
             toewijzingsdatum (toewijzingen) of soort (start en stop zorg)."
                .into(),
        );
        return summary;
    };
    let missing: Vec<&str> = kind.required().iter().copied().filter(|c| !columns.iter().any(|x| x == c)).collect();
    for column in &missing {
        file_problem(
            &mut summary,
            column,
            format!(
                "De kolom '{column}' ontbreekt; een bestand met {} heeft de kolommen {}.",
                kind.label(),
                kind.required().join(", ")
            ),
        );
    }
    if !missing.is_empty() {
        return summary;
    }
    let mut emitter = Emitter { sink, records: 0, header: None, claim: None };
    loop {
        let before = Position { offset: reader.position().byte(), line: Some(reader.position().line()) };
        let result = reader.read_record(&mut values);
        let at = values
            .position()
            .map(|p| Position { offset: p.byte(), line: Some(p.line()) })
            .filter(|_| result.is_ok())
            .unwrap_or(before);
        match result {
            Ok(false) => break,
            Ok(true) => {
                if values.iter().all(|v| v.trim().is_empty()) {
                    continue;
                }
                let mut row = Row { columns: &columns, values: &values, at, problems: Vec::new() };
                if values.len() != columns.len() {
                    let (n, m) = (values.len(), columns.len());
                    row.fail("regel", "CSV", format!("Deze regel heeft {n} velden, de kop {m}."));
                } else {
                    match kind {
                        CsvKind::Assignments => assignment_row(&mut row, pseudonymiser, &mut emitter),
                        CsvKind::ClaimLines => claim_line_row(&mut row, pseudonymiser, &mut emitter),
                        CsvKind::CareEvents => event_row(&mut row, pseudonymiser, &mut emitter),
                    }
                }
                summary.record_problems.append(&mut row.problems);
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(io) => {
                    file_problem(&mut summary, "bestand", format!("Het bestand kon niet worden gelezen: {io}."));
                    break;
                }
                _ => summary.record_problems.push(Problem {
                    position: at,
                    field: "regel".into(),
                    rule: "CSV".into(),
                    message: "Deze regel is geen geldige CSV in UTF-8.".into(),
                    record: None,
                }),
            },
        }
    }
    summary.records = emitter.records;
    summary
}

fn attach(row: &mut Row, before: usize, record: &Record) {
    for p in &mut row.problems[before..] {
        p.record = Some(record.clone());
    }
}

fn assignment_row<F: FnMut(Record, Position)>(row: &mut Row, key: &Pseudonymiser, out: &mut Emitter<F>) {
    let law = row.law();
    let municipality = row.municipality();
    let provider = row.provider();
    let client = row.client(key);
    let number = row.count("toewijzingnummer", true, 999_999_999).flatten();
    let category = row.text("productcategorie");
    let assigned_on = row.date("toewijzingsdatum", true).flatten();
    let starts_on = row.date("ingangsdatum", true).flatten();
    let ends_on = row.date("einddatum", false);
    let volume = row.count("volume", false, 99_999_999);
    let budget = row.euros("budget", false);
    let assigned_at = match row.get("toewijzingstijd") {
        None => Some("00:00:00".to_string()),
        Some(t) => {
            let parts: Vec<&str> = t.split(':').collect();
            let ok = (2..=3).contains(&parts.len()) && parts.iter().all(|p| p.len() == 2 && p.parse::<u8>().is_ok());
            if ok {
                Some(if parts.len() == 2 { format!("{t}:00") } else { t.to_string() })
            } else {
                let t = t.to_string();
                row.fail("toewijzingstijd", "CSV", format!("'{t}' is geen tijd; schrijf 14:30 of 14:30:00."));
                None
            }
        }
    };
    let (
        Some(standard),
        Some(municipality),
        Some(provider),
        Some(client),
        Some(number),
        Some(category),
        Some(assigned_on),
        Some(assigned_at),
        Some(starts_on),
        Some(ends_on),
        Some(volume),
        Some(budget_cents),
    ) = (
        law,
        municipality,
        provider,
        client,
        number,
        category,
        assigned_on,
        assigned_at,
        starts_on,
        ends_on,
        volume,
        budget,
    )
    else {
        return;
    };
    let assignment = Assignment {
        client,
        number,
        product: ProductRef { category: Some(category), code: row.get("productcode").map(str::to_string) },
        assigned_on,
        assigned_at,
        starts_on,
        ends_on,
        change_reason: row.get("redenwijziging").map(str::to_string),
        volume,
        unit: row.get("eenheid").map(str::to_string),
        frequency: row.get("frequentie").map(str::to_string),
        budget_cents,
    };
    let before = row.problems.len();
    row.breaks(rules::assignment(&assignment), assignment_column);
    if volume.is_some() && (assignment.unit.is_none() || assignment.frequency.is_none()) {
        row.fail("eenheid", "XSD", "Bij een volume horen ook eenheid en frequentie.");
    }
    let record = Record::Assignment(assignment);
    if row.problems.is_empty() {
        out.context(CsvKind::Assignments, standard, &municipality, &provider, assigned_on, row.at);
        out.emit(record, row.at);
    } else {
        attach(row, before, &record);
    }
}

fn claim_line_row<F: FnMut(Record, Position)>(row: &mut Row, key: &Pseudonymiser, out: &mut Emitter<F>) {
    let law = row.law();
    let municipality = row.municipality();
    let provider = row.provider();
    let claim_number = row.text("declaratienummer");
    let claim_date = row.date("declaratiedatum", false);
    let client = row.client(key);
    let reference = row.text("referentienummer");
    let number = row.count("toewijzingnummer", true, 999_999_999).flatten();
    let category = row.text("productcategorie");
    let start = row.date("begindatum", true).flatten();
    let end = row.date("einddatum", true).flatten();
    let volume = row.count("volume", true, 99_999_999).flatten();
    let unit = row.text("eenheid");
    let tariff = row.euros("tarief", false);
    let amount = row.euros("bedrag", true).flatten();
    let (
        Some(standard),
        Some(municipality),
        Some(provider),
        Some(claim_number),
        Some(claim_date),
        Some(client),
        Some(reference),
        Some(assignment_number),
        Some(category),
        Some(period_start),
        Some(period_end),
        Some(volume),
        Some(unit),
        Some(tariff_cents),
        Some(amount_cents),
    ) = (
        law,
        municipality,
        provider,
        claim_number,
        claim_date,
        client,
        reference,
        number,
        category,
        start,
        end,
        volume,
        unit,
        tariff,
        amount,
    )
    else {
        return;
    };
    // A CSV claim covers the month of its line; without a claim date, the day after it.
    let (month_start, month_end) = month_bounds(period_start);
    let claim = Claim {
        number: claim_number,
        period_start: month_start,
        period_end: month_end,
        date: claim_date.unwrap_or_else(|| next_month(month_start)),
        total_cents: None,
    };
    let line = ClaimLine {
        client,
        reference,
        previous_reference: row.get("vorigreferentienummer").map(str::to_string),
        assignment_number,
        category,
        code: row.get("productcode").map(str::to_string),
        period_start,
        period_end,
        volume,
        unit,
        tariff_cents,
        amount_cents,
    };
    let before = row.problems.len();
    row.breaks(rules::claim(&claim).into_iter().filter(|b| b.rule == "CS319").collect(), line_column);
    row.breaks(rules::claim_line(&line), line_column);
    let record = Record::ClaimLine(line);
    if row.problems.is_empty() {
        out.context(CsvKind::ClaimLines, standard, &municipality, &provider, claim.date, row.at);
        // A claim covers one month: the same number in another month is another claim, which
        // the importer refuses (TR333).
        if out.claim.as_ref().is_none_or(|(number, start)| *number != claim.number || *start != claim.period_start) {
            out.claim = Some((claim.number.clone(), claim.period_start));
            out.emit(Record::Claim(claim), row.at);
        }
        out.emit(record, row.at);
    } else {
        attach(row, before, &record);
    }
}

fn event_row<F: FnMut(Record, Position)>(row: &mut Row, key: &Pseudonymiser, out: &mut Emitter<F>) {
    let law = row.law();
    let municipality = row.municipality();
    let provider = row.provider();
    let client = row.client(key);
    let stop = match row.text("soort").map(|s| s.to_lowercase()) {
        Some(s) if s == "start" => Some(false),
        Some(s) if s == "stop" => Some(true),
        Some(s) => {
            row.fail("soort", "CSV", format!("'{s}' is geen soort; schrijf start of stop."));
            None
        }
        None => None,
    };
    let number = row.count("toewijzingnummer", false, 999_999_999);
    let starts_on = row.date("begindatum", true).flatten();
    let ends_on = row.date("einddatum", false);
    let (
        Some(standard),
        Some(municipality),
        Some(provider),
        Some(client),
        Some(stop),
        Some(number),
        Some(starts_on),
        Some(ends_on),
    ) = (law, municipality, provider, client, stop, number, starts_on, ends_on)
    else {
        return;
    };
    let event = CareEvent {
        client,
        stop,
        number,
        product: ProductRef {
            category: row.get("productcategorie").map(str::to_string),
            code: row.get("productcode").map(str::to_string),
        },
        starts_on,
        ends_on,
        reason: row.get("redenbeeindiging").map(str::to_string),
        status: row.get("status").unwrap_or("1").to_string(),
    };
    let before = row.problems.len();
    row.breaks(rules::care_event(&event), event_column);
    let record = Record::CareEvent(event);
    if row.problems.is_empty() {
        out.context(CsvKind::CareEvents, standard, &municipality, &provider, starts_on, row.at);
        out.emit(record, row.at);
    } else {
        attach(row, before, &record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_and_columns() {
        assert_eq!(parse_date("2026-04-01"), Some(date!(2026 - 04 - 01)));
        assert_eq!(parse_date("1-4-2026"), Some(date!(2026 - 04 - 01)));
        assert_eq!(parse_date("01/04/2026"), Some(date!(2026 - 04 - 01)));
        assert_eq!(parse_date("31-4-2026"), None);
        assert_eq!(parse_date("1-4-26"), None);
        assert_eq!(canonical("\u{feff}Gemeente Code"), "gemeente");
        assert_eq!(canonical("Ingediend_Bedrag"), "bedrag");
        assert_eq!(separator("a;b,c"), b';');
        assert_eq!(separator("a,b"), b',');
        assert!(looks_like_csv(b"wet;gemeente;declaratienummer\n"));
        assert!(!looks_like_csv(b"<?xml version=\"1.0\"?>"));
        assert_eq!(parse_law("Jeugdwet"), Some(Standard::Ijw));
        assert_eq!(parse_law("WMO"), Some(Standard::Iwmo));
    }
}
