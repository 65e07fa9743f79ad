//! `samenspel import` and `samenspel generate`: production data from the command line, so a
//! region can script its monthly load.

use crate::cli::{open, GenerateArgs, ImportArgs};
use anyhow::{anyhow, bail, Context};
use samenspel_istd::envelope;
use samenspel_istd::sniff::{first_look, FirstLook};
use samenspel_store::keys::RegionKeys;
use samenspel_store::production::{ImportProgress, ImportRequest, ImportSession, ImportSource};
use samenspel_store::regions::RegionRow;
use samenspel_store::{Actor, PageRequest, Store};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// The files named, directories expanded (their files in name order).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("{} lezen", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            inside.sort();
            files.extend(inside);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{} bestaat niet", path.display());
        }
    }
    Ok(files)
}

fn look_at(path: &Path) -> FirstLook {
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(16 * 1024).read_to_end(&mut head);
    }
    if envelope::is_envelope(&head) {
        if let Ok(info) =
            std::fs::File::open(path).map_err(|e| envelope::EnvelopeError::Io(e.to_string())).and_then(envelope::unwrap)
        {
            return first_look(&info.payload);
        }
    }
    first_look(&head)
}

/// The region a file belongs to: the one region its municipality is a member of today (for
/// its law, when the municipality is in a youth and a Wmo region).
async fn region_for(store: &Store, regions: &[RegionRow], look: &FirstLook) -> anyhow::Result<RegionRow> {
    let municipality = look
        .municipality
        .as_deref()
        .ok_or_else(|| anyhow!("de gemeente in dit bestand is niet te herkennen; geef de regio met --regio"))?;
    let today = samenspel_store::today();
    let mut found = Vec::new();
    for region in regions {
        let member = store
            .memberships(region.id)
            .await?
            .iter()
            .any(|m| m.municipality_code == format!("GM{municipality}") && m.is_active_on(today));
        let law_fits = match look.standard.map(|s| s.law()) {
            Some("wmo") => region.domain != "jeugd",
            Some(_) => region.domain != "wmo",
            None => true,
        };
        if member && law_fits {
            found.push(region.clone());
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("gemeente GM{municipality} is geen lid van een regio in deze database; geef de regio met --regio"),
        _ => bail!(
            "gemeente GM{municipality} is lid van meer regio's ({}); geef de regio met --regio",
            found.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

pub async fn import(database: &str, keys: &RegionKeys, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut files: Vec<(FirstLook, PathBuf)> = expand(&args.bestanden)?.into_iter().map(|p| (look_at(&p), p)).collect();
    // Assignments before the claims that rest on them.
    files.sort_by(|a, b| (a.0.order(), &a.1).cmp(&(b.0.order(), &b.1)));
    let fixed = match &args.regio {
        Some(code) => Some(store.region_by_code(code).await?.ok_or_else(|| anyhow!("regio '{code}' bestaat niet"))?),
        None => None,
    };
    let regions = store.regions().await?;
    let today = samenspel_store::today();
    let actor = Actor::cli();
    let mut sessions: HashMap<i64, ImportSession> = HashMap::new();
    let (mut failed, mut totals) = (false, [0i64; 5]);
    let mut resolved = Vec::with_capacity(files.len());
    for (look, _) in &files {
        resolved.push(match &fixed {
            Some(r) => Ok(r.clone()),
            None => region_for(&store, &regions, look).await,
        });
    }
    for (i, ((_, path), region)) in files.iter().zip(&resolved).enumerate() {
        let shown = path.display();
        let region = match region {
            Ok(r) => r.clone(),
            Err(e) => {
                println!("{shown}: niet ingelezen: {e}");
                failed = true;
                continue;
            }
        };
        let key = keys.pseudonymiser(&region.code)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.to_string());
        let request = ImportRequest { region_id: region.id, file_name: name, scope: None, today };
        let session = sessions.entry(region.id).or_default();
        let prepared = store.prepare_import_in(session, request, ImportSource::File(path.clone()), &actor).await?;
        let id = prepared.import_id;
        // The next file, if it is for the same region, is read while this one is written.
        if let (Some((_, next)), Some(Ok(next_region))) = (files.get(i + 1), resolved.get(i + 1)) {
            if next_region.id == region.id {
                session.read_ahead(next.clone(), &key);
            }
        }
        store.run_import_in(session, prepared, &key, Arc::new(ImportProgress::default()), &actor).await?;
        let row = store.import(region.id, id).await?;
        match row.status.as_str() {
            "dubbel" => println!(
                "{shown}: al eerder ingelezen (import {}); niets toegevoegd",
                row.duplicate_of.map(|d| d.to_string()).unwrap_or_default()
            ),
            "afgewezen" => {
                failed = true;
                println!("{shown}: afgewezen, niets ingelezen (import {id}, regio {})", region.code);
            }
            _ => {
                println!(
                    "{shown}: {} ingelezen in {} (import {id}): {} records, {} ingelezen, {} in quarantaine, {} dubbel, {} waarschuwingen",
                    row.message, region.code, row.records, row.accepted, row.quarantined, row.duplicates, row.warnings
                );
                failed |= row.quarantined > 0;
            }
        }
        for (slot, n) in
            totals.iter_mut().zip([row.records, row.accepted, row.quarantined, row.duplicates, row.warnings])
        {
            *slot += n;
        }
        if row.status == "afgewezen" || row.quarantined > 0 || row.warnings > 0 {
            let page = PageRequest { page: 1, page_size: args.max_problemen.max(1) };
            let problems = store.import_problems(region.id, id, page).await?;
            for p in &problems.items {
                let at = p.line.map(|l| format!("regel {l}")).unwrap_or_else(|| format!("positie {}", p.byte_offset));
                let kind = if p.severity == "waarschuwing" { "waarschuwing" } else { "fout" };
                println!("  {at}, {}: {} [{}, {kind}]", p.field, p.message, p.rule);
            }
            if problems.total > problems.items.len() as i64 {
                println!("  … en nog {} (zie het verslag in Samenspel)", problems.total - problems.items.len() as i64);
            }
        }
    }
    println!(
        "Totaal {} bestand(en): {} records, {} ingelezen, {} in quarantaine, {} dubbel, {} waarschuwingen.",
        files.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4]
    );
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

pub async fn generate(database: &str, args: GenerateArgs) -> anyhow::Result<()> {
    let today = samenspel_store::today();
    let plan = match &args.regio {
        Some(code) => {
            let store = open(database).await?;
            let region = store.region_by_code(code).await?.ok_or_else(|| anyhow!("regio '{code}' bestaat niet"))?;
            let mut plan =
                samenspel_web::production::plan_for_region(&store, &region, args.maanden, args.seed, today).await?;
            plan.clients_per_1000 = args.clienten_per_1000;
            plan
        }
        None => {
            // The demo region, set up in a database of its own in memory.
            let store = Store::connect("sqlite::memory:").await?;
            store.prepare().await?;
            let password = format!("generator-{}", samenspel_web::auth::secrets::random_token());
            samenspel_web::demo::seed(&store, Some(password), None).await?;
            let region = store
                .region_by_code(samenspel_web::demo::DEMO_REGION)
                .await?
                .ok_or_else(|| anyhow!("demoregio ontbreekt"))?;
            samenspel_web::demo::demo_plan(&store, &region, args.maanden, args.clienten_per_1000, today).await?
        }
    };
    let plan = samenspel_istd::Plan { seed: args.seed, ..plan };
    let summary = samenspel_istd::generate_to_dir(&plan, &args.out)
        .with_context(|| format!("berichten schrijven in {}", args.out.display()))?;
    println!(
        "{} berichten geschreven in {}: {} cliënten, {} toewijzingen, {} declaratieregels, {} gedeclareerd ({} maanden vanaf {}).",
        summary.files,
        args.out.display(),
        summary.clients,
        summary.assignments,
        summary.claim_lines,
        samenspel_domain::Cents(summary.claimed_cents),
        plan.months,
        samenspel_domain::nl::date(plan.first_month)
    );
    Ok(())
}
