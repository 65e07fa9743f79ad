//! Assembles what the settlement needs from the store (each member's costs per pool from the
//! imported production, the keys from the member figures and earlier years' clients) and runs
//! the comparison; shared by the pages, the API and the command line.

use crate::error::AppError;
use crate::AppState;
use samenspel_calc::risk_sharing::{compare, Comparison};
use samenspel_domain::risk_sharing::{Agreement, CostTable, KeyTable, FIXED_KEY};
use samenspel_domain::Invalid;
use samenspel_domain::MunicipalityCode;
use samenspel_store::production::SpendFilter;
use samenspel_store::regions::{MembershipRow, RegionRow};
use samenspel_store::risk_sharing::AgreementStatus;
use samenspel_store::risk_sharing::{AgreementRow, AgreementVersionRow};
use samenspel_store::{Result, Store, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The laws a settlement reads production of.
pub const LAWS: [&str; 2] = ["jeugd", "wmo"];

/// The keys a region has without a table: what `production_inputs` fills in.
pub const REGION_KEYS: [(&str, &str); 6] = [
    ("inwoners", "inwoners (CBS)"),
    ("jeugdigen", "jeugdigen 0–17 jaar (kerncijfers)"),
    ("budget", "budget of integratie-uitkering van het jaar (kerncijfers)"),
    ("clienten_vorig_jaar", "cliënten in het jaar ervoor"),
    ("clienten_gemiddeld_3_jaar", "cliënten, gemiddelde van de drie jaren ervoor"),
    (FIXED_KEY, "vaste percentages (in de afspraak)"),
];

/// A key as the pages name it (`clienten_vorig_jaar` → `cliënten vorig jaar`).
pub fn key_label(key: &str) -> String {
    match key {
        "clienten_vorig_jaar" => "cliënten vorig jaar".into(),
        "clienten_gemiddeld_3_jaar" => "cliënten, gemiddelde van 3 jaar".into(),
        FIXED_KEY => "vaste verdeling".into(),
        other => other.replace('_', " "),
    }
}

/// A model's name as the pages show it: the reference models with their key's label.
pub fn model_label(name: &str) -> String {
    match name.strip_prefix("volledig solidair naar ") {
        Some(key) => format!("volledig solidair naar {}", key_label(key)),
        None => name.to_string(),
    }
}

/// A law as the pages name it.
pub fn law_label(law: &str) -> &'static str {
    if law == "wmo" {
        "Wmo 2015"
    } else {
        "Jeugdwet"
    }
}

/// The members of a region in (some part of) a year.
pub async fn members_in(store: &Store, region_id: i64, year: i32) -> Result<Vec<MembershipRow>> {
    let first = time::Date::from_calendar_date(year, time::Month::January, 1).map_err(|_| StoreError::NotFound)?;
    let last = time::Date::from_calendar_date(year, time::Month::December, 31).map_err(|_| StoreError::NotFound)?;
    Ok(store
        .memberships(region_id)
        .await?
        .into_iter()
        .filter(|m| m.joined_on <= last && m.left_on.is_none_or(|l| l >= first))
        .collect())
}

/// The costs and keys of a region's year from the database: each client's cost per member and
/// product category (pooled by the agreement's categories), and as keys the inhabitants, the
/// youths and budget from the member figures, and the clients of the previous year and of the
/// three years before (in hundredths, like the key table). Every problem named.
pub async fn production_inputs(
    store: &Store,
    region: &RegionRow,
    year: i32,
    law: &str,
    agreement: &Agreement,
) -> Result<std::result::Result<(CostTable, KeyTable), Vec<String>>> {
    if !LAWS.contains(&law) {
        return Ok(Err(vec![format!("wet '{law}' bestaat niet; kies jeugd of wmo")]));
    }
    let members = members_in(store, region.id, year).await?;
    let mut problems = Vec::new();
    let is_member = |gm: &str| members.iter().any(|m| m.municipality_code == gm);
    let costs = match store.settlement_costs(region.id, year, law, agreement, is_member).await? {
        None => {
            problems.push(format!("regio {} heeft geen ingelezen productie ({law}) in {year}", region.code));
            CostTable::new()
        }
        Some(Ok(costs)) => costs,
        Some(Err(found)) => {
            problems.extend(found.into_iter().map(|p| format!("{p} ({year})")));
            CostTable::new()
        }
    };
    let figures = store.figures(region.id, year).await?;
    let clients_in = |y: i32| SpendFilter { law: Some(law.to_string()), ..SpendFilter::year(y) };
    let mut clients_per_year = Vec::new();
    for y in year - 3..year {
        let counts: BTreeMap<String, i64> = store
            .clients(region.id, "gemeente", &clients_in(y))
            .await?
            .into_iter()
            .map(|c| (c.key, c.clients))
            .collect();
        clients_per_year.push(counts);
    }
    let mut keys = KeyTable::new();
    for m in &members {
        let Ok(code) = MunicipalityCode::parse(&m.municipality_code) else {
            problems.push(format!("{} is geen gemeentecode", m.municipality_code));
            continue;
        };
        let mut values = BTreeMap::new();
        values.insert("inwoners".to_string(), m.inhabitants * 100);
        if let Some(f) = figures.iter().find(|f| f.municipality_code == m.municipality_code) {
            if let Some(youths) = f.youths {
                values.insert("jeugdigen".to_string(), youths * 100);
            }
            let budget = if law == "wmo" { f.budget_wmo_cents } else { f.budget_youth_cents };
            if let Some(b) = budget {
                values.insert("budget".to_string(), b);
            }
        }
        // A year without any production for the region has no client counts at all.
        if !clients_per_year[2].is_empty() {
            values.insert(
                "clienten_vorig_jaar".to_string(),
                clients_per_year[2].get(&m.municipality_code).copied().unwrap_or(0) * 100,
            );
        }
        if clients_per_year.iter().all(|y| !y.is_empty()) {
            let sum: i64 = clients_per_year.iter().map(|y| y.get(&m.municipality_code).copied().unwrap_or(0)).sum();
            values.insert("clienten_gemiddeld_3_jaar".to_string(), sum * 100);
        }
        keys.insert(code, values);
    }
    Ok(if problems.is_empty() { Ok((costs, keys)) } else { Err(problems) })
}

/// The keys of a key table the comparison shows full solidarity for: every column but the
/// fixed table and the budget (which the simulation reads as the members' budgets) that has a
/// value for every member.
pub fn reference_keys(keys: &KeyTable) -> Vec<String> {
    let (complete, _) = key_coverage(keys);
    complete
}

/// The keys with a value for every member, and the others with the members they lack.
pub fn key_coverage(keys: &KeyTable) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut names: Vec<String> = keys.values().flat_map(|v| v.keys().cloned()).collect();
    names.sort();
    names.dedup();
    names.retain(|k| k != FIXED_KEY && k != "budget");
    let (mut complete, mut incomplete) = (Vec::new(), Vec::new());
    for name in names {
        let missing: Vec<String> =
            keys.iter().filter(|(_, v)| !v.contains_key(&name)).map(|(m, _)| m.to_string()).collect();
        if missing.is_empty() {
            complete.push(name);
        } else {
            incomplete.push((name, missing));
        }
    }
    (complete, incomplete)
}

/// A stored agreement as it applied in a year.
#[derive(Debug, Clone)]
pub struct AppliedAgreement {
    pub row: AgreementRow,
    pub version: AgreementVersionRow,
    pub model: Agreement,
}

/// The version of a stored agreement in force in a year, or why there is none.
pub async fn applied(
    store: &Store,
    row: AgreementRow,
    year: i32,
) -> Result<std::result::Result<AppliedAgreement, String>> {
    let Some(version) = store.agreement_in_force(row.id, year).await? else {
        return Ok(Err(format!("afspraak {} heeft geen versie die geldt in {year}", row.name)));
    };
    Ok(match version.agreement() {
        Ok(model) => Ok(AppliedAgreement { row, version, model }),
        Err(problems) => Err(format!("afspraak {}: {}", row.name, problems.join("; "))),
    })
}

/// The settlement of a region's year under an agreement, compared with user pays, full
/// solidarity by each key and optionally a proposal.
#[derive(Debug, Clone)]
pub struct RegionSettlement {
    pub year: i32,
    pub law: String,
    pub agreement: AppliedAgreement,
    pub proposal: Option<AppliedAgreement>,
    pub comparison: Comparison,
    /// Index in `comparison.models` of the agreement (the proposal follows it).
    pub agreement_index: usize,
    /// Member names by municipality code.
    pub names: BTreeMap<String, String>,
    /// Keys the comparison leaves out because members lack a value, with those members.
    pub incomplete_keys: Vec<(String, Vec<String>)>,
}

/// Settles a year of a region from its imported production; problems with the input or the
/// agreement come back as a list.
pub async fn settle_region(
    store: &Store,
    region: &RegionRow,
    year: i32,
    law: &str,
    agreement: AppliedAgreement,
    proposal: Option<AppliedAgreement>,
) -> Result<std::result::Result<RegionSettlement, Vec<String>>> {
    let (costs, keys) = match production_inputs(store, region, year, law, &agreement.model).await? {
        Ok(inputs) => inputs,
        Err(problems) => return Ok(Err(problems)),
    };
    settle_tables(store, region, year, law, agreement, proposal, &costs, &keys).await
}

/// `settle_region` on tables the caller already read (the analyses need them too).
#[allow(clippy::too_many_arguments)]
pub async fn settle_tables(
    store: &Store,
    region: &RegionRow,
    year: i32,
    law: &str,
    agreement: AppliedAgreement,
    proposal: Option<AppliedAgreement>,
    costs: &CostTable,
    keys: &KeyTable,
) -> Result<std::result::Result<RegionSettlement, Vec<String>>> {
    let (reference, incomplete_keys) = key_coverage(keys);
    let current = agreement.model.pools_in(year);
    // The proposal's pools may take other categories and thresholds: its own cost table.
    let proposed = match &proposal {
        None => None,
        Some(p) => match production_inputs(store, region, year, law, &p.model).await? {
            Ok((costs, _)) => Some((p.model.name.clone(), p.model.pools_in(year), costs)),
            Err(problems) => {
                return Ok(Err(problems.into_iter().map(|x| format!("{}: {x}", p.model.name)).collect()));
            }
        },
    };
    let comparison = match compare(
        (&agreement.model.name, &current),
        proposed.as_ref().map(|(n, p, c)| (n.as_str(), p.as_slice(), c)),
        &reference,
        costs,
        keys,
    ) {
        Ok(c) => c,
        Err(mut problems) => {
            let mentions = |problems: &[String], key: &str| {
                problems.iter().any(|p| p.contains(&format!("sleutel {key} heeft geen waarde")))
            };
            let figures = mentions(&problems, "jeugdigen") || mentions(&problems, "budget");
            let history =
                mentions(&problems, "clienten_vorig_jaar") || mentions(&problems, "clienten_gemiddeld_3_jaar");
            if figures {
                problems.push(format!(
                    "Jeugdigen en budgetten zijn kerncijfers per jaar: de regio of de gemeente vult ze in onder Kerncijfers ({year})."
                ));
            }
            if history {
                problems.push(
                    "Cliënten in eerdere jaren komen uit de ingelezen productie van die jaren; lees die eerst in."
                        .into(),
                );
            }
            return Ok(Err(problems));
        }
    };
    let names = members_in(store, region.id, year)
        .await?
        .into_iter()
        .map(|m| (m.municipality_code.clone(), m.municipality_name.clone()))
        .collect();
    Ok(Ok(RegionSettlement {
        year,
        law: law.to_string(),
        agreement_index: 1 + reference.len(),
        agreement,
        proposal,
        comparison,
        names,
        incomplete_keys,
    }))
}

/// The query of every settlement view (page and API).
#[derive(Debug, Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SettlementQuery {
    /// The year to settle; default the year of the last complete month.
    #[param(value_type = Option<i32>)]
    pub jaar: Option<String>,
    /// `jeugd` (default) or `wmo`.
    pub wet: Option<String>,
    /// Id of the stored agreement; default the adopted one.
    #[param(value_type = Option<i64>)]
    pub afspraak: Option<String>,
    /// Id of a stored agreement to compare with.
    #[param(value_type = Option<i64>)]
    pub voorstel: Option<String>,
    /// `csv` on the pages for a download.
    #[param(ignore)]
    pub formaat: Option<String>,
}

/// What a settlement page settles: the year, the law, the agreement and optionally a proposal
/// (stored agreements; the adopted one by default).
pub struct Selection {
    pub year: i32,
    pub law: String,
    pub agreement: Option<AgreementRow>,
    pub proposal: Option<AgreementRow>,
    pub all: Vec<AgreementRow>,
}

/// Reads the selection; a wrong value is a clear error, a missing one takes its default.
pub async fn selection(
    state: &AppState,
    region: &RegionRow,
    q: &SettlementQuery,
) -> std::result::Result<Selection, AppError> {
    let mut invalid = Invalid::new();
    let default_year = crate::production::last_complete_month(samenspel_store::today()).0;
    let year = match q.jaar.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => default_year,
        Some(y) => match y.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                invalid.push("jaar", "range", "Het jaar ligt tussen 2000 en 2100.");
                default_year
            }
        },
    };
    let law = q.wet.clone().filter(|w| !w.is_empty()).unwrap_or_else(|| "jeugd".into());
    if !LAWS.contains(&law.as_str()) {
        invalid.push("wet", "enum", "Kies jeugd of wmo.");
    }
    let all = state.store.agreements(region.id).await?;
    let pick = |field: &'static str, value: Option<&str>, invalid: &mut Invalid| -> Option<AgreementRow> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        match value.parse::<i64>().ok().and_then(|id| all.iter().find(|a| a.id == id)) {
            Some(a) => Some(a.clone()),
            None => {
                invalid.push(field, "unknown", format!("Afspraak {value} bestaat niet in deze regio."));
                None
            }
        }
    };
    let agreement = pick("afspraak", q.afspraak.as_deref(), &mut invalid)
        .or_else(|| all.iter().find(|a| a.status == AgreementStatus::Adopted.code()).cloned())
        .or_else(|| all.first().cloned());
    let proposal = pick("voorstel", q.voorstel.as_deref(), &mut invalid);
    if invalid.is_empty() {
        Ok(Selection { year, law, agreement, proposal, all })
    } else {
        Err(AppError::invalid(invalid))
    }
}

/// The agreement (and proposal) as they applied in the year, or the reasons they cannot.
pub async fn applied_pair(
    state: &AppState,
    s: &Selection,
    year: i32,
) -> std::result::Result<std::result::Result<(AppliedAgreement, Option<AppliedAgreement>), Vec<String>>, AppError> {
    let Some(row) = s.agreement.clone() else {
        return Ok(Err(
            vec!["De regio heeft nog geen vereveningsafspraak; leg die eerst vast onder Afspraken.".into()],
        ));
    };
    let mut problems = Vec::new();
    let agreement = match applied(&state.store, row, year).await? {
        Ok(a) => Some(a),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let proposal = match s.proposal.clone() {
        None => None,
        Some(row) => match applied(&state.store, row, year).await? {
            Ok(a) => Some(a),
            Err(p) => {
                problems.push(p);
                None
            }
        },
    };
    Ok(match agreement {
        Some(a) if problems.is_empty() => Ok((a, proposal)),
        _ => Err(problems),
    })
}

/// Settles the selection's year; problems come back as a list.
pub async fn settle_selection(
    state: &AppState,
    region: &RegionRow,
    s: &Selection,
    year: i32,
) -> std::result::Result<std::result::Result<RegionSettlement, Vec<String>>, AppError> {
    let (agreement, proposal) = match applied_pair(state, s, year).await? {
        Ok(pair) => pair,
        Err(problems) => return Ok(Err(problems)),
    };
    Ok(settle_region(&state.store, region, year, &s.law, agreement, proposal).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_leaves_out_keys_some_members_lack() {
        let gm = |s: &str| MunicipalityCode::parse(s).unwrap();
        let mut keys = KeyTable::new();
        keys.insert(
            gm("GM0518"),
            BTreeMap::from([("inwoners".into(), 5), ("jeugdigen".into(), 1), ("budget".into(), 9)]),
        );
        keys.insert(gm("GM1842"), BTreeMap::from([("inwoners".into(), 2), (FIXED_KEY.into(), 10_000)]));
        let (complete, incomplete) = key_coverage(&keys);
        assert_eq!(complete, ["inwoners"]);
        assert_eq!(incomplete, [("jeugdigen".to_string(), vec!["GM1842".to_string()])]);
    }
}
