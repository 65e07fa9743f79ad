//! `samenspel verevening` and `samenspel simuleer`: the settlement, its comparison with the
//! reference models, and the budget risk, from an agreement file and tables (no database).

use anyhow::Context;
use samenspel_calc::risk_sharing::compare;
use samenspel_calc::simulation::{simulate, MemberModel};
use samenspel_domain::risk_sharing::{parse_costs_csv, parse_keys_csv, Agreement, CostTable, KeyTable};
use samenspel_domain::Cents;
use samenspel_store::regions::RegionRow;
use samenspel_store::Store;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct SettlementArgs {
    /// De afspraak: een JSON-bestand met de potten (zie docs/verevening.md).
    #[arg(long, required_unless_present = "afspraak", conflicts_with = "afspraak")]
    pub model: Option<PathBuf>,
    /// Een vastgelegde afspraak van de regio (naam), in de versie die in het jaar geldt.
    #[arg(long, requires = "regio")]
    pub afspraak: Option<String>,
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
    /// Een voorgestelde afspraak (JSON-bestand) om naast de huidige te zetten.
    #[arg(long, conflicts_with = "voorstel")]
    pub vergelijk: Option<PathBuf>,
    /// Een vastgelegd voorstel van de regio (naam) om naast de huidige te zetten.
    #[arg(long, requires = "regio")]
    pub voorstel: Option<String>,
    /// Schrijf CSV (per model, pot en gemeente, met de uitleg) in plaats van een tabel.
    #[arg(long)]
    pub csv: bool,
    /// Toon per gemeente en pot de uitleg van het bedrag.
    #[arg(long)]
    pub uitleg: bool,
}

#[derive(clap::Args, Debug)]
pub struct SimulationArgs {
    /// De afspraak (JSON); de eerste pot geeft solidariteit en sleutel, de eerste drempel de drempel.
    #[arg(long, required_unless_present = "afspraak", conflicts_with = "afspraak")]
    pub model: Option<PathBuf>,
    /// Een vastgelegde afspraak van de regio (naam), in de versie die in het jaar geldt.
    #[arg(long, requires = "regio")]
    pub afspraak: Option<String>,
    /// Kosten per cliënt (CSV: gemeente;pot;client;kosten), alle potten samen per cliënt.
    #[arg(long, required_unless_present = "regio", conflicts_with = "regio")]
    pub kosten: Option<PathBuf>,
    /// Sleutelwaarden (CSV); een kolom budget geeft het budget per gemeente in euro's.
    #[arg(long, required_unless_present = "regio", conflicts_with = "regio")]
    pub sleutels: Option<PathBuf>,
    /// Pas het kostenmodel toe op de ingelezen productie van deze regio (alle cliënten van het jaar)
    /// met de kerncijfers als budget.
    #[arg(long)]
    pub regio: Option<String>,
    /// De wet van de productie (`jeugd` of `wmo`), met --regio.
    #[arg(long, default_value = "jeugd")]
    pub wet: String,
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

#[derive(clap::Args, Debug)]
pub struct StoreAgreementArgs {
    /// De regio (code).
    #[arg(long)]
    pub regio: String,
    /// De afspraak: een JSON-bestand met naam en potten (zie docs/verevening.md).
    #[arg(long)]
    pub model: PathBuf,
    /// Het eerste jaar waarin deze versie geldt.
    #[arg(long)]
    pub vanaf: i32,
    /// `vastgesteld` of `voorstel`, voor een nieuwe afspraak.
    #[arg(long, default_value = "voorstel")]
    pub status: String,
    /// Toelichting: het besluit of de reden van de wijziging.
    #[arg(long)]
    pub toelichting: Option<String>,
}

/// `samenspel afspraak`: stores the model as a new agreement, or as a new version of the
/// region's agreement with the same name.
pub async fn store_agreement(database: &str, args: StoreAgreementArgs) -> anyhow::Result<ExitCode> {
    use samenspel_store::risk_sharing::{AgreementStatus, AgreementVersion};
    let Some((store, region)) = open_region(database, &args.regio).await? else {
        return Ok(ExitCode::FAILURE);
    };
    let Some((model, _)) = load_agreement(Some(&args.model), None, None, args.vanaf).await? else {
        return Ok(ExitCode::FAILURE);
    };
    let Some(status) = AgreementStatus::parse(&args.status) else {
        eprintln!("status '{}' bestaat niet; kies vastgesteld of voorstel", args.status);
        return Ok(ExitCode::FAILURE);
    };
    let version = AgreementVersion { first_year: args.vanaf, model, reason: args.toelichting };
    let actor = samenspel_store::Actor::cli();
    let stored = match store.agreement_by_name(region.id, version.model.name.trim()).await {
        Ok(row) => store.add_agreement_version(region.id, row.id, &version, &actor).await.map(|v| (row, v)),
        Err(samenspel_store::StoreError::NotFound) => store.create_agreement(region.id, status, &version, &actor).await,
        Err(e) => Err(e),
    };
    match stored {
        Ok((row, v)) => {
            println!("afspraak {} ({}): versie {} geldt vanaf {}", row.name, row.status, v.version, v.first_year);
            Ok(ExitCode::SUCCESS)
        }
        Err(samenspel_store::StoreError::Invalid(invalid)) => {
            invalid.errors.iter().for_each(|e| eprintln!("{}: {}", args.model.display(), e.reason));
            Ok(ExitCode::FAILURE)
        }
        Err(samenspel_store::StoreError::Conflict { message, .. }) => {
            eprintln!("{message}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{} kan niet worden gelezen", path.display()))
}

/// The region of `--regio` in its database; `None` (said) when it does not exist.
async fn open_region(database: &str, code: &str) -> anyhow::Result<Option<(Store, RegionRow)>> {
    let store = crate::cli::open(database).await?;
    match store.region_by_code(code).await? {
        Some(region) => Ok(Some((store, region))),
        None => {
            eprintln!("regio '{code}' bestaat niet");
            Ok(None)
        }
    }
}

/// The agreement from a file, or a stored one of the region in the version in force in the year;
/// with the name its problems are reported under. Prints every problem and returns `None`.
async fn load_agreement(
    file: Option<&Path>,
    stored: Option<&str>,
    region: Option<&(Store, RegionRow)>,
    year: i32,
) -> anyhow::Result<Option<(Agreement, String)>> {
    if let Some(path) = file {
        return Ok(match Agreement::parse(&String::from_utf8_lossy(&read(path)?)) {
            Ok(a) => Some((a, path.display().to_string())),
            Err(problems) => {
                problems.iter().for_each(|p| eprintln!("{}: {p}", path.display()));
                None
            }
        });
    }
    let (Some(name), Some((store, region))) = (stored, region) else {
        eprintln!("geef --model of --afspraak met --regio");
        return Ok(None);
    };
    let row = match store.agreement_by_name(region.id, name).await {
        Ok(row) => row,
        Err(samenspel_store::StoreError::NotFound) => {
            eprintln!("regio {} heeft geen afspraak '{name}'", region.code);
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(match samenspel_web::risk_sharing::applied(store, row, year).await? {
        Ok(applied) => Some((applied.model, format!("afspraak {name} (versie {})", applied.version.version))),
        Err(problem) => {
            eprintln!("{problem}");
            None
        }
    })
}

/// The costs and keys of the region's year from its production and figures; `None` (said) when
/// anything is missing.
async fn region_tables(
    (store, region): &(Store, RegionRow),
    year: i32,
    law: &str,
    agreement: &Agreement,
) -> anyhow::Result<Option<(CostTable, KeyTable)>> {
    match samenspel_web::risk_sharing::production_inputs(store, region, year, law, agreement).await? {
        Ok(tables) => Ok(Some(tables)),
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{p}"));
            Ok(None)
        }
    }
}

/// Reads the cost and key tables; prints every problem with its file and returns `None` when any.
fn tables(costs: &Path, keys: &Path) -> anyhow::Result<Option<(CostTable, KeyTable)>> {
    let mut ok = true;
    let cost_table: Option<CostTable> = reported(costs, parse_costs_csv(&read(costs)?), &mut ok);
    let key_table: Option<KeyTable> = reported(keys, parse_keys_csv(&read(keys)?), &mut ok);
    Ok(match (cost_table, key_table) {
        (Some(c), Some(k)) if ok => Some((c, k)),
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
    let region = match &args.regio {
        Some(code) => match open_region(database, code).await? {
            Some(r) => Some(r),
            None => return Ok(ExitCode::FAILURE),
        },
        None => None,
    };
    let Some((agreement, label)) =
        load_agreement(args.model.as_deref(), args.afspraak.as_deref(), region.as_ref(), args.jaar).await?
    else {
        return Ok(ExitCode::FAILURE);
    };
    let read_tables = match (&region, &args.kosten, &args.sleutels) {
        (Some(r), _, _) => region_tables(r, args.jaar, &args.wet, &agreement).await?,
        (None, Some(costs), Some(keys)) => tables(costs, keys)?,
        _ => None,
    };
    let Some((costs, keys)) = read_tables else {
        return Ok(ExitCode::FAILURE);
    };
    let (key_names, incomplete) = samenspel_web::risk_sharing::key_coverage(&keys);
    for (key, missing) in incomplete {
        eprintln!("niet vergeleken: volledig solidair naar {key} (geen waarde voor {})", missing.join(", "));
    }
    let current = agreement.pools_in(args.jaar);
    // A proposal from the database takes its own pools' costs (its categories and thresholds);
    // from files it shares the cost table.
    let proposal = if args.vergelijk.is_some() || args.voorstel.is_some() {
        match load_agreement(args.vergelijk.as_deref(), args.voorstel.as_deref(), region.as_ref(), args.jaar).await? {
            Some((p, _)) => {
                let proposal_costs = match &region {
                    Some(r) => match region_tables(r, args.jaar, &args.wet, &p).await? {
                        Some((c, _)) => c,
                        None => return Ok(ExitCode::FAILURE),
                    },
                    None => costs.clone(),
                };
                Some((format!("voorstel: {}", p.name), p.pools_in(args.jaar), proposal_costs))
            }
            None => return Ok(ExitCode::FAILURE),
        }
    } else {
        None
    };
    let comparison = match compare(
        (&format!("huidig: {}", agreement.name), &current),
        proposal.as_ref().map(|(n, p, c)| (n.as_str(), p.as_slice(), c)),
        &key_names,
        &costs,
        &keys,
    ) {
        Ok(c) => c,
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{label}: {p}"));
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

pub async fn simulation(database: &str, args: SimulationArgs) -> anyhow::Result<ExitCode> {
    let region = match &args.regio {
        Some(code) => match open_region(database, code).await? {
            Some(r) => Some(r),
            None => return Ok(ExitCode::FAILURE),
        },
        None => None,
    };
    let Some((agreement, _)) =
        load_agreement(args.model.as_deref(), args.afspraak.as_deref(), region.as_ref(), args.jaar).await?
    else {
        return Ok(ExitCode::FAILURE);
    };
    let pools = agreement.pools_in(args.jaar);
    let Some(first) = pools.first() else { return Ok(ExitCode::FAILURE) };
    let expensive_from = args.dure_zorg_vanaf.saturating_mul(100);
    let models = match (&region, &args.kosten, &args.sleutels) {
        (Some(r), _, _) => {
            let Some((_, keys)) = region_tables(r, args.jaar, &args.wet, &agreement).await? else {
                return Ok(ExitCode::FAILURE);
            };
            let fitted = samenspel_web::risk_analysis::fitted_models(
                &r.0,
                &r.1,
                args.jaar,
                &args.wet,
                &keys,
                first,
                expensive_from,
            )
            .await?;
            match fitted {
                Ok(models) => models,
                Err(problems) => {
                    problems.iter().for_each(|p| eprintln!("{p}"));
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        (None, Some(costs), Some(keys)) => {
            let Some((costs, keys)) = tables(costs, keys)? else {
                return Ok(ExitCode::FAILURE);
            };
            // Client costs over all pools: the simulation draws a member's whole care cost.
            let mut clients: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for ((_, member), c) in &costs {
                clients.entry(member.to_string()).or_default().extend(&c.client_cents);
            }
            let mut models = Vec::new();
            for (member, values) in &keys {
                let weight = match &first.fixed_shares {
                    Some(table) => table.get(member.as_str()),
                    None => values.get(&first.key),
                };
                let Some(weight) = weight else {
                    eprintln!("sleutel {} heeft geen waarde voor {member}", first.key);
                    return Ok(ExitCode::FAILURE);
                };
                let costs = clients.get(member.as_str()).cloned().unwrap_or_default();
                models.push(MemberModel::fit(
                    member.as_str(),
                    &[costs],
                    expensive_from,
                    values.get("budget").map(|b| *b as f64 / 100.0),
                    *weight as f64,
                ));
            }
            models
        }
        _ => return Ok(ExitCode::FAILURE),
    };
    let agreement = samenspel_web::risk_analysis::simulated_agreement(&pools);
    let threshold = agreement.threshold_euros;
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
