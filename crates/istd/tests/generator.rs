//! The generator of synthetic messages: its files are valid for an independent validator
//! (xmllint against the XSDs) and for Samenspel's reader, agree with its summary, keep the
//! cross-message rules, are reproducible, and look like a real region (a heavy tail).

use samenspel_istd::generator::{GeneratedLine, World};
use samenspel_istd::xml::read;
use samenspel_istd::{
    check_bsn, generate, generate_to_dir, world, write_large_claim, Assignment, Care, Header, MessageKind, Offer, Plan,
    PlanMunicipality, PlanTariff, Pseudonymiser, Record, Standard, Summary,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use time::macros::date;
use time::Date;

fn offer(provider: &str, code: &str, unit: &str, care: Care, cents: [i64; 2]) -> Offer {
    Offer {
        provider: provider.into(),
        category: code[..2].into(),
        code: code.into(),
        unit: unit.into(),
        care,
        tariffs: vec![
            PlanTariff { year: 2024, municipality: None, cents: cents[0] },
            PlanTariff { year: 2025, municipality: None, cents: cents[1] },
        ],
    }
}

fn plan(standard: Standard, clients_per_1000: u32, seed: u64) -> Plan {
    let mut offers = match standard {
        Standard::Ijw => vec![
            offer("11111111", "45A04", "04", Care::Ambulant, [9_500, 9_800]),
            offer("11111111", "45A10", "84", Care::Ambulant, [8_000, 8_200]),
            offer("22222222", "45A04", "04", Care::Ambulant, [9_200, 9_500]),
            offer("22222222", "45A53", "01", Care::Ambulant, [158, 162]),
            offer("33333333", "43A22", "14", Care::Residential, [26_500, 27_300]),
            offer("44444444", "41A06", "16", Care::DayCare, [7_200, 7_400]),
            offer("55555555", "54B01", "82", Care::Output, [145_000, 149_000]),
            offer("55555555", "54B02", "83", Care::Output, [220_000, 226_000]),
        ],
        Standard::Iwmo => vec![
            offer("11111111", "02A01", "04", Care::Ambulant, [6_500, 6_700]),
            offer("22222222", "01A04", "04", Care::Ambulant, [3_400, 3_500]),
            offer("22222222", "03A01", "01", Care::Ambulant, [110, 113]),
            offer("33333333", "15A01", "14", Care::Residential, [15_500, 16_000]),
            offer("44444444", "07A02", "16", Care::DayCare, [4_800, 4_950]),
            offer("55555555", "10A01", "82", Care::Output, [85_000, 87_500]),
            offer("55555555", "13A01", "83", Care::Output, [340_000, 350_000]),
        ],
    };
    // One municipality pays its own tariff for the first product in 2025.
    offers[0].tariffs.push(PlanTariff { year: 2025, municipality: Some("0518".into()), cents: 9_990 });
    Plan {
        standard,
        municipalities: vec![
            PlanMunicipality { code: "0518".into(), weight: 4_000 },
            PlanMunicipality { code: "0603".into(), weight: 1_500 },
            PlanMunicipality { code: "1916".into(), weight: 600 },
        ],
        offers,
        first_month: date!(2024 - 01 - 01),
        months: 18,
        clients_per_1000,
        seed,
        today: date!(2025 - 06 - 10),
    }
}

fn in_memory(plan: &Plan) -> (Vec<(String, Vec<u8>)>, Summary) {
    let mut files = Vec::new();
    let summary = generate(plan, |name, bytes| {
        files.push((name.to_string(), bytes.to_vec()));
        Ok(())
    })
    .unwrap();
    (files, summary)
}

fn key() -> Pseudonymiser {
    Pseudonymiser::new(&[3; 32]).unwrap()
}

/// Everything the reader made of a set of files.
#[derive(Default)]
struct Read {
    headers: Vec<Header>,
    /// With the header of their message.
    records: Vec<(usize, Record)>,
}

fn read_all(files: &[(String, Vec<u8>)]) -> Read {
    let key = key();
    let mut out = Read::default();
    for (name, bytes) in files {
        let mut records = Vec::new();
        let summary = read(bytes.as_slice(), &key, |r, _| records.push(r));
        assert!(summary.is_clean(), "{name}: {:?}", summary);
        let Some(Record::Header(h)) = records.first().cloned() else { panic!("{name} starts with its header") };
        out.headers.push(h);
        let at = out.headers.len() - 1;
        out.records.extend(records.into_iter().skip(1).map(|r| (at, r)));
    }
    out
}

#[test]
fn files_read_clean_and_agree_with_the_summary() {
    for standard in [Standard::Ijw, Standard::Iwmo] {
        let plan = plan(standard, 40, 7);
        let (files, summary) = in_memory(&plan);
        let read = read_all(&files);
        assert_eq!(files.len() as u64, summary.files);
        assert_eq!(summary.per_message.values().sum::<u64>(), summary.files);
        assert!(read.headers.iter().all(|h| h.standard == standard));

        let mut clients = HashSet::new();
        let mut assignments = HashSet::new();
        let (mut lines, mut cents, mut credits, mut claims, mut answers) = (0u64, 0i64, 0u64, 0u64, 0u64);
        let mut per_municipality: BTreeMap<String, i64> = BTreeMap::new();
        for (at, record) in &read.records {
            let municipality = read.headers[*at].parties().0.to_string();
            match record {
                Record::Assignment(a) => {
                    clients.insert(a.client.clone());
                    assignments.insert((municipality, a.number));
                }
                Record::Claim(c) => {
                    claims += 1;
                    assert!(c.date <= plan.today && c.period_end < plan.today);
                }
                Record::ClaimLine(l) => {
                    lines += 1;
                    cents += l.amount_cents;
                    credits += u64::from(l.amount_cents < 0);
                    *per_municipality.entry(municipality).or_default() += l.amount_cents;
                }
                Record::ClaimAnswer(_) => answers += 1,
                _ => {}
            }
        }
        assert_eq!(clients.len() as u64, summary.clients);
        assert_eq!(assignments.len() as u64, summary.assignments);
        assert_eq!((lines, cents, credits), (summary.claim_lines, summary.claimed_cents, summary.credit_lines));
        assert_eq!(per_municipality, summary.per_municipality);
        assert_eq!(claims, summary.claims);
        assert_eq!(answers, summary.answers);
        assert_eq!(summary.per_month.values().sum::<i64>(), summary.claimed_cents);
        assert_eq!(summary.per_municipality.len(), 3, "every municipality has claims");

        // Enough of everything to be worth importing.
        assert!(summary.clients > 180 && summary.assignments > summary.clients, "{summary:?}");
        assert!(summary.assignment_changes > 0 && summary.starts > 0 && summary.stops > 0, "{summary:?}");
        match standard {
            Standard::Ijw => {
                assert!(summary.answers > 0 && summary.answers <= summary.claims);
                assert!(summary.granted_cents < summary.claimed_cents, "some lines are rejected");
            }
            Standard::Iwmo => assert_eq!(summary.answers, 0, "there is no WMO325"),
        }
        assert!(summary.credit_lines > 0, "a few corrections: {summary:?}");
    }
}

/// The rules between messages that the reader cannot check in one file, checked over all.
#[test]
fn messages_keep_the_rules_between_them() {
    for standard in [Standard::Ijw, Standard::Iwmo] {
        let plan = plan(standard, 40, 11);
        let (files, _) = in_memory(&plan);
        let read = read_all(&files);

        // TR056: message identification unique per kind per sender; nothing after today.
        let mut ids = HashSet::new();
        for h in &read.headers {
            assert!(h.message_id.len() <= 12);
            assert!(ids.insert((h.sender.clone(), h.kind, h.message_id.clone())), "{h:?}");
            assert!(h.message_date <= plan.today, "{h:?}");
        }

        // The newest version of each assignment, by municipality and number.
        let mut newest: HashMap<(String, i64), (Assignment, String)> = HashMap::new();
        for (at, record) in &read.records {
            let h = &read.headers[*at];
            if let Record::Assignment(a) = record {
                assert!(a.assigned_on <= plan.today && a.assigned_on <= h.message_date);
                let key = (h.sender.clone(), a.number);
                let newer = newest
                    .get(&key)
                    .is_none_or(|(b, _)| (a.assigned_on, &a.assigned_at) >= (b.assigned_on, &b.assigned_at));
                if newer {
                    newest.insert(key, (a.clone(), h.receiver.clone()));
                }
                let initial = a.change_reason.is_none();
                assert!(initial || a.ends_on.is_some(), "a change here shortens or extends");
            }
        }

        let mut references = HashSet::new();
        let mut claim_numbers = HashSet::new();
        let mut starts = HashSet::new();
        for (at, record) in &read.records {
            let h = &read.headers[*at];
            let (municipality, provider) = h.parties();
            match record {
                Record::Claim(c) => {
                    assert!(claim_numbers.insert((provider.to_string(), c.number.clone())), "TR333");
                    assert!(c.date > c.period_end && c.date <= plan.today);
                }
                Record::ClaimLine(l) => {
                    if h.kind != MessageKind::Claim {
                        continue;
                    }
                    assert!(references.insert((provider.to_string(), l.reference.clone())), "TR314");
                    let (a, assigned_to) = &newest[&(municipality.to_string(), l.assignment_number)];
                    assert_eq!((&a.client, assigned_to.as_str()), (&l.client, provider), "TR338");
                    assert_eq!(a.product.category.as_deref(), Some(l.category.as_str()), "TR339");
                    assert_eq!(a.product.code, l.code, "TR340");
                    assert_eq!(a.unit.as_deref(), Some(l.unit.as_str()), "TR341");
                    assert!(l.period_start >= a.starts_on, "TR307");
                    assert!(a.ends_on.is_none_or(|e| l.period_end <= e), "TR308");
                    let first_of_month = l.period_start.day() == 1 || l.period_start == a.starts_on;
                    assert!(first_of_month, "TR387");
                    assert!(l.period_end < plan.today);
                    // TR418: the contract tariff of that year and municipality.
                    let offer = plan
                        .offers
                        .iter()
                        .find(|o| o.provider == provider && o.code == l.code.clone().unwrap_or_default())
                        .unwrap();
                    let tariff = offer.tariff(l.period_start.year(), municipality);
                    match l.unit.as_str() {
                        "83" => assert_eq!(l.tariff_cents, None),
                        _ => assert_eq!(l.tariff_cents, tariff, "{l:?}"),
                    }
                    if let (Some(volume), "2") = (a.volume, a.frequency.as_deref().unwrap_or("")) {
                        let weeks = weeks_touched(l.period_start, l.period_end);
                        assert!(l.volume <= volume * weeks, "TR321: {l:?} {a:?}");
                    }
                }
                Record::CareEvent(e) => {
                    let number = e.number.unwrap();
                    let (a, assigned_to) = &newest[&(municipality.to_string(), number)];
                    assert_eq!((&a.client, assigned_to.as_str()), (&e.client, provider), "TR019");
                    assert!(e.starts_on >= a.starts_on && e.starts_on < plan.today);
                    if e.stop {
                        assert!(starts.contains(&(e.client.clone(), number, e.starts_on)), "TR382: stop after start");
                        assert_eq!(e.ends_on, a.ends_on);
                        assert!(e.ends_on.unwrap() >= e.starts_on);
                    } else {
                        assert!(starts.insert((e.client.clone(), number, e.starts_on)));
                    }
                }
                _ => {}
            }
        }
    }
}

fn weeks_touched(start: Date, end: Date) -> i64 {
    let monday = start - time::Duration::days(i64::from(start.weekday().number_days_from_monday()));
    (end - monday).whole_days() / 7 + 1
}

#[test]
fn the_world_looks_like_a_region() {
    let w: World = world(&plan(Standard::Ijw, 60, 3)).unwrap();
    // BSNs: synthetic, valid, unique.
    let bsns: HashSet<&str> = w.clients.iter().map(|c| c.bsn.as_str()).collect();
    assert_eq!(bsns.len(), w.clients.len());
    assert!(w.clients.iter().all(|c| check_bsn(&c.bsn) && c.bsn.starts_with("99")));
    // Youths, spread over the municipalities by weight.
    for (index, c) in w.clients.iter().enumerate() {
        let first = w.assignments.iter().find(|a| a.client == index).unwrap().starts_on;
        let age = (first - c.born).whole_days() / 365;
        assert!((0..=17).contains(&age), "{age}");
    }
    let per_municipality = |code: &str| w.clients.iter().filter(|c| c.municipality == code).count() as f64;
    let ratio = per_municipality("0518") / per_municipality("0603");
    assert!((2.0..3.4).contains(&ratio), "{ratio}");

    // Heavy tail: the top 5 % of clients take at least 35 % of the money.
    let mut money: HashMap<usize, i64> = HashMap::new();
    for l in &w.lines {
        *money.entry(l.client).or_default() += l.amount_cents;
    }
    let mut amounts: Vec<i64> = money.values().copied().collect();
    amounts.sort_unstable_by(|a, b| b.cmp(a));
    let total: i64 = amounts.iter().sum();
    let top: i64 = amounts.iter().take(amounts.len().div_ceil(20)).sum();
    let share = top as f64 / total as f64;
    assert!(share >= 0.35, "top 5 % share {share:.2}");
    let residential: HashSet<usize> = w.lines.iter().filter(|l| l.unit == "14").map(|l| l.client).collect();
    let residential_share = residential.len() as f64 / w.clients.len() as f64;
    assert!((0.02..0.10).contains(&residential_share), "residential clients {residential_share:.3}");
    let residential_money: i64 = w.lines.iter().filter(|l| l.unit == "14").map(|l| l.amount_cents).sum();
    assert!(residential_money as f64 / total as f64 > 0.25);

    // Seasonality: less ambulant care in August, relative to what was assigned per week.
    let use_of_assignment = |months: &[u8]| -> f64 {
        let full_months = w.lines.iter().filter(|l| {
            let a = &w.assignments[l.assignment];
            let full =
                l.period_start.day() == 1 && l.period_end.month() != (l.period_end + time::Duration::days(1)).month();
            full && !l.correction
                && a.frequency == "2"
                && a.care == Care::Ambulant
                && months.contains(&(l.period_start.month() as u8))
        });
        let ratios: Vec<f64> =
            full_months.map(|l| l.volume as f64 / w.assignments[l.assignment].volume as f64).collect();
        ratios.iter().sum::<f64>() / ratios.len() as f64
    };
    let (august, spring_and_autumn) = (use_of_assignment(&[8]), use_of_assignment(&[3, 4, 5, 6, 9, 10, 11]));
    assert!(august < 0.8 * spring_and_autumn, "{august:.2} against {spring_and_autumn:.2}");

    // Claims only for complete months before today, amounts exact.
    assert_eq!(w.claim_months.last(), Some(&date!(2025 - 05 - 01)));
    for l in &w.lines {
        assert_eq!(l.amount_cents.abs(), l.tariff_cents.map_or(l.volume, |t| t * l.volume), "{l:?}");
    }
    // Corrections: a credit names the line it credits, which an earlier claim holds.
    let by_reference: HashMap<(&str, &str), &GeneratedLine> =
        w.lines.iter().map(|l| ((l.provider.as_str(), l.reference.as_str()), l)).collect();
    for l in w.lines.iter().filter(|l| l.amount_cents < 0) {
        let original = by_reference[&(l.provider.as_str(), l.previous_reference.as_deref().unwrap())];
        assert!(original.claim < l.claim && original.amount_cents == -l.amount_cents);
    }
}

#[test]
fn same_seed_same_bytes() {
    let (a, sa) = in_memory(&plan(Standard::Iwmo, 10, 5));
    let (b, sb) = in_memory(&plan(Standard::Iwmo, 10, 5));
    assert!(a == b && sa == sb);
    let (c, _) = in_memory(&plan(Standard::Iwmo, 10, 6));
    assert_ne!(a, c);
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("generator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn xsd_dir(standard: Standard) -> PathBuf {
    let dir = match standard {
        Standard::Ijw => "ijw-3.2",
        Standard::Iwmo => "iwmo-3.2",
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/istandaarden/xsd").join(dir)
}

/// Validates files of one message kind with xmllint, an independent validator.
fn xmllint(schema: &Path, files: &[PathBuf]) {
    let output = match Command::new("xmllint").arg("--noout").arg("--schema").arg(schema).args(files).output() {
        Ok(output) => output,
        Err(e) => panic!(
            "xmllint is needed to validate the generated files against the XSDs and could not be run ({e}); \
             install it with `apt-get install libxml2-utils` (CI does)"
        ),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} fails the schema:\n{}", schema.display(), &stderr[..stderr.len().min(4000)]);
    assert_eq!(stderr.matches(" validates").count(), files.len(), "{stderr}");
}

#[test]
fn every_file_validates_against_the_xsd() {
    for standard in [Standard::Ijw, Standard::Iwmo] {
        let dir = scratch(&format!("{standard:?}"));
        let summary = generate_to_dir(&plan(standard, 15, 21), &dir).unwrap();
        let mut by_kind: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            by_kind.entry(name.split('_').nth(1).unwrap().to_string()).or_default().push(path);
        }
        let kinds: BTreeSet<&str> = by_kind.keys().map(String::as_str).collect();
        let expected: BTreeSet<&str> = match standard {
            Standard::Ijw => ["JW301", "JW305", "JW307", "JW323", "JW325"].into(),
            Standard::Iwmo => ["WMO301", "WMO305", "WMO307", "WMO323"].into(),
        };
        assert_eq!(kinds, expected);
        assert_eq!(by_kind.values().map(Vec::len).sum::<usize>() as u64, summary.files);
        for (kind, files) in &by_kind {
            xmllint(&xsd_dir(standard).join(format!("{kind}.xsd")), files);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_large_claim_validates_and_adds_up() {
    for standard in [Standard::Ijw, Standard::Iwmo] {
        let mut bytes = Vec::new();
        let month = date!(2025 - 02 - 01);
        let written = write_large_claim(&mut bytes, standard, "12345678", "0518", month, 1000, 42).unwrap();
        assert_eq!(written, bytes.len() as u64);

        let mut lines = Vec::new();
        let mut claims = Vec::new();
        let summary = read(bytes.as_slice(), &key(), |r, _| match r {
            Record::ClaimLine(l) => lines.push(l),
            Record::Claim(c) => claims.push(c),
            _ => {}
        });
        assert!(summary.is_clean(), "{summary:?}");
        assert_eq!(lines.len(), 1000);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].total_cents, Some(lines.iter().map(|l| l.amount_cents).sum::<i64>()));
        assert!(claims[0].period_start == month && lines.iter().all(|l| l.period_start.month() == month.month()));
        let references: HashSet<&str> = lines.iter().map(|l| l.reference.as_str()).collect();
        assert_eq!(references.len(), 1000);

        let dir = scratch(&format!("large-{standard:?}"));
        let file = dir.join("large.xml");
        std::fs::write(&file, &bytes).unwrap();
        let schema = match standard {
            Standard::Ijw => "JW323.xsd",
            Standard::Iwmo => "WMO323.xsd",
        };
        xmllint(&xsd_dir(standard).join(schema), &[file]);
        std::fs::remove_dir_all(&dir).unwrap();

        // The same seed gives the same file; bad input is refused.
        let mut again = Vec::new();
        write_large_claim(&mut again, standard, "12345678", "0518", month, 1000, 42).unwrap();
        assert_eq!(again, bytes);
        assert!(write_large_claim(Vec::new(), standard, "1234", "0518", month, 10, 1).is_err());
        assert!(write_large_claim(Vec::new(), standard, "12345678", "0518", month, 0, 1).is_err());
    }
}

#[test]
fn nothing_is_generated_beyond_today() {
    // The plan runs into the future: only what happened before today is written.
    let mut p = plan(Standard::Ijw, 20, 9);
    p.today = date!(2024 - 07 - 15);
    let w = world(&p).unwrap();
    assert_eq!(w.claim_months.last(), Some(&date!(2024 - 06 - 01)));
    assert!(w.messages.iter().all(|m| m.sent_on <= p.today));
    assert!(w.assignments.iter().all(|a| a.starts_on < p.today && a.versions.iter().all(|v| v.assigned_on <= p.today)));
    assert!(w.lines.iter().all(|l| l.period_end < date!(2024 - 07 - 01)));
    assert!(w.events.iter().all(|e| e.sent_on <= p.today && e.ends_on.is_none_or(|e| e < date!(2024 - 07 - 01))));
}
