//! The analyses on top of a settlement: each member's Shapley value in the region's cost game
//! and the core check, leave or remain for one or more members, and the budget risk by
//! simulation; all from the imported production of a year. Shared by the pages and the API.

use crate::error::AppError;
use crate::forms::FormPairs;
use crate::risk_sharing::{production_inputs, settle_tables, AppliedAgreement, RegionSettlement};
use samenspel_calc::allocation::split;
use samenspel_calc::risk_sharing::{settle_agreement, without_members};
use samenspel_calc::shapley::{self, CoreCheck, GameMember, RegionGame, EXACT_LIMIT};
use samenspel_calc::simulation::{simulate, MemberModel, SimulatedAgreement, Simulation, MAX_YEARS};
use samenspel_domain::procurement::parse_percentage;
use samenspel_domain::risk_sharing::{CheckedPool, CostTable, KeyTable};
use samenspel_domain::{Cents, Invalid};
use samenspel_store::regions::RegionRow;
use samenspel_store::{Result, Store};
use std::collections::BTreeMap;

/// What the region knows of its costs besides care, for the cost game and leave-or-remain. The
/// defaults are an example to start from, shown as such; a region enters its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameSettings {
    /// The regional team (shared execution costs) per year.
    pub team_cents: i64,
    /// What procuring and managing contracts alone would cost a member per year.
    pub standalone_overhead_cents: i64,
    /// What a member still spends itself inside the collaboration per year.
    pub inside_overhead_cents: i64,
    /// The price of carrying risk: a percentage (basis points) of the yearly cost's spread.
    pub risk_price_basis_points: u32,
    /// A client costing more than this in a year counts as expensive care in the cost model.
    pub expensive_from_cents: i64,
}

impl Default for GameSettings {
    fn default() -> Self {
        GameSettings {
            team_cents: 100_000_000,
            standalone_overhead_cents: 30_000_000,
            inside_overhead_cents: 5_000_000,
            risk_price_basis_points: 1_000,
            expensive_from_cents: 7_500_000,
        }
    }
}

/// The largest amount a setting takes (€ 10 billion): sums over every coalition stay far from
/// overflowing.
pub const MAX_SETTING_CENTS: i64 = 1_000_000_000_000;

/// The fields of the settings as the pages and the API name them, with their labels.
pub const SETTING_FIELDS: [(&str, &str); 5] = [
    ("team", "Regionaal team per jaar"),
    ("overheadAlleen", "Overhead per gemeente alleen"),
    ("overheadBinnen", "Overhead per gemeente binnen de regio"),
    ("risicoprijs", "Prijs van risico"),
    ("dureZorgVanaf", "Dure zorg vanaf"),
];

/// The label of a setting's field, for messages on the pages.
pub fn setting_label(field: &str) -> &str {
    SETTING_FIELDS.iter().find(|(f, _)| *f == field).map(|(_, l)| *l).unwrap_or(field)
}

impl GameSettings {
    /// Reads the settings from a query; an absent field keeps its default.
    pub fn from_query(q: &FormPairs) -> std::result::Result<GameSettings, Invalid> {
        let mut s = GameSettings::default();
        let mut invalid = Invalid::new();
        for (field, target) in [
            ("team", &mut s.team_cents),
            ("overheadAlleen", &mut s.standalone_overhead_cents),
            ("overheadBinnen", &mut s.inside_overhead_cents),
            ("dureZorgVanaf", &mut s.expensive_from_cents),
        ] {
            let value = q.get(field).trim();
            if value.is_empty() {
                continue;
            }
            match Cents::parse(value) {
                Ok(c) if (0..=MAX_SETTING_CENTS).contains(&c.0) => *target = c.0,
                Ok(_) => invalid.push(field, "range", "Vul een bedrag van € 0 tot € 10 miljard in."),
                Err(_) => invalid.push(field, "pattern", "Vul een bedrag in euro's in, zoals 250.000."),
            }
        }
        let price = q.get("risicoprijs").trim();
        if !price.is_empty() {
            match parse_percentage(price) {
                Ok(bp) if (0..=10_000).contains(&bp) => s.risk_price_basis_points = bp as u32,
                _ => invalid.push("risicoprijs", "range", "Vul een percentage van 0 tot en met 100 in."),
            }
        }
        if invalid.is_empty() {
            Ok(s)
        } else {
            Err(invalid)
        }
    }

    /// The settings as query values (Dutch notation), for forms and links.
    pub fn values(&self) -> [(&'static str, String); 5] {
        let bp = self.risk_price_basis_points;
        [
            ("team", Cents(self.team_cents).plain()),
            ("overheadAlleen", Cents(self.standalone_overhead_cents).plain()),
            ("overheadBinnen", Cents(self.inside_overhead_cents).plain()),
            (
                "risicoprijs",
                if bp.is_multiple_of(100) { (bp / 100).to_string() } else { format!("{},{:02}", bp / 100, bp % 100) },
            ),
            ("dureZorgVanaf", Cents(self.expensive_from_cents).plain()),
        ]
    }
}

/// Each member's cost model fitted to its clients' costs in the year (all categories), with its
/// budget (member figures) and its weight in the simulated agreement (the first pool's key).
pub async fn fitted_models(
    store: &Store,
    region: &RegionRow,
    year: i32,
    law: &str,
    keys: &KeyTable,
    pool: &CheckedPool,
    expensive_from_cents: i64,
) -> Result<std::result::Result<Vec<MemberModel>, Vec<String>>> {
    let mut clients: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (member, cents) in store.clients_above(region.id, year, law, (&[], true), 0).await? {
        clients.entry(member).or_default().push(cents);
    }
    let mut models = Vec::new();
    let mut missing = Vec::new();
    for (member, values) in keys {
        let weight = match &pool.fixed_shares {
            Some(table) => table.get(member.as_str()).copied(),
            None => values.get(&pool.key).copied(),
        };
        let Some(weight) = weight else {
            missing.push(member.to_string());
            continue;
        };
        let costs = clients.remove(member.as_str()).unwrap_or_default();
        models.push(MemberModel::fit(
            member.as_str(),
            &[costs],
            expensive_from_cents,
            values.get("budget").map(|b| *b as f64 / 100.0),
            weight as f64,
        ));
    }
    if missing.is_empty() {
        Ok(Ok(models))
    } else {
        Ok(Err(vec![format!("pot {}: sleutel {} heeft geen waarde voor {}", pool.name, pool.key, missing.join(", "))]))
    }
}

/// The agreement as the simulation plays it: the first pool's solidarity and key, and the
/// first threshold of any pool (the simulation draws each member's whole care cost).
pub fn simulated_agreement(pools: &[CheckedPool]) -> SimulatedAgreement {
    SimulatedAgreement {
        solidarity: pools.first().map(|p| f64::from(p.solidarity_basis_points) / 10_000.0).unwrap_or(0.0),
        threshold_euros: pools.iter().find_map(|p| p.threshold_cents).map(|c| c as f64 / 100.0),
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
}

/// Runs a simulation off the async runtime: a million years take a second of both cores.
pub async fn simulate_blocking(
    models: Vec<MemberModel>,
    agreement: SimulatedAgreement,
    years: u64,
    seed: u64,
) -> std::result::Result<std::result::Result<Simulation, String>, AppError> {
    tokio::task::spawn_blocking(move || simulate(&models, agreement, years, seed, threads()).map_err(|e| e.to_string()))
        .await
        .map_err(AppError::internal)
}

/// The inputs of the analyses: the settlement under the agreement, its tables, the fitted
/// models.
pub struct Analysis {
    pub settled: RegionSettlement,
    pub costs: CostTable,
    pub keys: KeyTable,
    pub models: Vec<MemberModel>,
}

pub async fn analysis(
    store: &Store,
    region: &RegionRow,
    year: i32,
    law: &str,
    agreement: AppliedAgreement,
    expensive_from_cents: i64,
) -> Result<std::result::Result<Analysis, Vec<String>>> {
    let (costs, keys) = match production_inputs(store, region, year, law, &agreement.model).await? {
        Ok(t) => t,
        Err(p) => return Ok(Err(p)),
    };
    let pools = agreement.model.pools_in(year);
    let settled = match settle_tables(store, region, year, law, agreement, None, &costs, &keys).await? {
        Ok(s) => s,
        Err(p) => return Ok(Err(p)),
    };
    let Some(first) = pools.first() else { return Ok(Err(vec!["de afspraak heeft geen potten".into()])) };
    let models = match fitted_models(store, region, year, law, &keys, first, expensive_from_cents).await? {
        Ok(m) => m,
        Err(p) => return Ok(Err(p)),
    };
    Ok(Ok(Analysis { settled, costs, keys, models }))
}

/// Splits `total` over the members in proportion to their inhabitants (exact to the cent).
fn by_inhabitants(total: i64, keys: &KeyTable) -> std::result::Result<Vec<i64>, String> {
    let weights: Vec<i128> = keys.values().map(|v| i128::from(*v.get("inwoners").unwrap_or(&0))).collect();
    split(total, &weights)
        .map_err(|_| "de inwoners van de leden zijn onbekend; het team kan niet worden verdeeld".into())
}

/// One member in the fair-allocation view; amounts in cents.
#[derive(Debug, Clone, PartialEq)]
pub struct FairLine {
    pub member: String,
    pub care_cents: i64,
    pub sd_cents: i64,
    /// c({i}): the member alone.
    pub alone_cents: i64,
    pub shapley_cents: i64,
    /// Half the 95 % interval when sampled.
    pub margin_cents: Option<i64>,
    /// What the agreement charges: its contribution, its inside overhead, its share of the team
    /// and of the region's risk price (both by inhabitants).
    pub charged_cents: i64,
}

pub struct FairAllocation {
    pub lines: Vec<FairLine>,
    /// c(N): the whole region.
    pub total_cents: i64,
    pub exact: bool,
    pub samples: u32,
    pub core: CoreCheck,
}

/// The region's cost game from the analysis: Shapley values (exact up to 25 members, sampled
/// beyond), what the agreement charges, and the coalitions that would be better off alone.
pub fn fair_allocation(a: &Analysis, s: &GameSettings) -> std::result::Result<FairAllocation, String> {
    let c = &a.settled.comparison;
    let at = a.settled.agreement_index;
    let sd: BTreeMap<&str, f64> = a.models.iter().map(|m| (m.member.as_str(), m.yearly_sd_euros())).collect();
    let members: Vec<GameMember> = c
        .members
        .iter()
        .map(|m| GameMember {
            member: m.member.clone(),
            care_cents: m.own_cents,
            standalone_overhead_cents: s.standalone_overhead_cents,
            inside_overhead_cents: s.inside_overhead_cents,
            cost_sd_cents: (sd.get(m.member.as_str()).copied().unwrap_or(0.0) * 100.0).round() as i64,
        })
        .collect();
    let n = members.len();
    if n < 2 {
        return Err("een spel heeft ten minste twee leden nodig".into());
    }
    let game = RegionGame::new(&members, s.team_cents, s.risk_price_basis_points);
    use shapley::CostGame;
    let everyone = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let total = game.cost(everyone);
    let (values, margins, exact, samples) = if n <= EXACT_LIMIT {
        (shapley::exact(&game).map_err(|e| e.to_string())?, None, true, 0)
    } else {
        let sampled = shapley::sampled(&game, 20_000, 1).map_err(|e| e.to_string())?;
        (sampled.values, Some(sampled.margin), false, sampled.samples)
    };
    // What the agreement charges: contribution + inside overhead, plus the team and the rest of
    // c(N) (the region's risk price) by inhabitants, so the charges add up to c(N) as well.
    let contributions: Vec<i64> = c.members.iter().map(|m| m.contribution_cents[at]).collect();
    let direct: i64 = contributions.iter().sum::<i64>() + s.inside_overhead_cents * n as i64;
    let shared = by_inhabitants(total - direct, &a.keys)?;
    let charged: Vec<i64> = contributions
        .iter()
        .zip(&shared)
        .map(|(contribution, share)| contribution + s.inside_overhead_cents + share)
        .collect();
    let core = shapley::core_check(&game, &charged, 10);
    let lines = members
        .iter()
        .enumerate()
        .map(|(i, m)| FairLine {
            member: m.member.clone(),
            care_cents: m.care_cents,
            sd_cents: m.cost_sd_cents,
            alone_cents: game.cost(1 << i),
            shapley_cents: values[i],
            margin_cents: margins.as_ref().map(|ms| ms[i].round() as i64),
            charged_cents: charged[i],
        })
        .collect();
    Ok(FairAllocation { lines, total_cents: total, exact, samples, core })
}

/// A remaining member before and after the others leave.
#[derive(Debug, Clone, PartialEq)]
pub struct RemainingLine {
    pub member: String,
    pub contribution_before_cents: i64,
    pub contribution_after_cents: i64,
    /// Share of the regional team (by inhabitants) before and after.
    pub team_before_cents: i64,
    pub team_after_cents: i64,
    pub var95_before: f64,
    pub var95_after: f64,
}

/// A leaving member: cost and risk inside versus alone, and what its leaving touches.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaverLine {
    pub member: String,
    pub care_cents: i64,
    pub contribution_cents: i64,
    pub team_share_cents: i64,
    pub inside_total_cents: i64,
    pub alone_total_cents: i64,
    pub sd_inside: f64,
    pub sd_alone: f64,
    pub var95_inside: f64,
    pub var95_alone: f64,
    pub overrun_inside: Option<f64>,
    pub overrun_alone: Option<f64>,
    pub providers: Vec<String>,
    pub contracts: Vec<String>,
    pub running_clients: i64,
}

pub struct LeaveScenario {
    pub leavers: Vec<LeaverLine>,
    pub remaining: Vec<RemainingLine>,
    pub footprint_day: time::Date,
    pub years: u64,
}

/// Simulated years for leave-or-remain: enough for a stable 95th percentile per member.
pub const LEAVE_YEARS: u64 = 20_000;

/// What leaving would mean for `leaving` and for everyone else, under the agreement.
pub async fn leave_scenario(
    store: &Store,
    region: &RegionRow,
    a: &Analysis,
    s: &GameSettings,
    leaving: &[String],
    seed: u64,
) -> std::result::Result<std::result::Result<LeaveScenario, Vec<String>>, AppError> {
    let mut unique: Vec<String> = Vec::new();
    for l in leaving {
        if !unique.contains(l) {
            unique.push(l.clone());
        }
    }
    let leaving = unique.as_slice();
    let year = a.settled.year;
    let law = a.settled.law.clone();
    let c = &a.settled.comparison;
    let at = a.settled.agreement_index;
    let unknown: Vec<&String> = leaving.iter().filter(|l| !c.members.iter().any(|m| &m.member == *l)).collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|u| u.as_str()).collect();
        return Ok(Err(vec![format!("{} is in {year} geen lid van de regio", names.join(", "))]));
    }
    if leaving.is_empty() {
        return Ok(Err(vec!["kies ten minste één gemeente die uittreedt".into()]));
    }
    if leaving.len() >= c.members.len() {
        return Ok(Err(vec!["er moet ten minste één gemeente overblijven".into()]));
    }
    let pools = a.settled.agreement.model.pools_in(year);
    let (after_pools, after_costs, after_keys) = without_members(&pools, &a.costs, &a.keys, leaving);
    // Limits the others can no longer carry, or a key nobody left has: said, not a failure.
    let after = match settle_agreement(&after_pools, &after_costs, &after_keys) {
        Ok(after) => after,
        Err(problems) => {
            return Ok(Err(problems.into_iter().map(|p| format!("na uittreden: {p}")).collect()));
        }
    };
    let mut after_contribution: BTreeMap<String, i64> = BTreeMap::new();
    for pool in &after {
        for m in &pool.members {
            *after_contribution.entry(m.member.clone()).or_default() += m.contribution_cents;
        }
    }
    let (team_before, team_after) =
        match (by_inhabitants(s.team_cents, &a.keys), by_inhabitants(s.team_cents, &after_keys)) {
            (Ok(before), Ok(after)) => (before, after),
            (Err(e), _) | (_, Err(e)) => return Ok(Err(vec![e])),
        };
    let team_before: BTreeMap<String, i64> = a.keys.keys().map(|m| m.to_string()).zip(team_before).collect();
    let team_after: BTreeMap<String, i64> = after_keys.keys().map(|m| m.to_string()).zip(team_after).collect();
    // Risk: the whole region simulated, then the region without the leavers.
    let agreement = simulated_agreement(&pools);
    let before_sim = match simulate_blocking(a.models.clone(), agreement, LEAVE_YEARS, seed).await? {
        Ok(sim) => sim,
        Err(e) => return Ok(Err(vec![e])),
    };
    let staying: Vec<MemberModel> = a.models.iter().filter(|m| !leaving.contains(&m.member)).cloned().collect();
    let after_sim = match simulate_blocking(staying, agreement, LEAVE_YEARS, seed).await? {
        Ok(sim) => sim,
        Err(e) => return Ok(Err(vec![e])),
    };
    let risk = |sim: &Simulation, member: &str| sim.members.iter().find(|m| m.member == member).cloned();
    let today = samenspel_store::today();
    let footprint_day = if today.year() == year {
        today
    } else {
        time::Date::from_calendar_date(year, time::Month::December, 31).map_err(AppError::internal)?
    };
    let provider_names: BTreeMap<i64, String> = store
        .providers(region.id, true, samenspel_store::PageRequest::all())
        .await?
        .items
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let contracts = store.contracts(region.id, None).await?;
    let year_period = samenspel_domain::procurement::Period {
        starts_on: time::Date::from_calendar_date(year, time::Month::January, 1).map_err(AppError::internal)?,
        ends_on: Some(time::Date::from_calendar_date(year, time::Month::December, 31).map_err(AppError::internal)?),
    };
    let mut leavers = Vec::new();
    for gm in leaving {
        let line = c.members.iter().find(|m| &m.member == gm).ok_or_else(|| AppError::internal("lid verdwenen"))?;
        let footprint = store.member_footprint(region.id, &law, gm, year, footprint_day).await?;
        let team_share = team_before.get(gm).copied().unwrap_or(0);
        let r = risk(&before_sim, gm);
        let contract_names: Vec<String> = contracts
            .iter()
            .filter(|k| footprint.provider_lots.contains(&(k.provider_id, k.lot_id)))
            .filter(|k| k.period().overlaps(&year_period))
            .map(|k| format!("{} – {}", k.provider_name, k.lot_name))
            .collect();
        leavers.push(LeaverLine {
            member: gm.clone(),
            care_cents: line.own_cents,
            contribution_cents: line.contribution_cents[at],
            team_share_cents: team_share,
            inside_total_cents: line.contribution_cents[at] + s.inside_overhead_cents + team_share,
            alone_total_cents: line.own_cents + s.standalone_overhead_cents,
            sd_inside: r.as_ref().map(|r| r.sd_inside).unwrap_or(0.0),
            sd_alone: r.as_ref().map(|r| r.sd_standalone).unwrap_or(0.0),
            var95_inside: r.as_ref().map(|r| r.var95_inside).unwrap_or(0.0),
            var95_alone: r.as_ref().map(|r| r.var95_standalone).unwrap_or(0.0),
            overrun_inside: r.as_ref().and_then(|r| r.overrun_inside),
            overrun_alone: r.as_ref().and_then(|r| r.overrun_standalone),
            providers: footprint.providers.iter().map(|p| provider_names.get(p).cloned().unwrap_or_default()).collect(),
            contracts: contract_names,
            running_clients: footprint.running_clients,
        });
    }
    let remaining = c
        .members
        .iter()
        .filter(|m| !leaving.contains(&m.member))
        .map(|m| RemainingLine {
            member: m.member.clone(),
            contribution_before_cents: m.contribution_cents[at],
            contribution_after_cents: after_contribution.get(&m.member).copied().unwrap_or(0),
            team_before_cents: team_before.get(&m.member).copied().unwrap_or(0),
            team_after_cents: team_after.get(&m.member).copied().unwrap_or(0),
            var95_before: risk(&before_sim, &m.member).map(|r| r.var95_inside).unwrap_or(0.0),
            var95_after: risk(&after_sim, &m.member).map(|r| r.var95_inside).unwrap_or(0.0),
        })
        .collect();
    Ok(Ok(LeaveScenario { leavers, remaining, footprint_day, years: LEAVE_YEARS }))
}

/// The most years the pages and the API simulate in one request.
pub const WEB_MAX_YEARS: u64 = 1_000_000;
const _: () = assert!(WEB_MAX_YEARS <= MAX_YEARS);
