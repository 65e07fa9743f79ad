//! `samenspel verevening` and `samenspel simuleer`: the settlement, its comparison with the
//! reference models, and the budget risk, from an agreement file and tables (no database).

use anyhow::Context;
use samenspel_calc::risk_sharing::{reference_models, settle_agreement, PoolSettlement};
use samenspel_calc::simulation::{simulate, MemberModel, SimulatedAgreement};
use samenspel_domain::risk_sharing::{parse_costs_csv, parse_keys_csv, Agreement, CheckedPool, CostTable, KeyTable};
use samenspel_domain::Cents;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct SettlementArgs {
    /// De afspraak: een JSON-bestand met de potten (zie docs/verevening.md).
    #[arg(long)]
    pub model: PathBuf,
    /// Kosten per gemeente en pot (CSV: gemeente;pot;kosten, met een kolom client: per cliënt).
    #[arg(long, required_unless_present = "regio", conflicts_with = "regio")]
    pub kosten: Option<PathBuf>,
    /// Sleutelwaarden per gemeente (CSV: gemeente;inwoners;jeugdigen;...).
    #[arg(long, required_unless_present = "regio", conflicts_with = "regio")]
    pub sleutels: Option<PathBuf>,
    /// Reken met de ingelezen productie en de kerncijfers van deze regio uit de database in plaats
    /// van met tabellen; de potten nemen hun kosten uit de productcategorieën in het model.
    #[arg(long)]
    pub regio: Option<String>,
    /// De wet van de productie (`jeugd` of `wmo`), met --regio.
    #[arg(long, default_value = "jeugd")]
    pub wet: String,
    /// Het jaar (voor een overgangspad in het model).
    #[arg(long)]
    pub jaar: i32,
    /// Een voorgestelde afspraak om naast de huidige te zetten.
    #[arg(long)]
    pub vergelijk: Option<PathBuf>,
    /// Schrijf CSV (per model, pot en gemeente, met de uitleg) in plaats van een tabel.
    #[arg(long)]
    pub csv: bool,
    /// Toon per gemeente en pot de uitleg van het bedrag.
    #[arg(long)]
    pub uitleg: bool,
}

#[derive(clap::Args, Debug)]
pub struct SimulationArgs {
    /// De afspraak (JSON); de eerste pot met een drempel bepaalt de drempel in de simulatie.
    #[arg(long)]
    pub model: PathBuf,
    /// Kosten per cliënt (CSV: gemeente;pot;client;kosten), alle potten samen per cliënt.
    #[arg(long)]
    pub kosten: PathBuf,
    /// Sleutelwaarden (CSV); een kolom budget geeft het budget per gemeente in euro's.
    #[arg(long)]
    pub sleutels: PathBuf,
    #[arg(long)]
    pub jaar: i32,
    /// Aantal gesimuleerde jaren.
    #[arg(long, default_value_t = 100_000)]
    pub jaren: u64,
    /// Startwaarde van de toevalsgenerator: dezelfde waarde geeft dezelfde uitkomst.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Een cliënt die meer dan dit bedrag per jaar kost, telt als dure zorg (euro's).
    #[arg(long, default_value_t = 75_000)]
    pub dure_zorg_vanaf: i64,
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{} kan niet worden gelezen", path.display()))
}

/// The costs and keys of a region's year from the database: each client's cost per member and
/// product category (pooled by the model's categories), and as keys the inhabitants, the youths
/// and budget from the member figures, and the clients of the previous year and of the three
/// years before. Prints every problem and returns `None` when any.
async fn region_inputs(
    database: &str,
    code: &str,
    args: &SettlementArgs,
) -> anyhow::Result<Option<(Agreement, CostTable, KeyTable)>> {
    use samenspel_domain::MunicipalityCode;
    use samenspel_store::production::SpendFilter;
    let agreement = match Agreement::parse(&String::from_utf8_lossy(&read(&args.model)?)) {
        Ok(a) => a,
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{}: {p}", args.model.display()));
            return Ok(None);
        }
    };
    if !matches!(args.wet.as_str(), "jeugd" | "wmo") {
        eprintln!("wet '{}' bestaat niet; kies jeugd of wmo", args.wet);
        return Ok(None);
    }
    let store = crate::cli::open(database).await?;
    let Some(region) = store.region_by_code(code).await? else {
        eprintln!("regio '{code}' bestaat niet");
        return Ok(None);
    };
    let year = args.jaar;
    let (first, last) = (
        time::Date::from_calendar_date(year, time::Month::January, 1)?,
        time::Date::from_calendar_date(year, time::Month::December, 31)?,
    );
    let members: Vec<_> = store
        .memberships(region.id)
        .await?
        .into_iter()
        .filter(|m| m.joined_on <= last && m.left_on.is_none_or(|l| l >= first))
        .collect();
    let mut problems = Vec::new();
    let is_member = |gm: &str| members.iter().any(|m| m.municipality_code == gm);
    let costs = match store.settlement_costs(region.id, year, &args.wet, &agreement, is_member).await? {
        None => {
            problems.push(format!("regio {code} heeft geen ingelezen productie ({}) in {year}", args.wet));
            CostTable::new()
        }
        Some(Ok(costs)) => costs,
        Some(Err(found)) => {
            problems.extend(found.into_iter().map(|p| format!("{p} ({year})")));
            CostTable::new()
        }
    };
    // Keys in hundredths, like the key table: counts × 100, amounts in cents.
    let figures = store.figures(region.id, year).await?;
    let clients_in = |y: i32| SpendFilter { law: Some(args.wet.clone()), ..SpendFilter::year(y) };
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
        let code = MunicipalityCode::parse(&m.municipality_code).map_err(|e| anyhow::anyhow!(e.reason))?;
        let mut values = BTreeMap::new();
        values.insert("inwoners".to_string(), m.inhabitants * 100);
        if let Some(f) = figures.iter().find(|f| f.municipality_code == m.municipality_code) {
            if let Some(youths) = f.youths {
                values.insert("jeugdigen".to_string(), youths * 100);
            }
            let budget = if args.wet == "wmo" { f.budget_wmo_cents } else { f.budget_youth_cents };
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
    if problems.is_empty() {
        Ok(Some((agreement, costs, keys)))
    } else {
        problems.iter().for_each(|p| eprintln!("{p}"));
        Ok(None)
    }
}

/// Reads the three inputs; prints every problem with its file and returns `None` when any.
fn inputs(model: &Path, costs: &Path, keys: &Path) -> anyhow::Result<Option<(Agreement, CostTable, KeyTable)>> {
    let mut ok = true;
    let agreement = match Agreement::parse(&String::from_utf8_lossy(&read(model)?)) {
        Ok(a) => Some(a),
        Err(problems) => {
            ok = false;
            problems.iter().for_each(|p| eprintln!("{}: {p}", model.display()));
            None
        }
    };
    let cost_table: Option<CostTable> = reported(costs, parse_costs_csv(&read(costs)?), &mut ok);
    let key_table: Option<KeyTable> = reported(keys, parse_keys_csv(&read(keys)?), &mut ok);
    Ok(match (agreement, cost_table, key_table) {
        (Some(a), Some(c), Some(k)) if ok => Some((a, c, k)),
        _ => None,
    })
}

fn reported<T>(path: &Path, parsed: Result<T, Vec<samenspel_domain::figures::RowError>>, ok: &mut bool) -> Option<T> {
    match parsed {
        Ok(t) => Some(t),
        Err(errors) => {
            *ok = false;
            errors.iter().for_each(|e| eprintln!("{}: {e}", path.display()));
            None
        }
    }
}

/// Writes the output at once; a reader that stopped early (`| head`) is not an error.
fn emit(out: &str) -> ExitCode {
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}

fn euro(cents: i64) -> String {
    Cents(cents).to_string()
}

fn csv_field(s: &str) -> String {
    if s.contains([';', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub async fn settlement(database: &str, args: SettlementArgs) -> anyhow::Result<ExitCode> {
    let read_inputs = match (&args.regio, &args.kosten, &args.sleutels) {
        (Some(code), _, _) => region_inputs(database, code, &args).await?,
        (None, Some(costs), Some(keys)) => inputs(&args.model, costs, keys)?,
        _ => None,
    };
    let Some((agreement, costs, keys)) = read_inputs else {
        return Ok(ExitCode::FAILURE);
    };
    let key_names: Vec<String> = {
        let mut names: Vec<String> = keys.values().flat_map(|v| v.keys().cloned()).collect();
        names.sort();
        names.dedup();
        names.retain(|k| k != samenspel_domain::risk_sharing::FIXED_KEY && k != "budget");
        names
    };
    let current = agreement.pools_in(args.jaar);
    let mut models: Vec<(String, Vec<CheckedPool>)> = reference_models(&current, &key_names);
    models.push((format!("huidig: {}", agreement.name), current));
    if let Some(path) = &args.vergelijk {
        match Agreement::parse(&String::from_utf8_lossy(&read(path)?)) {
            Ok(proposal) => models.push((format!("voorstel: {}", proposal.name), proposal.pools_in(args.jaar))),
            Err(problems) => {
                problems.iter().for_each(|p| eprintln!("{}: {p}", path.display()));
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    // The agreement itself first: its problems are the ones to fix, once.
    if let Err(problems) = settle_agreement(&agreement.pools_in(args.jaar), &costs, &keys) {
        problems.iter().for_each(|p| eprintln!("{}: {p}", args.model.display()));
        return Ok(ExitCode::FAILURE);
    }
    let mut results: Vec<(String, Vec<PoolSettlement>)> = Vec::new();
    let mut failed = false;
    for (name, pools) in models {
        match settle_agreement(&pools, &costs, &keys) {
            Ok(s) => results.push((name, s)),
            Err(problems) => {
                failed = true;
                problems.iter().for_each(|p| eprintln!("{name}: {p}"));
            }
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    let mut out = String::new();
    if args.csv {
        writeln!(out, "model;pot;gemeente;eigen_kosten;bijdrage;verschil;uitleg")?;
        for (name, pools) in &results {
            for pool in pools {
                for m in &pool.members {
                    writeln!(
                        out,
                        "{};{};{};{};{};{};{}",
                        csv_field(name),
                        csv_field(&pool.rule.name),
                        m.member,
                        Cents(m.own_cents).plain(),
                        Cents(m.contribution_cents).plain(),
                        Cents(m.difference_cents).plain(),
                        csv_field(&m.explanation(pool))
                    )?;
                }
            }
        }
        return Ok(emit(&out));
    }
    // Per member: own cost over all pools, and per model the difference against user pays.
    let mut totals: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (i, (_, pools)) in results.iter().enumerate() {
        for pool in pools {
            for m in &pool.members {
                let row = totals.entry(m.member.clone()).or_insert_with(|| vec![0; results.len() + 1]);
                if i == 0 {
                    row[0] += m.own_cents;
                }
                row[i + 1] += m.difference_cents;
            }
        }
    }
    writeln!(out, "Verevening {} (bedragen: verschil met eigen kosten; + betaalt in, - ontvangt)", args.jaar)?;
    for (i, (name, _)) in results.iter().enumerate() {
        writeln!(out, "  [{}] {name}", i + 1)?;
    }
    write!(out, "{:<8} {:>20}", "gemeente", "eigen kosten")?;
    for i in 0..results.len() {
        write!(out, " {:>18}", format!("[{}]", i + 1))?;
    }
    writeln!(out)?;
    for (member, row) in &totals {
        write!(out, "{member:<8} {:>20}", euro(row[0]))?;
        for d in &row[1..] {
            write!(out, " {:>18}", euro(*d))?;
        }
        writeln!(out)?;
    }
    if let (true, Some((name, pools))) = (args.uitleg, results.last()) {
        writeln!(out, "\nUitleg ({name}):")?;
        for pool in pools {
            for m in &pool.members {
                writeln!(out, "{}: {}", m.member, m.explanation(pool))?;
            }
        }
    }
    Ok(emit(&out))
}

pub fn simulation(args: SimulationArgs) -> anyhow::Result<ExitCode> {
    let Some((agreement, costs, keys)) = inputs(&args.model, &args.kosten, &args.sleutels)? else {
        return Ok(ExitCode::FAILURE);
    };
    let pools = agreement.pools_in(args.jaar);
    let Some(first) = pools.first() else { return Ok(ExitCode::FAILURE) };
    // Client costs over all pools: the simulation draws a member's whole care cost.
    let mut clients: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for ((_, member), c) in &costs {
        clients.entry(member.to_string()).or_default().extend(&c.client_cents);
    }
    let mut models = Vec::new();
    for (member, values) in &keys {
        let Some(weight) = values.get(&first.key) else {
            eprintln!("sleutel {} heeft geen waarde voor {member}", first.key);
            return Ok(ExitCode::FAILURE);
        };
        let costs = clients.get(member.as_str()).cloned().unwrap_or_default();
        models.push(MemberModel::fit(
            member.as_str(),
            &[costs],
            args.dure_zorg_vanaf.saturating_mul(100),
            values.get("budget").map(|b| *b as f64 / 100.0),
            *weight as f64,
        ));
    }
    let threshold = pools.iter().find_map(|p| p.threshold_cents).map(|c| c as f64 / 100.0);
    let agreement = SimulatedAgreement {
        solidarity: f64::from(first.solidarity_basis_points) / 10_000.0,
        threshold_euros: threshold,
    };
    let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1);
    let sim = match simulate(&models, agreement, args.jaren, args.seed, threads) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = String::new();
    writeln!(
        out,
        "Budgetrisico {}: {} gesimuleerde jaren (seed {}), solidariteit {} %{}",
        args.jaar,
        sim.years,
        sim.seed,
        agreement.solidarity * 100.0,
        threshold.map(|t| format!(", drempel € {t:.0}")).unwrap_or_default()
    )?;
    writeln!(
        out,
        "{:<8} {:>16} {:>16} {:>12} {:>12} {:>16} {:>16}",
        "gemeente", "gemiddeld", "spreiding", "kans >budget", "binnen", "VaR95 alleen", "VaR95 binnen"
    )?;
    let pct = |p: Option<f64>| p.map(|p| format!("{:.1} %", p * 100.0)).unwrap_or_else(|| "–".into());
    for m in &sim.members {
        writeln!(
            out,
            "{:<8} {:>16} {:>16} {:>12} {:>12} {:>16} {:>16}",
            m.member,
            euro(m.mean_standalone.round() as i64 * 100),
            euro(m.sd_standalone.round() as i64 * 100),
            pct(m.overrun_standalone),
            pct(m.overrun_inside),
            euro(m.var95_standalone.round() as i64 * 100),
            euro(m.var95_inside.round() as i64 * 100)
        )?;
    }
    Ok(emit(&out))
}
