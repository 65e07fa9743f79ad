//! `samenspel verevening` and `samenspel simuleer`: the settlement, its comparison with the
//! reference models, and the budget risk, from an agreement file and tables (no database).

use anyhow::Context;
use samenspel_calc::risk_sharing::compare;
use samenspel_calc::simulation::{simulate, MemberModel, SimulatedAgreement};
use samenspel_domain::risk_sharing::{parse_costs_csv, parse_keys_csv, Agreement, CostTable, KeyTable};
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

/// The costs and keys of a region's year from the database (see
/// `samenspel_web::risk_sharing::production_inputs`). Prints every problem and returns `None`
/// when any.
async fn region_inputs(
    database: &str,
    code: &str,
    args: &SettlementArgs,
) -> anyhow::Result<Option<(Agreement, CostTable, KeyTable)>> {
    let agreement = match Agreement::parse(&String::from_utf8_lossy(&read(&args.model)?)) {
        Ok(a) => a,
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{}: {p}", args.model.display()));
            return Ok(None);
        }
    };
    let store = crate::cli::open(database).await?;
    let Some(region) = store.region_by_code(code).await? else {
        eprintln!("regio '{code}' bestaat niet");
        return Ok(None);
    };
    match samenspel_web::risk_sharing::production_inputs(&store, &region, args.jaar, &args.wet, &agreement).await? {
        Ok((costs, keys)) => Ok(Some((agreement, costs, keys))),
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{p}"));
            Ok(None)
        }
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
    let (key_names, incomplete) = samenspel_web::risk_sharing::key_coverage(&keys);
    for (key, missing) in incomplete {
        eprintln!("niet vergeleken: volledig solidair naar {key} (geen waarde voor {})", missing.join(", "));
    }
    let current = agreement.pools_in(args.jaar);
    let proposal = match &args.vergelijk {
        None => None,
        Some(path) => match Agreement::parse(&String::from_utf8_lossy(&read(path)?)) {
            Ok(p) => Some((format!("voorstel: {}", p.name), p.pools_in(args.jaar))),
            Err(problems) => {
                problems.iter().for_each(|p| eprintln!("{}: {p}", path.display()));
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let comparison = match compare(
        (&format!("huidig: {}", agreement.name), &current),
        proposal.as_ref().map(|(n, p)| (n.as_str(), p.as_slice())),
        &key_names,
        &costs,
        &keys,
    ) {
        Ok(c) => c,
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{}: {p}", args.model.display()));
            return Ok(ExitCode::FAILURE);
        }
    };
    let results = &comparison.models;
    let mut out = String::new();
    if args.csv {
        writeln!(out, "model;pot;gemeente;eigen_kosten;bijdrage;verschil;uitleg")?;
        for model in results {
            let (name, pools) = (&model.name, &model.pools);
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
    writeln!(out, "Verevening {} (bedragen: verschil met eigen kosten; + betaalt in, - ontvangt)", args.jaar)?;
    for (i, model) in results.iter().enumerate() {
        writeln!(out, "  [{}] {}", i + 1, model.name)?;
    }
    write!(out, "{:<8} {:>20}", "gemeente", "eigen kosten")?;
    for i in 0..results.len() {
        write!(out, " {:>18}", format!("[{}]", i + 1))?;
    }
    writeln!(out)?;
    for line in &comparison.members {
        write!(out, "{:<8} {:>20}", line.member, euro(line.own_cents))?;
        for d in &line.difference_cents {
            write!(out, " {:>18}", euro(*d))?;
        }
        writeln!(out)?;
    }
    if let (true, Some(model)) = (args.uitleg, results.last()) {
        writeln!(out, "\nUitleg ({}):", model.name)?;
        for pool in &model.pools {
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
