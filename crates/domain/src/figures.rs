//! Figures a region keeps per member and year that the CBS reference data lacks: youths
//! aged 0–17 and budgets per law. Missing figures stay missing; nothing is estimated.

use crate::codes::MunicipalityCode;
use crate::money::Cents;
use crate::nl::group_thousands;
use crate::validation::{FieldError, Invalid};
use serde::Serialize;

pub const MIN_YEAR: i32 = 2015;
pub const MAX_YEAR: i32 = 2100;

/// A member's figures for one year. `None` means not entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberFigures {
    pub youths: Option<i64>,
    pub budget_youth: Option<Cents>,
    pub budget_wmo: Option<Cents>,
}

pub fn check_year(year: i64) -> Result<i32, FieldError> {
    if (MIN_YEAR as i64..=MAX_YEAR as i64).contains(&year) {
        Ok(year as i32)
    } else {
        Err(FieldError::new("", "range", format!("Kies een jaar van {MIN_YEAR} tot en met {MAX_YEAR}.")))
    }
}

/// A count as typed in Dutch (`4.321` or `4321`), never negative.
pub fn parse_count(input: &str) -> Result<i64, FieldError> {
    let s = input.trim();
    let groups: Vec<&str> = s.split('.').collect();
    let well_formed = groups.iter().enumerate().all(|(i, g)| {
        let len_ok = if i == 0 { !g.is_empty() && (groups.len() == 1 || g.len() <= 3) } else { g.len() == 3 };
        len_ok && g.bytes().all(|b| b.is_ascii_digit())
    });
    let value = if well_formed { groups.concat().parse::<i64>().ok() } else { None };
    value.ok_or_else(|| FieldError::new("", "pattern", format!("'{s}' is geen geheel aantal van nul of meer.")))
}

/// Checks figures against what is known of the member: a member cannot have more youths
/// than inhabitants.
pub fn check_figures(figures: &MemberFigures, inhabitants: i64) -> Result<(), Invalid> {
    let mut invalid = Invalid::new();
    if let Some(y) = figures.youths {
        if y > inhabitants {
            invalid.push(
                "jeugdigen",
                "range",
                format!(
                    "Meer jeugdigen ({}) dan inwoners ({}) kan niet.",
                    group_thousands(y.unsigned_abs()),
                    group_thousands(inhabitants.unsigned_abs())
                ),
            );
        }
    }
    for (name, budget) in [("budgetJeugd", figures.budget_youth), ("budgetWmo", figures.budget_wmo)] {
        if budget.is_some_and(|b| b.0 < 0) {
            invalid.push(name, "range", "Een budget kan niet negatief zijn.");
        }
    }
    invalid.finish(|| ())
}

/// One parsed row of a figures file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiguresRow {
    /// 1-based line in the file, for error messages.
    pub line: usize,
    pub municipality: MunicipalityCode,
    pub year: i32,
    /// For each figure: `None` when the file has no such column (leave unchanged),
    /// `Some(None)` when the cell is empty (clear), `Some(Some(v))` to set.
    pub youths: Option<Option<i64>>,
    pub budget_youth: Option<Option<Cents>>,
    pub budget_wmo: Option<Option<Cents>>,
}

/// A problem in an uploaded file, located so a person can find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    pub line: usize,
    pub field: String,
    pub rule: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "regel {}, kolom {}: {} ({})", self.line, self.field, self.reason, self.rule)
    }
}

pub const FIGURES_COLUMNS: [&str; 5] = ["gemeentecode", "jaar", "jeugdigen_0_17", "budget_jeugd", "budget_wmo"];
/// Columns the export adds for people reading it; ignored when the file is read back in.
pub const INFORMATIONAL_COLUMNS: [&str; 2] = ["gemeente", "inwoners"];

/// Parses a figures file (see `docs/import-kerncijfers.md`): a header row, then one row per
/// member and year. Semicolons or commas separate the columns; Dutch notation for numbers.
/// Returns every row, or every problem found (the caller stores nothing unless all rows are good).
pub fn parse_figures_csv(bytes: &[u8]) -> Result<Vec<FiguresRow>, Vec<RowError>> {
    let err = |line: usize, field: &str, rule: &str, reason: String| RowError {
        line,
        field: field.to_string(),
        rule: rule.to_string(),
        reason,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            return Err(vec![err(
                1 + bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count(),
                "",
                "encoding",
                "Het bestand is geen UTF-8; sla het in Excel op als 'CSV UTF-8'.".into(),
            )])
        }
    };
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(e) => return Err(vec![err(1, "", "csv", format!("De kopregel is onleesbaar: {e}"))]),
    };
    let mut errors = Vec::new();
    for h in &headers {
        if !FIGURES_COLUMNS.contains(&h.as_str()) && !INFORMATIONAL_COLUMNS.contains(&h.as_str()) {
            errors.push(err(
                1,
                h,
                "unknown-column",
                format!("Onbekende kolom '{h}'; toegestaan zijn {}.", FIGURES_COLUMNS.join(", ")),
            ));
        }
    }
    for required in ["gemeentecode", "jaar"] {
        if !headers.iter().any(|h| h == required) {
            errors.push(err(1, required, "missing-column", format!("De kolom '{required}' ontbreekt.")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (c_code, c_year) = (col("gemeentecode").unwrap_or(0), col("jaar").unwrap_or(0));
    let (c_youths, c_bj, c_bw) = (col("jeugdigen_0_17"), col("budget_jeugd"), col("budget_wmo"));

    let mut rows = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                errors.push(err(line, "", "csv", format!("Onleesbare regel: {e}")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            errors.push(err(
                line,
                "",
                "column-count",
                format!("{} kolommen, de kopregel heeft er {}.", record.len(), headers.len()),
            ));
            continue;
        }
        let mut bad = |field: &str, e: FieldError| errors.push(err(line, field, &e.code, e.reason));
        let municipality = MunicipalityCode::parse(&record[c_code]).map_err(|e| bad("gemeentecode", e)).ok();
        let year = parse_count(&record[c_year]).and_then(check_year).map_err(|e| bad("jaar", e)).ok();
        let mut optional = |c: Option<usize>, name: &str, parse: &dyn Fn(&str) -> Result<i64, FieldError>| match c {
            None => Some(None),
            Some(c) if record[c].is_empty() => Some(Some(None)),
            Some(c) => match parse(&record[c]) {
                Ok(v) if v < 0 => {
                    bad(name, FieldError::new("", "range", "Een negatief getal kan hier niet."));
                    None
                }
                Ok(v) => Some(Some(Some(v))),
                Err(e) => {
                    bad(name, e);
                    None
                }
            },
        };
        let youths = optional(c_youths, "jeugdigen_0_17", &parse_count);
        let budget_youth = optional(c_bj, "budget_jeugd", &|s| Cents::parse(s).map(|c| c.0));
        let budget_wmo = optional(c_bw, "budget_wmo", &|s| Cents::parse(s).map(|c| c.0));
        if let (Some(municipality), Some(year), Some(youths), Some(budget_youth), Some(budget_wmo)) =
            (municipality, year, youths, budget_youth, budget_wmo)
        {
            if let Some(first) = seen.insert((municipality.clone(), year), line) {
                errors.push(err(
                    line,
                    "gemeentecode",
                    "duplicate",
                    format!("{municipality} {year} staat ook al op regel {first}."),
                ));
                continue;
            }
            rows.push(FiguresRow {
                line,
                municipality,
                year,
                youths,
                budget_youth: budget_youth.map(|b| b.map(Cents)),
                budget_wmo: budget_wmo.map(|b| b.map(Cents)),
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_dutch_semicolon_file_with_bom() {
        let file =
            "\u{feff}gemeentecode;jaar;jeugdigen_0_17;budget_jeugd\nGM0503;2025;21.512;€ 45.000.000,50\n0518;2025;;\n";
        let rows = parse_figures_csv(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].youths, Some(Some(21_512)));
        assert_eq!(rows[0].budget_youth, Some(Some(Cents(4_500_000_050))));
        assert_eq!(rows[0].budget_wmo, None, "absent column leaves the figure unchanged");
        assert_eq!(rows[1].municipality.as_str(), "GM0518");
        assert_eq!(rows[1].youths, Some(None), "empty cell clears the figure");
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn reports_every_problem_with_line_and_column() {
        let file = "gemeentecode,jaar,jeugdigen_0_17\nGM0503,2025,-3\nXX,1990,12\nGM0503,2025,1\nGM0503,2025,5\n";
        let errors = parse_figures_csv(file.as_bytes()).unwrap_err();
        let found: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str(), e.rule.as_str())).collect();
        assert_eq!(
            found,
            [
                (2, "jeugdigen_0_17", "pattern"),
                (3, "gemeentecode", "pattern"),
                (3, "jaar", "range"),
                (5, "gemeentecode", "duplicate"),
            ]
        );
    }

    #[test]
    fn rejects_bad_headers_and_encodings() {
        let errors = parse_figures_csv(b"gemeente;jeugdigen\n").unwrap_err();
        assert!(errors.iter().any(|e| e.rule == "unknown-column"));
        assert!(errors.iter().any(|e| e.rule == "missing-column" && e.field == "jaar"));
        let latin1 = b"gemeentecode;jaar\nGM0503;2025\nS\xfadwest;2025\n";
        let errors = parse_figures_csv(latin1).unwrap_err();
        assert_eq!((errors[0].line, errors[0].rule.as_str()), (3, "encoding"));
    }

    #[test]
    fn checks_figures_against_inhabitants() {
        let f = MemberFigures { youths: Some(20), budget_youth: Some(Cents(-1)), budget_wmo: None };
        let err = check_figures(&f, 10).unwrap_err();
        assert_eq!(err.errors.len(), 2);
        assert!(check_figures(&MemberFigures::default(), 0).is_ok());
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_figures_csv(&bytes);
        }

        #[test]
        fn parser_never_panics_on_csv_like_text(s in "(gemeentecode|jaar|jeugdigen_0_17|[;,\n\"]|GM[0-9]{4}|[0-9.,]{1,8}){0,40}") {
            let _ = parse_figures_csv(s.as_bytes());
        }
    }
}
