//! The risk-sharing agreement (risicoverevening) as a region writes it down, and the tables the
//! settlement reads: costs per member and pool (or per client), and key values per member.
//! Parsing only; the arithmetic is in `samenspel_calc::risk_sharing`.

use crate::figures::RowError;
use crate::{Cents, MunicipalityCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An agreement: its cost pools, each with its own rule. Read from JSON (see docs/verevening.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "potten")]
    pub pools: Vec<PoolDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolDefinition {
    #[serde(rename = "naam")]
    pub name: String,
    /// Solidarity in percent, 0 (user pays) to 100 (all by key), at most two decimals.
    #[serde(rename = "solidariteit")]
    pub solidarity_percent: f64,
    /// A transition path: from each year on, this solidarity (overrides `solidariteit`).
    #[serde(rename = "overgang", default, skip_serializing_if = "Vec::is_empty")]
    pub transition: Vec<TransitionStep>,
    /// The key: a column of the key table (`inwoners`, `jeugdigen`, `integratie_uitkering`,
    /// `clienten_vorig_jaar`, ...); `vast` is a table of percentages adding up to 100.
    #[serde(rename = "sleutel")]
    pub key: String,
    /// Per-client threshold in euros: only cost above it is pooled.
    #[serde(rename = "drempel", default, skip_serializing_if = "Option::is_none")]
    pub threshold_euros: Option<f64>,
    #[serde(rename = "maxInleg", default, skip_serializing_if = "Option::is_none")]
    pub max_pay_in_euros: Option<f64>,
    #[serde(rename = "maxOntvangst", default, skip_serializing_if = "Option::is_none")]
    pub max_receive_euros: Option<f64>,
    /// The product categories whose costs make up this pool when the settlement reads imported
    /// production (`43`, `46`); the one pool without categories takes the rest.
    #[serde(rename = "categorieen", default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// With key `vast`: each member's share in percent (municipality code → percent), adding up
    /// to 100. Without it the percentages come from the key table's column `vast`.
    #[serde(rename = "vasteVerdeling", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fixed_shares: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionStep {
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "solidariteit")]
    pub solidarity_percent: f64,
}

/// The name of the key whose values are fixed percentages.
pub const FIXED_KEY: &str = "vast";

/// A pool's rule for one year, checked: amounts in cents, solidarity in basis points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPool {
    pub name: String,
    pub solidarity_basis_points: u32,
    pub key: String,
    pub threshold_cents: Option<i64>,
    pub max_pay_in_cents: Option<i64>,
    pub max_receive_cents: Option<i64>,
    /// The agreement's own fixed table (municipality code → basis points), when it has one.
    pub fixed_shares: Option<BTreeMap<String, i64>>,
}

fn basis_points(percent: f64) -> Option<u32> {
    let bp = (percent * 100.0).round();
    ((0.0..=10_000.0).contains(&bp) && (percent * 100.0 - bp).abs() < 1e-6).then_some(bp as u32)
}

fn euros_to_cents(euros: f64) -> Option<i64> {
    let cents = (euros * 100.0).round();
    (euros.is_finite() && (0.0..9e15).contains(&cents) && (euros * 100.0 - cents).abs() < 1e-6).then_some(cents as i64)
}

impl Agreement {
    /// Parses and checks an agreement file; every problem named.
    pub fn parse(json: &str) -> Result<Agreement, Vec<String>> {
        let agreement: Agreement =
            serde_json::from_str(json).map_err(|e| vec![format!("het modelbestand is onleesbaar: {e}")])?;
        let problems = agreement.problems();
        if problems.is_empty() {
            Ok(agreement)
        } else {
            Err(problems)
        }
    }

    /// Every problem of an agreement however it was made (file, form, API); empty when sound.
    pub fn problems(&self) -> Vec<String> {
        let agreement = self;
        let mut problems = Vec::new();
        if agreement.name.trim().is_empty() {
            problems.push("het model heeft geen naam".to_string());
        }
        if agreement.pools.is_empty() {
            problems.push("het model heeft geen potten".to_string());
        }
        let mut names = std::collections::HashSet::new();
        for p in &agreement.pools {
            if !names.insert(p.name.as_str()) {
                problems.push(format!("pot {}: de naam komt twee keer voor", p.name));
            }
            for (what, percent) in std::iter::once(("solidariteit", p.solidarity_percent))
                .chain(p.transition.iter().map(|s| ("overgang", s.solidarity_percent)))
            {
                if basis_points(percent).is_none() {
                    problems.push(format!(
                        "pot {}: {what} {percent} is geen percentage van 0 tot en met 100 met hooguit twee decimalen",
                        p.name
                    ));
                }
            }
            for (what, euros) in [
                ("drempel", p.threshold_euros),
                ("maxInleg", p.max_pay_in_euros),
                ("maxOntvangst", p.max_receive_euros),
            ] {
                if let Some(e) = euros {
                    if euros_to_cents(e).is_none() || (what == "drempel" && e <= 0.0) {
                        problems.push(format!("pot {}: {what} {e} is geen bedrag in euro's boven nul", p.name));
                    }
                }
            }
            if p.name.trim().is_empty() {
                problems.push("een pot heeft geen naam".to_string());
            }
            if p.key.trim().is_empty() {
                problems.push(format!("pot {}: de sleutel ontbreekt", p.name));
            }
            if !p.fixed_shares.is_empty() {
                if p.key.trim().to_lowercase() != FIXED_KEY {
                    problems.push(format!(
                        "pot {}: een vaste verdeling hoort bij sleutel {FIXED_KEY}, niet bij {}",
                        p.name, p.key
                    ));
                }
                let mut sum = 0i64;
                for (gm, percent) in &p.fixed_shares {
                    if MunicipalityCode::parse(gm).is_err() {
                        problems.push(format!("pot {}: {gm} in de vaste verdeling is geen gemeentecode", p.name));
                    }
                    match basis_points(*percent) {
                        Some(bp) => sum += i64::from(bp),
                        None => problems.push(format!(
                            "pot {}: het percentage {percent} voor {gm} is geen percentage van 0 tot en met 100 met hooguit twee decimalen",
                            p.name
                        )),
                    }
                }
                if sum != 10_000 && problems.is_empty() {
                    problems.push(format!(
                        "pot {}: de vaste percentages tellen op tot {},{:02} %, niet tot 100 %",
                        p.name,
                        sum / 100,
                        sum % 100
                    ));
                }
            }
            for c in &p.categories {
                if let Some(other) =
                    agreement.pools.iter().take_while(|o| !std::ptr::eq(*o, p)).find(|o| o.categories.contains(c))
                {
                    problems.push(format!("categorie {c} staat in pot {} en in pot {}", other.name, p.name));
                }
            }
        }
        let rest: Vec<&str> =
            agreement.pools.iter().filter(|p| p.categories.is_empty()).map(|p| p.name.as_str()).collect();
        if rest.len() > 1 && agreement.pools.iter().any(|p| !p.categories.is_empty()) {
            problems.push(format!(
                "de potten {} noemen geen categorieën; hooguit één pot neemt de overige categorieën",
                rest.join(", ")
            ));
        }
        problems
    }

    /// The pool a product category's costs belong to: the pool that lists it, else the one
    /// without categories.
    pub fn pool_for_category(&self, category: &str) -> Option<&str> {
        self.pools
            .iter()
            .find(|p| p.categories.iter().any(|c| c == category))
            .or_else(|| self.pools.iter().find(|p| p.categories.is_empty()))
            .map(|p| p.name.as_str())
    }

    /// The pools' rules in force in a year.
    pub fn pools_in(&self, year: i32) -> Vec<CheckedPool> {
        self.pools
            .iter()
            .map(|p| {
                let mut steps: Vec<&TransitionStep> = p.transition.iter().collect();
                steps.sort_by_key(|s| s.year);
                // Before the first step the pot's own solidarity holds.
                let percent = steps
                    .iter()
                    .rev()
                    .find(|s| s.year <= year)
                    .map(|s| s.solidarity_percent)
                    .unwrap_or(p.solidarity_percent);
                CheckedPool {
                    name: p.name.clone(),
                    solidarity_basis_points: basis_points(percent).unwrap_or(0),
                    key: p.key.trim().to_lowercase(),
                    threshold_cents: p.threshold_euros.and_then(euros_to_cents),
                    max_pay_in_cents: p.max_pay_in_euros.and_then(euros_to_cents),
                    max_receive_cents: p.max_receive_euros.and_then(euros_to_cents),
                    fixed_shares: (!p.fixed_shares.is_empty()).then(|| {
                        p.fixed_shares
                            .iter()
                            .map(|(gm, percent)| (gm.clone(), i64::from(basis_points(*percent).unwrap_or(0))))
                            .collect()
                    }),
                }
            })
            .collect()
    }
}

/// Costs per member and pool: the total, and per client when clients are known (from the
/// database only the clients above the pool's threshold: the rest is kept by the member anyway).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolCosts {
    pub total_cents: i64,
    pub client_cents: Vec<i64>,
    pub clients_listed: bool,
}

/// The cost table: (pool, member) → costs.
pub type CostTable = BTreeMap<(String, MunicipalityCode), PoolCosts>;

/// The key table: member → key name → value (in hundredths, so `12,5` is 1250).
pub type KeyTable = BTreeMap<MunicipalityCode, BTreeMap<String, i64>>;

/// The cost table from imported production, summed in the database: each member's cost per
/// product category, pooled by the categories each pool lists; and per pool with a threshold
/// the clients whose cost in the pool exceeds it (member, client cost in cents). Names every
/// category no pool takes and every member `is_member` refuses.
pub fn costs_from_production<'a>(
    agreement: &Agreement,
    category_costs: impl IntoIterator<Item = (&'a str, &'a str, i64)>,
    expensive: &BTreeMap<String, Vec<(String, i64)>>,
    is_member: impl Fn(&str) -> bool,
) -> Result<CostTable, Vec<String>> {
    let mut problems = std::collections::BTreeSet::new();
    let mut costs = CostTable::new();
    let member_code = |gm: &str, problems: &mut std::collections::BTreeSet<String>| {
        if !is_member(gm) {
            problems.insert(format!("{gm} heeft productie maar is in dat jaar geen lid van de regio"));
            return None;
        }
        MunicipalityCode::parse(gm).map_err(|e| problems.insert(e.reason)).ok()
    };
    for (gm, category, cents) in category_costs {
        let Some(pool) = agreement.pool_for_category(category) else {
            problems.insert(format!("productcategorie {category} hoort bij geen pot van het model"));
            continue;
        };
        let Some(member) = member_code(gm, &mut problems) else { continue };
        let entry = costs.entry((pool.to_string(), member)).or_default();
        entry.total_cents += cents;
        entry.clients_listed = true;
    }
    for (pool, clients) in expensive {
        for (gm, cents) in clients {
            let Some(member) = member_code(gm, &mut problems) else { continue };
            costs.entry((pool.clone(), member)).or_default().client_cents.push(*cents);
        }
    }
    for c in costs.values_mut() {
        c.client_cents.sort_unstable();
    }
    if problems.is_empty() {
        Ok(costs)
    } else {
        Err(problems.into_iter().collect())
    }
}

/// The categories a pool's costs come from: its own list, or for the pool without a list, every
/// category the other pools do not list (`except` = true).
pub fn pool_categories(agreement: &Agreement, pool: &str) -> (Vec<String>, bool) {
    match agreement.pools.iter().find(|p| p.name == pool) {
        Some(p) if !p.categories.is_empty() => (p.categories.clone(), false),
        _ => (agreement.pools.iter().flat_map(|p| p.categories.iter().cloned()).collect(), true),
    }
}

/// The data rows of a table with their line numbers.
type Rows = Vec<(usize, Vec<String>)>;

/// A CSV table: lower-cased headers (ë read as e) and the rows that have every column.
fn table(bytes: &[u8]) -> Result<(Vec<String>, Rows), Vec<RowError>> {
    let err = |line: usize, field: &str, rule: &str, reason: String| RowError {
        line,
        field: field.to_string(),
        rule: rule.to_string(),
        reason,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| vec![err(1, "", "encoding", "Het bestand is geen UTF-8; sla het op als 'CSV UTF-8'.".into())])?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = if text.lines().next().unwrap_or("").contains(';') { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| vec![err(1, "", "csv", format!("De kopregel is onleesbaar: {e}"))])?
        .iter()
        .map(|h| h.to_lowercase().replace('ë', "e"))
        .collect();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line() as usize).unwrap_or(0);
                if r.iter().all(str::is_empty) {
                    continue;
                }
                if r.len() != headers.len() {
                    errors.push(err(
                        line,
                        "",
                        "column-count",
                        format!("{} kolommen, de kopregel heeft er {}.", r.len(), headers.len()),
                    ));
                    continue;
                }
                rows.push((line, r.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                errors.push(err(line, "", "csv", format!("Onleesbare regel: {e}")));
            }
        }
    }
    if errors.is_empty() {
        Ok((headers, rows))
    } else {
        Err(errors)
    }
}

fn row_error(line: usize, field: &str, rule: &str, reason: impl Into<String>) -> RowError {
    RowError { line, field: field.into(), rule: rule.into(), reason: reason.into() }
}

/// Parses a cost table: columns `gemeente`, `pot`, `kosten` (euros, Dutch notation) and
/// optionally `client`, in which case each row is one client's cost in the pool.
pub fn parse_costs_csv(bytes: &[u8]) -> Result<CostTable, Vec<RowError>> {
    let (headers, rows) = table(bytes)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut errors: Vec<RowError> = ["gemeente", "pot", "kosten"]
        .iter()
        .filter(|c| col(c).is_none())
        .map(|c| row_error(1, c, "missing-column", format!("De kolom '{c}' ontbreekt.")))
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let (c_member, c_pool, c_cost) =
        (col("gemeente").unwrap_or(0), col("pot").unwrap_or(0), col("kosten").unwrap_or(0));
    let c_client = col("client");
    let mut costs = CostTable::new();
    for (line, r) in rows {
        let member = MunicipalityCode::parse(&r[c_member]).map_err(|e| row_error(line, "gemeente", &e.code, e.reason));
        let cost = match Cents::parse(&r[c_cost]) {
            Ok(c) if c.0 < 0 => Err(row_error(line, "kosten", "range", "Kosten kunnen niet negatief zijn.")),
            Ok(c) => Ok(c.0),
            Err(e) => Err(row_error(line, "kosten", &e.code, e.reason)),
        };
        let pool = r[c_pool].trim().to_string();
        if pool.is_empty() {
            errors.push(row_error(line, "pot", "required", "De pot ontbreekt."));
            continue;
        }
        match (member, cost) {
            (Ok(member), Ok(cost)) => {
                let entry = costs.entry((pool, member)).or_default();
                entry.total_cents = entry.total_cents.saturating_add(cost);
                if c_client.is_some_and(|c| !r[c].is_empty()) {
                    entry.client_cents.push(cost);
                    entry.clients_listed = true;
                }
            }
            (m, c) => errors.extend(m.err().into_iter().chain(c.err())),
        }
    }
    if errors.is_empty() {
        Ok(costs)
    } else {
        Err(errors)
    }
}

/// Parses a key table: a column `gemeente` and one column per key (counts, amounts or, for
/// `vast`, percentages; Dutch notation). An empty cell is a missing value, never a zero.
pub fn parse_keys_csv(bytes: &[u8]) -> Result<KeyTable, Vec<RowError>> {
    let (headers, rows) = table(bytes)?;
    let Some(c_member) = headers.iter().position(|h| h == "gemeente") else {
        return Err(vec![row_error(1, "gemeente", "missing-column", "De kolom 'gemeente' ontbreekt.")]);
    };
    let mut keys = KeyTable::new();
    let mut errors = Vec::new();
    for (line, r) in rows {
        let member = match MunicipalityCode::parse(&r[c_member]) {
            Ok(m) => m,
            Err(e) => {
                errors.push(row_error(line, "gemeente", &e.code, e.reason));
                continue;
            }
        };
        let mut values = BTreeMap::new();
        for (i, name) in headers.iter().enumerate() {
            if i == c_member || r[i].is_empty() {
                continue;
            }
            match Cents::parse(&r[i]) {
                Ok(v) if v.0 >= 0 => {
                    values.insert(name.clone(), v.0);
                }
                Ok(_) => errors.push(row_error(line, name, "range", "Een sleutelwaarde kan niet negatief zijn.")),
                Err(e) => errors.push(row_error(line, name, &e.code, e.reason)),
            }
        }
        if keys.insert(member.clone(), values).is_some() {
            errors.push(row_error(line, "gemeente", "duplicate", format!("{member} staat er twee keer in.")));
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{"naam": "Afspraak 2026", "potten": [
        {"naam": "verblijf", "solidariteit": 100, "sleutel": "Inwoners", "drempel": 100000},
        {"naam": "overig", "solidariteit": 50, "sleutel": "vast", "maxInleg": 250000,
         "overgang": [{"jaar": 2026, "solidariteit": 50}, {"jaar": 2027, "solidariteit": 25}]}]}"#;

    proptest::proptest! {
        /// Any text or bytes: the agreement and table readers answer without panicking, and an
        /// agreement they accept settles with solidarity within 0–100 % in any year.
        #[test]
        fn readers_never_panic(text in ".{0,400}", bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                               solidarity in "-?[0-9]{1,4}(\\.[0-9]{1,4})?", year in 1990i32..2110) {
            let _ = Agreement::parse(&text);
            let _ = parse_costs_csv(&bytes);
            let _ = parse_keys_csv(&bytes);
            let _ = parse_costs_csv(text.as_bytes());
            let model = format!(
                r#"{{"naam": "x", "potten": [{{"naam": "p", "solidariteit": {solidarity}, "sleutel": "inwoners", "overgang": [{{"jaar": 2027, "solidariteit": {solidarity}}}]}}]}}"#
            );
            if let Ok(a) = Agreement::parse(&model) {
                proptest::prop_assert!(a.pools_in(year).iter().all(|p| p.solidarity_basis_points <= 10_000));
            }
        }
    }

    #[test]
    fn an_agreement_with_a_transition() {
        let a = Agreement::parse(MODEL).unwrap();
        let pools = a.pools_in(2028);
        assert_eq!(pools[0].key, "inwoners");
        assert_eq!(pools[0].threshold_cents, Some(10_000_000));
        assert_eq!(pools[1].solidarity_basis_points, 2_500);
        assert_eq!(a.pools_in(2026)[1].solidarity_basis_points, 5_000);
        // Before the path starts, the pot's own solidarity.
        let later = Agreement::parse(
            r#"{"naam": "x", "potten": [{"naam": "p", "solidariteit": 80, "sleutel": "inwoners", "overgang": [{"jaar": 2027, "solidariteit": 25}]}]}"#,
        )
        .unwrap();
        assert_eq!(later.pools_in(2026)[0].solidarity_basis_points, 8_000);
        assert_eq!(later.pools_in(2027)[0].solidarity_basis_points, 2_500);
        assert_eq!(pools[1].max_pay_in_cents, Some(25_000_000));
    }

    #[test]
    fn a_fixed_table_in_the_agreement_is_checked() {
        let with = |table: &str, key: &str| {
            Agreement::parse(&format!(
                r#"{{"naam": "x", "potten": [{{"naam": "p", "solidariteit": 100, "sleutel": "{key}", "vasteVerdeling": {table}}}]}}"#
            ))
        };
        let a = with(r#"{"GM0518": 60.5, "GM0503": 39.5}"#, "vast").unwrap();
        let table = a.pools_in(2026)[0].fixed_shares.clone().unwrap();
        assert_eq!(table.get("GM0518"), Some(&6_050));
        assert_eq!(
            with(r#"{"GM0518": 60, "GM0503": 30}"#, "vast").unwrap_err(),
            ["pot p: de vaste percentages tellen op tot 90,00 %, niet tot 100 %"]
        );
        assert_eq!(
            with(r#"{"GM0518": 100}"#, "inwoners").unwrap_err(),
            ["pot p: een vaste verdeling hoort bij sleutel vast, niet bij inwoners"]
        );
        let errors = with(r#"{"Delft": 50, "GM0518": 50.001}"#, "vast").unwrap_err();
        assert!(errors.iter().any(|e| e.contains("Delft in de vaste verdeling is geen gemeentecode")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("50.001")), "{errors:?}");
    }

    #[test]
    fn production_costs_go_to_the_pool_of_their_category() {
        let a = Agreement::parse(
            r#"{"naam": "x", "potten": [{"naam": "verblijf", "categorieen": ["43", "46"], "solidariteit": 100, "sleutel": "inwoners"},
                                       {"naam": "overig", "solidariteit": 0, "sleutel": "inwoners"}]}"#,
        )
        .unwrap();
        assert_eq!((a.pool_for_category("46"), a.pool_for_category("45")), (Some("verblijf"), Some("overig")));
        let twice = r#"{"naam": "x", "potten": [{"naam": "a", "categorieen": ["43"], "solidariteit": 0, "sleutel": "k"},
                                               {"naam": "b", "categorieen": ["43"], "solidariteit": 0, "sleutel": "k"},
                                               {"naam": "c", "solidariteit": 0, "sleutel": "k"},
                                               {"naam": "d", "solidariteit": 0, "sleutel": "k"}]}"#;
        let problems = Agreement::parse(twice).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("categorie 43 staat in pot a en in pot b"));
    }

    #[test]
    fn bad_agreements_name_every_problem() {
        let bad = r#"{"naam": "x", "potten": [{"naam": "a", "solidariteit": 120, "sleutel": "", "drempel": -5},
                                             {"naam": "a", "solidariteit": 33.333, "sleutel": "inwoners"}]}"#;
        let problems = Agreement::parse(bad).unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(Agreement::parse(r#"{"naam": "x", "potten": [], "extra": 1}"#).unwrap_err()[0].contains("onleesbaar"));
    }

    #[test]
    fn costs_and_keys_in_dutch_notation() {
        let costs = "gemeente;pot;client;kosten\nGM0518;verblijf;a;150.000,00\nGM0518;verblijf;b;20.000\n0503;overig;;1.000,50\n";
        let table = parse_costs_csv(costs.as_bytes()).unwrap();
        let haag = &table[&("verblijf".to_string(), MunicipalityCode::parse("GM0518").unwrap())];
        assert_eq!((haag.total_cents, haag.client_cents.clone()), (17_000_000, vec![15_000_000, 2_000_000]));
        let keys = parse_keys_csv("gemeente;inwoners;vast\nGM0518;552.995;80\nGM0503;;20\n".as_bytes()).unwrap();
        assert_eq!(keys[&MunicipalityCode::parse("GM0518").unwrap()]["inwoners"], 55_299_500);
        assert!(!keys[&MunicipalityCode::parse("GM0503").unwrap()].contains_key("inwoners"));
        let errors = parse_costs_csv("gemeente;pot;kosten\nGM9999x;a;-5\n".as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[1].line, errors[1].field.as_str()), (2, "kosten"));
        assert_eq!(parse_costs_csv(b"gemeente;kosten\n").unwrap_err()[0].field, "pot");
    }
}
