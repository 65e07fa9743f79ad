//! `samenspel-bench`: the figures behind the README's performance section. Generates data,
//! runs the real code paths (the message reader, the importer, the spend views) and prints
//! what it measured. `bench/run` drives it, on SQLite and PostgreSQL, with DuckDB as the
//! baseline for the views.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use samenspel_domain::procurement::{ContractStatus, FundingVariant, Law, Period, Route, Unit};
use samenspel_domain::region::Domain;
use samenspel_domain::{AgbCode, Cents, MunicipalityCode, RegionCode};
use samenspel_istd::{xml, Pseudonymiser, Record, Standard};
use samenspel_store::catalogue::ProductDetails;
use samenspel_store::contracts::{ContractDetails, TariffDetails};
use samenspel_store::lots::LotDetails;
use samenspel_store::production::{
    ClientRowFilter, Dimension, ImportRequest, ImportSession, ImportSource, SpendFilter,
};
use samenspel_store::providers::ProviderDetails;
use samenspel_store::reference::MunicipalityFilter;
use samenspel_store::regions::NewRegion;
use samenspel_store::{Actor, PageRequest, Store};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::macros::date;

#[derive(Parser)]
#[command(name = "samenspel-bench", about = "Meet de snelheid van inlezen en uitgavenoverzichten.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write one large claim message (JW323) of about this many MiB.
    Large {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1024)]
        mib: u64,
    },
    /// Read and check a claim message on one thread; print lines/s and the peak memory.
    Parse {
        file: PathBuf,
        /// Read the file into memory first and parse it there (as an upload or a file of a
        /// batch read ahead is), instead of streaming it.
        #[arg(long)]
        in_memory: bool,
    },
    /// Set up a region, generate a year of production, import it and time the spend views.
    Region(RegionArgs),
    /// Exact Shapley values and the core check for a region's cost game, against the textbook
    /// formula computed straightforwardly in the same run.
    Shapley {
        #[arg(long, default_value_t = 20)]
        members: usize,
    },
    /// Time the settlement from the production of a benchmark region already imported (the
    /// database of an earlier `region` run).
    Verevening {
        #[arg(long)]
        database: String,
    },
    /// Budget risk: simulate region-years for members of different sizes on all cores; with
    /// --json, print the models for the reference implementation (bench/simulation_reference.py).
    Simuleer {
        #[arg(long, default_value_t = 20)]
        members: usize,
        #[arg(long, default_value_t = 1_000_000)]
        years: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct RegionArgs {
    #[arg(long)]
    database: String,
    /// Members (the first N municipalities of the CBS list; 342 is the whole country).
    #[arg(long, default_value_t = 10)]
    members: usize,
    #[arg(long, default_value_t = 10)]
    providers: usize,
    /// Claim lines in all (one per client per month).
    #[arg(long, default_value_t = 1_000_000)]
    lines: u64,
    #[arg(long, default_value_t = 12)]
    months: u32,
    /// `xml`: one JW323 per provider, municipality and month; `csv`: one CSV file per month.
    #[arg(long, default_value = "xml")]
    format: String,
    /// Where to write the generated files (kept for the DuckDB baseline).
    #[arg(long)]
    work: PathBuf,
    /// Time the spend views after the import.
    #[arg(long)]
    views: bool,
}

const YEAR: i32 = 2025;
const PRODUCTS: [(&str, &str, Unit, i64, u32); 5] = [
    ("45", "45A04", Unit::Hour, 8_150, 55),
    ("45", "45A05", Unit::Hour, 9_900, 20),
    ("45", "45A06", Unit::Hour, 10_500, 10),
    ("41", "41A03", Unit::DayPart, 14_750, 10),
    ("43", "43A07", Unit::Day, 28_900, 5),
];

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn rate(n: u64, d: Duration) -> String {
    format!("{:.0}", n as f64 / d.as_secs_f64())
}

/// A valid BSN (11-proof) from a counter, in a range no real person has.
fn bsn(n: u64) -> String {
    let mut base = 900_000_000 + n * 10;
    loop {
        let digits: Vec<u64> = base.to_string().chars().map(|c| u64::from(c.to_digit(10).unwrap_or(0))).collect();
        let sum: u64 = digits[..8].iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
        let check = sum % 11;
        if check < 10 {
            return format!("{}{check}", &base.to_string()[..8]);
        }
        base += 10;
    }
}

struct Client {
    bsn: String,
    municipality: usize,
    provider: usize,
    product: usize,
    number: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Large { out, mib } => {
            let lines = mib * 1024 * 1024 / 860;
            let file = std::fs::File::create(&out).with_context(|| format!("{}", out.display()))?;
            let started = Instant::now();
            let bytes = samenspel_istd::write_large_claim(
                BufWriter::with_capacity(1 << 20, file),
                Standard::Ijw,
                "98000001",
                "0518",
                date!(2025 - 06 - 01),
                lines,
                7,
            )?;
            println!(
                "geschreven: {} ({:.0} MiB, {lines} regels) in {:.1} s",
                out.display(),
                bytes as f64 / 1048576.0,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Parse { file, in_memory } => {
            let key = Pseudonymiser::new(&[7; 32]).map_err(anyhow::Error::msg)?;
            let size = std::fs::metadata(&file)?.len();
            let mut lines = 0u64;
            let count = |record: Record, _| {
                if matches!(record, Record::ClaimLine(_)) {
                    lines += 1;
                }
            };
            let (summary, elapsed) = if in_memory {
                let bytes = std::fs::read(&file)?;
                let started = Instant::now();
                (xml::read_bytes(&bytes, &key, count), started.elapsed())
            } else {
                let input = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(&file)?);
                let started = Instant::now();
                (xml::read(input, &key, count), started.elapsed())
            };
            if !summary.is_clean() {
                bail!("het bestand is niet schoon: {:?}", summary.file_problems.first());
            }
            println!(
                "parse{}: {lines} declaratieregels, {:.0} MiB in {:.2} s: {} regels/s, {:.0} MiB/s, piekgeheugen {:.0} MiB",
                if in_memory { " (in het geheugen)" } else { "" },
                size as f64 / 1048576.0,
                elapsed.as_secs_f64(),
                rate(lines, elapsed),
                size as f64 / 1048576.0 / elapsed.as_secs_f64(),
                peak_rss_mib()
            );
        }
        Command::Region(args) => region(args).await?,
        Command::Shapley { members } => shapley(members)?,
        Command::Verevening { database } => {
            let store = Store::connect(&database).await?;
            store.prepare().await?;
            let region = store
                .regions()
                .await?
                .into_iter()
                .find(|r| r.code.starts_with("bench-"))
                .context("geen benchmarkregio in deze database")?;
            settlement(&store, region.id).await?;
        }
        Command::Simuleer { members, years, json } => simulate(members, years, json)?,
    }
    Ok(())
}

async fn region(args: RegionArgs) -> anyhow::Result<()> {
    let store = Store::connect(&args.database).await?;
    store.prepare().await?;
    let actor = Actor::cli();
    let started = Instant::now();
    let municipalities: Vec<String> = store
        .municipalities(&MunicipalityFilter::default(), PageRequest { page: 1, page_size: 1000 })
        .await?
        .items
        .into_iter()
        .map(|m| m.code)
        .take(args.members)
        .collect();
    if municipalities.len() < args.members {
        bail!("de CBS-lijst heeft {} gemeenten", municipalities.len());
    }
    let code = format!("bench-{}", std::process::id());
    let new = NewRegion {
        code: RegionCode::parse(&code).map_err(|e| anyhow::anyhow!(e.reason))?,
        name: format!("Benchmarkregio {}", args.members),
        domain: Domain::Youth,
        centre: None,
        youth_region: None,
        members: municipalities
            .iter()
            .map(|m| MunicipalityCode::parse(m))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!(e.reason))?,
        joined_on: date!(2015 - 01 - 01),
    };
    let region = store.create_region(&new, &actor).await?;
    let mut product_ids = Vec::new();
    for (category, code, unit, _, _) in PRODUCTS {
        let details = ProductDetails {
            law: Law::Youth,
            category: category.into(),
            code: Some(code.into()),
            name: format!("Product {code}"),
            unit,
            funding_variant: FundingVariant::EffortBased,
            own_code: false,
            active: true,
        };
        product_ids.push(store.create_product(region.id, &details, &actor).await?.id);
    }
    let period =
        Period::new(date!(2024 - 01 - 01), Some(date!(2027 - 12 - 31))).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let lot = LotDetails {
        name: "Jeugdhulp".into(),
        description: None,
        route: Route::Tender,
        period,
        products: product_ids.clone(),
    };
    let lot = store.create_lot(region.id, &lot, &actor).await?.id;
    let mut agbs = Vec::new();
    for p in 0..args.providers {
        let agb = format!("97{:06}", p + 1);
        let details = ProviderDetails {
            name: format!("Aanbieder {}", p + 1),
            agb_code: Some(AgbCode::parse(&agb).map_err(|e| anyhow::anyhow!(e.reason))?),
            kvk_number: None,
            city: None,
            email: None,
            phone: None,
            active: true,
        };
        let provider = store.create_provider(region.id, &details, &actor).await?.id;
        let contract = ContractDetails {
            provider_id: provider,
            lot_id: lot,
            period,
            status: ContractStatus::Active,
            reference: None,
        };
        let contract = store.create_contract(region.id, &contract, &actor).await?.id;
        for (i, (_, _, unit, cents, _)) in PRODUCTS.iter().enumerate() {
            let tariff = TariffDetails {
                product_id: product_ids[i],
                year: YEAR,
                municipality: None,
                amount: Cents(*cents),
                unit: *unit,
                build_up: None,
            };
            store.add_tariff(region.id, contract, &tariff, &actor).await?;
        }
        agbs.push(agb);
    }
    println!(
        "opzet: regio {code} met {} leden, {} aanbieders in {:.1} s",
        args.members,
        args.providers,
        started.elapsed().as_secs_f64()
    );

    // Clients: one line per client per month. Each member buys from its own 40 providers (neighbours
    // in the list overlap), so a provider serves a few members and a monthly claim has dozens of lines,
    // as in a real region; with every provider serving every member each claim would have one line.
    const PROVIDERS_PER_MEMBER: u64 = 40;
    let clients_n = (args.lines / u64::from(args.months)).max(1);
    let weights: Vec<u32> = PRODUCTS.iter().map(|p| p.4).collect();
    let total_weight: u32 = weights.iter().sum();
    let clients: Vec<Client> = (0..clients_n)
        .map(|i| {
            let pick = u32::try_from(i * 7919 % u64::from(total_weight)).unwrap_or(0);
            let mut acc = 0;
            let product = weights.iter().position(|w| {
                acc += w;
                pick < acc
            });
            Client {
                bsn: bsn(i),
                municipality: usize::try_from(i % args.members as u64).unwrap_or(0),
                provider: usize::try_from(
                    ((i % args.members as u64) * args.providers as u64 / args.members as u64
                        + (i / args.members as u64) % PROVIDERS_PER_MEMBER)
                        % args.providers as u64,
                )
                .unwrap_or(0),
                product: product.unwrap_or(0),
                number: i + 1,
            }
        })
        .collect();
    std::fs::create_dir_all(&args.work)?;
    let digits = |m: usize| municipalities[m].trim_start_matches("GM").to_string();
    // Assignments as one CSV file.
    let assignments = args.work.join("toewijzingen.csv");
    {
        let mut w = BufWriter::new(std::fs::File::create(&assignments)?);
        writeln!(w, "wet;gemeente;aanbieder;bsn;toewijzingnummer;productcategorie;productcode;toewijzingsdatum;ingangsdatum;einddatum")?;
        for c in &clients {
            let (category, code, ..) = PRODUCTS[c.product];
            writeln!(
                w,
                "jeugd;{};{};{};{};{category};{code};2024-12-15;{YEAR}-01-01;{YEAR}-12-31",
                digits(c.municipality),
                agbs[c.provider],
                c.bsn,
                c.number
            )?;
        }
    }
    let key = Pseudonymiser::new(&[3; 32]).map_err(anyhow::Error::msg)?;
    let today = date!(2026 - 11 - 22);
    let mut session = ImportSession::default();
    let import = |name: String, path: PathBuf| {
        (ImportRequest { region_id: region.id, file_name: name, scope: None, today }, ImportSource::File(path))
    };
    let t = Instant::now();
    let (request, source) = import("toewijzingen.csv".into(), assignments.clone());
    let prepared = store.prepare_import(request, source, &actor).await?;
    let counts = store.run_import_in(&mut session, prepared, &key, Arc::default(), &actor).await?;
    println!(
        "toewijzingen (CSV): {} ingelezen in {:.1} s: {} per s",
        counts.accepted,
        t.elapsed().as_secs_f64(),
        rate(counts.accepted as u64, t.elapsed())
    );

    // Claims: files per month (CSV) or per provider, municipality and month (XML).
    let mut groups: std::collections::BTreeMap<(usize, usize), Vec<&Client>> = std::collections::BTreeMap::new();
    if args.format != "csv" {
        for c in &clients {
            groups.entry((c.provider, c.municipality)).or_default().push(c);
        }
    }
    let mut by_claim: Vec<&Client> = clients.iter().collect();
    by_claim.sort_by_key(|c| (c.provider, c.municipality));
    let mut files = Vec::new();
    for month in 1..=args.months {
        let m = u8::try_from(month).unwrap_or(1);
        let first = time::Date::from_calendar_date(YEAR, time::Month::try_from(m)?, 1)?;
        let last = first.replace_day(first.month().length(YEAR))?;
        if args.format == "csv" {
            let path = args.work.join(format!("declaraties-{YEAR}-{month:02}.csv"));
            let mut w = BufWriter::new(std::fs::File::create(&path)?);
            writeln!(w, "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;productcode;begindatum;einddatum;volume;eenheid;tarief;bedrag")?;
            // One claim per provider and municipality: its rows together, as an export would have them.
            for c in &by_claim {
                let (category, code, unit, contracted, _) = PRODUCTS[c.product];
                // One client in 500 is claimed €2.50 above the contract: a signal, not a rejection.
                let cents = if c.number % 500 == 0 { contracted + 250 } else { contracted };
                let volume = 2 + (c.number + u64::from(month)) % 12;
                let amount = cents * volume as i64;
                writeln!(
                    w,
                    "jeugd;{};{};D{YEAR}{month:02}{:03};{};R{month:02}{};{};{category};{code};{first};{last};{volume};{};{};{}",
                    digits(c.municipality),
                    agbs[c.provider],
                    c.municipality,
                    c.bsn,
                    c.number,
                    c.number,
                    unit.code(),
                    euros(cents),
                    euros(amount)
                )?;
            }
            files.push(path);
        } else {
            for ((p, m_index), chosen) in &groups {
                let agb = &agbs[*p];
                let path = args.work.join(format!("jw323-{YEAR}-{month:02}-{agb}-{}.xml", digits(*m_index)));
                write_claim(&path, agb, &digits(*m_index), month, first, last, chosen)?;
                files.push(path);
            }
        }
    }
    let t = Instant::now();
    let mut lines = 0u64;
    let mut registering = Duration::ZERO;
    for (i, path) in files.iter().enumerate() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (request, source) = import(name.clone(), path.clone());
        let registered = Instant::now();
        let prepared = store.prepare_import_in(&session, request, source, &actor).await?;
        registering += registered.elapsed();
        if let Some(next) = files.get(i + 1) {
            session.read_ahead(next.clone(), &key);
        }
        let id = prepared.import_id;
        let counts = store.run_import_in(&mut session, prepared, &key, Arc::default(), &actor).await?;
        if counts.quarantined > 0 || counts.accepted == 0 {
            let row = store.import(region.id, id).await?;
            bail!("{name}: {} in quarantaine, status {}", counts.quarantined, row.status);
        }
        lines += counts.accepted as u64;
    }
    let elapsed = t.elapsed();
    println!(
        "import declaraties ({}, {} bestanden): {lines} regels in {:.1} s: {} regels/s ({})",
        args.format,
        files.len(),
        elapsed.as_secs_f64(),
        rate(lines, elapsed),
        store.backend()
    );
    println!("  waarvan registreren (SHA-256, dubbelcontrole): {:.2} s", registering.as_secs_f64());
    if args.views {
        views(&store, region.id).await?;
    }
    Ok(())
}

fn euros(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

fn write_claim(
    path: &Path,
    agb: &str,
    municipality: &str,
    month: u32,
    first: time::Date,
    last: time::Date,
    clients: &[&Client],
) -> anyhow::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let lines: Vec<(i64, i64, &Client)> = clients
        .iter()
        .map(|c| {
            let volume = 2 + (c.number + u64::from(month)) % 12;
            (volume as i64, PRODUCTS[c.product].3 * volume as i64, *c)
        })
        .collect();
    let total: i64 = lines.iter().map(|l| l.1).sum();
    write!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<m:Bericht xmlns:ijw=\"http://www.istandaarden.nl/ijw/3_2/basisschema/schema\" \
         xmlns:m=\"http://www.istandaarden.nl/ijw/3_2/jw323/schema\">\n<m:Header><m:BerichtCode>490</m:BerichtCode>\
         <m:BerichtVersie>3</m:BerichtVersie><m:BerichtSubversie>2</m:BerichtSubversie><m:Afzender>{agb}</m:Afzender>\
         <m:Ontvanger>{municipality}</m:Ontvanger><m:BerichtIdentificatie><ijw:Identificatie>B{month:02}{municipality}</ijw:Identificatie>\
         <ijw:Dagtekening>{YEAR}-12-31</ijw:Dagtekening></m:BerichtIdentificatie><m:XsdVersie><ijw:BasisschemaXsdVersie>0.1.0\
         </ijw:BasisschemaXsdVersie><ijw:BerichtXsdVersie>0.1.0</ijw:BerichtXsdVersie></m:XsdVersie></m:Header>\n\
         <m:Declaratie><m:DeclaratieNummer>D{month:02}{municipality}</m:DeclaratieNummer><m:DeclaratiePeriode>\
         <ijw:Begindatum>{first}</ijw:Begindatum><ijw:Einddatum>{last}</ijw:Einddatum></m:DeclaratiePeriode>\
         <m:DeclaratieDagtekening>{YEAR}-12-31</m:DeclaratieDagtekening><m:TotaalIngediendBedrag><ijw:TotaalBedrag>{total}\
         </ijw:TotaalBedrag><ijw:DebetCredit>D</ijw:DebetCredit></m:TotaalIngediendBedrag><m:Clienten>\n"
    )?;
    for (volume, amount, c) in lines {
        let (category, code, unit, cents, _) = PRODUCTS[c.product];
        writeln!(
            w,
            "<m:Client><m:Bsn>{}</m:Bsn><m:Prestaties><m:Prestatie><m:ProductReferentie><ijw:ReferentieNummer>R{month:02}{}\
             </ijw:ReferentieNummer></m:ProductReferentie><m:ToewijzingNummer>{}</m:ToewijzingNummer>\
             <m:ProductCategorie>{category}</m:ProductCategorie><m:ProductCode>{code}</m:ProductCode><m:ProductPeriode>\
             <ijw:Begindatum>{first}</ijw:Begindatum><ijw:Einddatum>{last}</ijw:Einddatum></m:ProductPeriode>\
             <m:GeleverdVolume>{volume}</m:GeleverdVolume><m:Eenheid>{}</m:Eenheid><m:ProductTarief>{cents}</m:ProductTarief>\
             <m:IngediendBedrag><ijw:Bedrag>{amount}</ijw:Bedrag><ijw:DebetCredit>D</ijw:DebetCredit></m:IngediendBedrag>\
             </m:Prestatie></m:Prestaties></m:Client>",
            c.bsn,
            c.number,
            c.number,
            unit.code()
        )?;
    }
    w.write_all(b"</m:Clienten></m:Declaratie></m:Bericht>\n")?;
    w.flush()?;
    Ok(())
}

/// Times each spend view: warm-up, then 30 runs; prints p50, p95 and the slowest.
async fn views(store: &Store, region_id: i64) -> anyhow::Result<()> {
    let filter = SpendFilter { law: Some("jeugd".into()), ..SpendFilter::year(YEAR) };
    for dimension in Dimension::ALL {
        let mut times = Vec::new();
        let mut rows = 0;
        for i in 0..33 {
            let t = Instant::now();
            rows = store.spend(region_id, dimension, &filter).await?.len();
            if i >= 3 {
                times.push(t.elapsed());
            }
        }
        report(&format!("uitgaven per {}", dimension.code()), &mut times, rows);
    }
    let timed = |name: &'static str| (name, Vec::new());
    let mut measured = [
        timed("prognose: uitgaven per lid per maand"),
        timed("prognose: lopende toewijzingen per lid per maand"),
        timed("instroom en uitstroom per lid"),
        timed("cliënten per gemeente"),
        timed("signalen: cliënten en bedrag per aanbieder en categorie"),
        timed("signalen: declaraties boven het contracttarief"),
        timed("declaratieregels van één lid, eerste pagina van 50"),
    ];
    let mut rows = [0usize; 7];
    // The member with the region's first code: its lines, as the member's own list shows them.
    let member = store.clients(region_id, "gemeente", &filter).await?.into_iter().next().map(|c| c.key);
    let own_lines = ClientRowFilter {
        municipality: member,
        from_month: Some(YEAR * 100 + 1),
        to_month: Some(YEAR * 100 + 12),
        ..ClientRowFilter::default()
    };
    let (from, to) = (YEAR * 100 + 10, YEAR * 100 + 12);
    for i in 0..33 {
        let mut time = |slot: usize, t: Instant, n: usize| {
            rows[slot] = n;
            if i >= 3 {
                measured[slot].1.push(t.elapsed());
            }
        };
        let t = Instant::now();
        time(0, t, store.spend_per_member_month(region_id, &filter).await?.len());
        let t = Instant::now();
        time(1, t, store.running_assignments(region_id, YEAR, Some("jeugd")).await?.len());
        let t = Instant::now();
        time(2, t, store.assignment_flow(region_id, Some("jeugd"), from, to).await?.len());
        let t = Instant::now();
        time(3, t, store.clients(region_id, "gemeente", &filter).await?.len());
        let t = Instant::now();
        time(4, t, store.clients(region_id, "aanbieder-categorie", &filter).await?.len());
        let t = Instant::now();
        time(5, t, store.above_tariff(region_id, &filter).await?.len());
        let t = Instant::now();
        time(6, t, store.claim_lines(region_id, &own_lines, PageRequest { page: 1, page_size: 50 }).await?.items.len());
    }
    for ((name, times), n) in measured.iter_mut().zip(rows) {
        report(name, times, n);
    }
    settlement(store, region_id).await
}

/// The yearly settlement from the imported production: each client's cost per member and
/// category read from the database, pooled (residential care with a threshold, the rest half
/// solidary), keys from the members' inhabitants; timed from the query to the last cent.
async fn settlement(store: &Store, region_id: i64) -> anyhow::Result<()> {
    use samenspel_domain::risk_sharing::{Agreement, KeyTable};
    use samenspel_domain::MunicipalityCode;
    let agreement = Agreement::parse(
        r#"{"naam": "bench", "potten": [
            {"naam": "verblijf", "categorieen": ["43"], "solidariteit": 100, "sleutel": "inwoners", "drempel": 5000},
            {"naam": "overig", "solidariteit": 50, "sleutel": "inwoners"}]}"#,
    )
    .map_err(|p| anyhow::anyhow!(p.join("; ")))?;
    let pools = agreement.pools_in(YEAR);
    let mut times = Vec::new();
    let mut members = 0;
    for i in 0..8 {
        let t = Instant::now();
        let costs = store
            .settlement_costs(region_id, YEAR, "jeugd", &agreement, |_| true)
            .await?
            .context("geen productie")?
            .map_err(|p| anyhow::anyhow!(p.join("; ")))?;
        let mut keys = KeyTable::new();
        for m in store.memberships(region_id).await? {
            let code = MunicipalityCode::parse(&m.municipality_code).map_err(|e| anyhow::anyhow!(e.reason))?;
            keys.insert(code, [("inwoners".to_string(), m.inhabitants * 100)].into_iter().collect());
        }
        let settled = samenspel_calc::risk_sharing::settle_agreement(&pools, &costs, &keys)
            .map_err(|p| anyhow::anyhow!(p.join("; ")))?;
        members = settled.first().map(|p| p.members.len()).unwrap_or(0);
        if i >= 3 {
            times.push(t.elapsed());
        }
    }
    report(&format!("verevening uit de productie ({members} leden, 2 potten)"), &mut times, members);
    Ok(())
}

fn report(name: &str, times: &mut [Duration], rows: usize) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "view {name}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} rijen, {} metingen)",
        at(0.5),
        at(0.95),
        at(1.0),
        rows,
        times.len()
    );
}

/// A region of `n` members of very different sizes (care from € 1 to € 60 million).
fn game_members(n: usize) -> Vec<samenspel_calc::shapley::GameMember> {
    (0..n)
        .map(|i| {
            let size = 1 + (i as i64 * 7919) % 60;
            samenspel_calc::shapley::GameMember {
                member: format!("lid {}", i + 1),
                care_cents: size * 100_000_000,
                standalone_overhead_cents: 20_000_000 + size * 1_000_000,
                inside_overhead_cents: 5_000_000,
                cost_sd_cents: size * 4_000_000,
            }
        })
        .collect()
}

/// The textbook formula, straightforwardly: for each member and each coalition without it,
/// the weighted marginal cost, every coalition's cost summed member by member.
fn shapley_reference(members: &[samenspel_calc::shapley::GameMember], team: i64, price: u32) -> Vec<f64> {
    let n = members.len();
    let cost = |s: u64| -> f64 {
        if s == 0 {
            return 0.0;
        }
        let inside: Vec<&samenspel_calc::shapley::GameMember> =
            (0..n).filter(|i| s & (1 << i) != 0).map(|i| &members[i]).collect();
        let care: f64 = inside.iter().map(|m| m.care_cents as f64).sum();
        let overhead = if inside.len() == 1 {
            inside[0].standalone_overhead_cents as f64
        } else {
            team as f64 + inside.iter().map(|m| m.inside_overhead_cents as f64).sum::<f64>()
        };
        let variance: f64 = inside.iter().map(|m| (m.cost_sd_cents as f64).powi(2)).sum();
        care + overhead + (variance.sqrt() * f64::from(price) / 10_000.0).round()
    };
    let factorial = |k: usize| (1..=k).map(|x| x as f64).product::<f64>();
    (0..n)
        .map(|i| {
            let mut value = 0.0;
            for s in 0..(1u64 << n) {
                if s & (1 << i) != 0 {
                    continue;
                }
                let k = s.count_ones() as usize;
                let weight = factorial(k) * factorial(n - k - 1) / factorial(n);
                value += weight * (cost(s | (1 << i)) - cost(s));
            }
            value
        })
        .collect()
}

fn shapley(n: usize) -> anyhow::Result<()> {
    use samenspel_calc::shapley::{core_check, exact, CostGame, RegionGame};
    let members = game_members(n);
    let (team, price) = (300_000_000, 1_000);
    let game = RegionGame::new(&members, team, price);
    let mut times = Vec::new();
    let mut values = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        values = exact(&game)?;
        times.push(t.elapsed());
    }
    times.sort();
    let ours = times[times.len() / 2];
    let t = Instant::now();
    let reference = shapley_reference(&members, team, price);
    let theirs = t.elapsed();
    let worst = values.iter().zip(&reference).map(|(v, r)| (*v as f64 - r).abs()).fold(0.0, f64::max);
    let full = (1u64 << n) - 1;
    let t = Instant::now();
    let check = core_check(&game, &values, 10);
    let core = t.elapsed();
    println!(
        "shapley exact, {n} leden ({} coalities): {:.3} s (mediaan van 5); rechttoe-rechtaan formule: {:.3} s; \
         verhouding {:.3}; grootste verschil {:.2} cent; som = c(N): {}",
        full,
        ours.as_secs_f64(),
        theirs.as_secs_f64(),
        ours.as_secs_f64() / theirs.as_secs_f64(),
        worst,
        values.iter().sum::<i64>() == game.cost(full)
    );
    println!("kerntoets, {n} leden: {:.3} s, {} bezwaren tegen de Shapley-verdeling", core.as_secs_f64(), check.count);
    Ok(())
}

/// Members from a village of 5,000 to a city of 300,000 inhabitants, with care use per
/// inhabitant alike and a budget 5 % above the expected cost.
fn simulation_members(n: usize) -> Vec<samenspel_calc::simulation::MemberModel> {
    use samenspel_calc::simulation::{LogNormalCost, MemberModel};
    (0..n)
        .map(|i| {
            let inhabitants = 5_000.0 + (i as f64 * 7919.0) % 295_000.0;
            let client_cost = LogNormalCost { mu: 8.5, sigma: 1.0 };
            let expensive_cost = LogNormalCost { mu: 11.5, sigma: 0.6 };
            let clients = inhabitants * 0.012;
            let expensive = inhabitants * 0.0001;
            let expected = clients * client_cost.mean() + expensive * expensive_cost.mean();
            MemberModel {
                member: format!("lid {}", i + 1),
                clients_per_year: clients,
                client_cost: Some(client_cost),
                expensive_per_year: expensive,
                expensive_cost: Some(expensive_cost),
                budget_euros: Some(expected * 1.05),
                weight: inhabitants,
            }
        })
        .collect()
}

fn simulate(n: usize, years: u64, json: bool) -> anyhow::Result<()> {
    use samenspel_calc::simulation::{simulate, SimulatedAgreement};
    let members = simulation_members(n);
    let agreement = SimulatedAgreement { solidarity: 0.5, threshold_euros: Some(100_000.0) };
    if json {
        println!("{}", serde_json::to_string(&serde_json::json!({ "members": members, "agreement": agreement }))?);
        return Ok(());
    }
    let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1);
    let t = Instant::now();
    let sim = simulate(&members, agreement, years, 2026, threads)?;
    let elapsed = t.elapsed();
    println!(
        "simulatie: {years} regiojaren, {n} leden, {threads} threads: {:.2} s ({:.0} regiojaren/s)",
        elapsed.as_secs_f64(),
        years as f64 / elapsed.as_secs_f64()
    );
    for m in sim.members.iter().take(3) {
        println!(
            "  {}: kans op overschrijding alleen {:.1} %, binnen de afspraak {:.1} %; VaR95 alleen € {:.0}, binnen € {:.0}",
            m.member,
            m.overrun_standalone.unwrap_or(0.0) * 100.0,
            m.overrun_inside.unwrap_or(0.0) * 100.0,
            m.var95_standalone,
            m.var95_inside
        );
    }
    Ok(())
}
