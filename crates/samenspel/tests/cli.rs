//! The command line as a region's scripts use it: the real binary, a real database file.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn samenspel(database: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_samenspel"))
        .arg("--database")
        .arg(database)
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn temp_database() -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new();
    let url = format!("sqlite://{}/cli.db", dir.path.display());
    (dir, url)
}

mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Dir {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let path = std::env::temp_dir().join(format!("samenspel-cli-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Dir { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_explains_the_commands_in_dutch() {
    let out = samenspel("sqlite::memory:", &["--help"], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["serve", "migrate", "user", "token", "regio", "referentie", "kerncijfers", "--database"] {
        assert!(help.contains(word), "--help mentions {word}");
    }
    assert!(help.contains("Start de webserver"));
}

#[test]
fn an_unreachable_database_gives_one_clear_line() {
    let out = samenspel("postgres://app:geheim@127.0.0.1:1/samenspel", &["migrate"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("postgres://app:***@127.0.0.1:1/samenspel is niet bereikbaar"), "{err}");
    assert!(!err.contains("geheim") && !err.contains("panicked"));

    let out = samenspel("mysql://x", &["migrate"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("wordt niet herkend"));
}

#[test]
fn a_region_is_set_up_and_administered_from_the_command_line() {
    let (_dir, db) = temp_database();
    let out = samenspel(&db, &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("342 gemeenten (2024), 42 jeugdregio's (2025)"));

    let out = samenspel(&db, &["regio", "create", "--jeugdregio", "JZ24", "--centrum", "GM0518"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Regio Haaglanden (haaglanden) aangemaakt met 9 leden"));
    let out = samenspel(&db, &["regio", "create", "--jeugdregio", "JZ99"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("JZ99"), "{}", text(&out.stderr));

    let out = samenspel(
        &db,
        &[
            "user",
            "add",
            "anna",
            "--naam",
            "Anna de Vries",
            "--regio",
            "haaglanden",
            "--rol",
            "gemeente",
            "--gemeente",
            "GM0503",
        ],
        Some("een lange zin als wachtwoord\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let weak = samenspel(&db, &["user", "add", "bert", "--naam", "Bert"], Some("kort\n"));
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("minstens 12 tekens"));

    let out = samenspel(&db, &["token", "create", "--user", "anna"], None);
    assert!(out.status.success());
    assert!(text(&out.stdout).trim().starts_with("ssp_"));

    let out = samenspel(&db, &["user", "passwd", "anna"], Some("nog een lange zin hier\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));

    let list = samenspel(&db, &["regio", "list"], None);
    assert!(text(&list.stdout).contains("haaglanden\tHaaglanden\tjeugd\t9 leden"));

    // Every change above is in the audit log's hash chain.
    let verify = samenspel(&db, &["audit", "verify"], None);
    let report = text(&verify.stdout);
    assert!(verify.status.success(), "{report}");
    assert!(report.contains("De keten is intact."), "{report}");
    let head = report.lines().find_map(|l| l.strip_prefix("Laatste hash: ")).unwrap().to_string();
    assert_eq!(head.len(), 64);
    let unknown = "f".repeat(64);
    let missing = samenspel(&db, &["audit", "verify", "--verwacht", &unknown], None);
    assert!(!missing.status.success());
    assert!(text(&missing.stdout).contains("staat niet (meer) in het logboek"), "{}", text(&missing.stdout));
    assert!(samenspel(&db, &["audit", "verify", "--verwacht", &head], None).status.success());
}

#[test]
fn figures_import_exits_non_zero_and_names_each_bad_row() {
    let (dir, db) = temp_database();
    assert!(samenspel(&db, &["regio", "create", "--jeugdregio", "JZ24"], None).status.success());
    let bad = dir.path.join("kerncijfers.csv");
    std::fs::write(&bad, "gemeentecode;jaar;jeugdigen_0_17\nGM0518;2026;veel\nGM0363;2026;10\n").unwrap();
    let out = samenspel(&db, &["kerncijfers", "import", "--regio", "haaglanden", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("regel 2, kolom jeugdigen_0_17"), "{err}");
    assert!(err.contains("niets opgeslagen"), "{err}");

    std::fs::write(&bad, "gemeentecode;jaar;jeugdigen_0_17\nGM0518;2026;110.000\n").unwrap();
    let out = samenspel(&db, &["kerncijfers", "import", "--regio", "haaglanden", bad.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 regel(s) bijgewerkt"));
}

#[test]
fn a_newer_cbs_year_is_loaded_from_files() {
    let (dir, db) = temp_database();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cbs/");
    let municipalities = std::fs::read_to_string(format!("{shipped}gemeenten_2024.csv"))
        .unwrap()
        .replace("inwoners_2024", "inwoners_2025");
    let path = dir.path.join("gemeenten_2025.csv");
    std::fs::write(&path, municipalities).unwrap();
    let out = samenspel(
        &db,
        &[
            "referentie",
            "laden",
            "--gemeenten",
            path.to_str().unwrap(),
            "--jeugdregios",
            &format!("{shipped}jeugdregios_2025.csv"),
            "--indeling",
            &format!("{shipped}gemeente_jeugdregio_2025.csv"),
            "--jaar",
            "2025",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("342 gemeenten (inwoners 2025"), "{}", text(&out.stdout));
}

fn samenspel_in(dir: &std::path::Path, database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samenspel"))
        .current_dir(dir)
        .arg("--database")
        .arg(database)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("SAMENSPEL_DEMO_PASSWORD", "cli test wachtwoord demo")
        .output()
        .unwrap()
}

#[test]
fn generated_messages_import_from_the_command_line_and_rejections_fail_the_run() {
    let (dir, db) = temp_database();
    let keys = dir.path.join("sleutels");
    let keys = keys.to_str().unwrap();
    let out = samenspel_in(&dir.path, &db, &["demo", "--zonder-productie"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let messages = dir.path.join("berichten");
    let out = samenspel_in(
        &dir.path,
        &db,
        &["generate", "--out", messages.to_str().unwrap(), "--maanden", "3", "--seed", "5", "--clienten-per-1000", "8"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("berichten geschreven"), "{}", text(&out.stdout));
    let files = std::fs::read_dir(&messages).unwrap().count();
    assert!(files > 10);

    // The region follows from the municipality in each file; assignments go first.
    let out = samenspel_in(&dir.path, &db, &["--sleutelmap", keys, "import", messages.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("JW301 ingelezen in haaglanden"), "{stdout}");
    assert!(stdout.contains(&format!("Totaal {files} bestand(en)")), "{stdout}");
    assert!(stdout.contains(" 0 in quarantaine, 0 dubbel"), "{stdout}");
    assert!(std::path::Path::new(keys).join("haaglanden.key").exists(), "the region key lives outside the database");

    // Again: nothing is added.
    let out = samenspel_in(&dir.path, &db, &["--sleutelmap", keys, "import", messages.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).matches("al eerder ingelezen").count(), files);

    // A hand-broken claim: one amount changed, so the total no longer adds up.
    let claim = std::fs::read_dir(&messages)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("JW323"))
        .unwrap();
    let xml = std::fs::read_to_string(&claim).unwrap();
    let broken = xml.replacen("<ijw:Bedrag>", "<ijw:Bedrag>1", 1);
    let broken_path = dir.path.join("kapot.xml");
    std::fs::write(&broken_path, broken).unwrap();
    let csv_path = dir.path.join("declaraties.csv");
    std::fs::write(
        &csv_path,
        "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;begindatum;\
einddatum;volume;eenheid;tarief;bedrag\njeugd;0518;98000001;CSV1;999900007;CSV-R1;1;45;1-4-2026;30-4-2026;1;04;80,00;80,00\n",
    )
    .unwrap();
    let out = samenspel_in(
        &dir.path,
        &db,
        &["--sleutelmap", keys, "import", broken_path.to_str().unwrap(), csv_path.to_str().unwrap()],
    );
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "rejections fail the run: {stdout}");
    assert!(stdout.contains("kapot.xml: afgewezen"), "{stdout}");
    assert!(stdout.contains("[TR358, fout]") || stdout.contains("[TR346, fout]"), "{stdout}");
    assert!(stdout.contains("regel 2, bsn:") && stdout.contains("[CS002, fout]"), "{stdout}");
    assert!(!stdout.contains("999900007"), "the BSN is never shown");
}

fn example(file: &str) -> String {
    format!("{}/../../docs/voorbeelden/verevening/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn settlement(model: &str, costs: &str, keys: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verevening", "--model", model, "--kosten", costs, "--sleutels", keys, "--jaar", "2026"];
    args.extend_from_slice(extra);
    samenspel("sqlite://niet-gebruikt.db", &args, None)
}

#[test]
fn the_settlement_from_files_adds_up_and_compares_the_models() {
    let (model, costs, keys) = (example("afspraak.json"), example("kosten.csv"), example("sleutels.csv"));
    let out = settlement(&model, &costs, &keys, &["--vergelijk", &example("voorstel.json"), "--csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    // Per model and pool the differences cancel out to the cent.
    let mut sums: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.splitn(7, ';').collect();
        let cents: i64 = fields[5].replace(',', "").parse().unwrap();
        *sums.entry((fields[0].to_string(), fields[1].to_string())).or_default() += cents;
    }
    // User pays, full solidarity by two keys, the agreement and the proposal; two pools each.
    assert_eq!(sums.len(), 10, "{csv}");
    assert!(sums.values().all(|s| *s == 0), "{sums:?}");
    assert!(csv.contains("profijtbeginsel;verblijf;GM1842;420000,00;420000,00;0,00;"));
    let table = text(&settlement(&model, &costs, &keys, &["--uitleg"]).stdout);
    assert!(table.contains("[4] huidig: Huidige afspraak"), "{table}");
    assert!(table.contains("GM1842: Eigen kosten in pot verblijf: € 420.000,00."), "{table}");
}

#[test]
fn bad_settlement_input_names_the_file_and_what_is_missing() {
    let dir = tempdir::Dir::new();
    let write = |name: &str, content: &str| {
        let path = dir.path.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    };
    let keys = example("sleutels.csv");
    let fixed =
        write("vast.json", r#"{"naam": "x", "potten": [{"naam": "overig", "solidariteit": 100, "sleutel": "vast"}]}"#);
    let fixed_keys = write("vast.csv", "gemeente;vast\nGM0518;60\nGM0503;30\nGM1842;5\n");
    let costs = write("kosten.csv", "gemeente;pot;kosten\nGM0518;overig;100\n");
    let out = settlement(&fixed, &costs, &fixed_keys, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("pot overig: de vaste percentages tellen op tot 95,00 %"),
        "{}",
        text(&out.stderr)
    );

    let missing_key = write("sleutel.csv", "gemeente;inwoners\nGM0518;552.995\nGM0503;\n");
    let by_inhabitants = write(
        "inwoners.json",
        r#"{"naam": "x", "potten": [{"naam": "overig", "solidariteit": 50, "sleutel": "inwoners"}]}"#,
    );
    let out = settlement(&by_inhabitants, &costs, &missing_key, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("sleutel inwoners heeft geen waarde voor GM0503"), "{}", text(&out.stderr));

    let negative = write("negatief.csv", "gemeente;pot;kosten\nGM0518;overig;100\nGM0503;overig;-5,00\n");
    let out = settlement(&by_inhabitants, &negative, &keys, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("negatief.csv: regel 3, kolom kosten"), "{err}");

    let unknown_pool = write("pot.csv", "gemeente;pot;kosten\nGM0518;jeugdzorg-plus;100\n");
    let out = settlement(&by_inhabitants, &unknown_pool, &keys, &[]);
    assert!(text(&out.stderr).contains("pot jeugdzorg-plus staat in de kostentabel maar niet in het model"));
    let outside = write("buiten.csv", "gemeente;pot;kosten\nGM0363;overig;100\n");
    let out = settlement(&by_inhabitants, &outside, &keys, &[]);
    assert!(text(&out.stderr).contains("GM0363 heeft kosten in pot overig maar staat niet in de sleuteltabel"));
    let broken =
        write("kapot.json", r#"{"naam": "x", "potten": [{"naam": "a", "solidariteit": 150, "sleutel": "inwoners"}]}"#);
    let out = settlement(&broken, &costs, &keys, &[]);
    assert!(text(&out.stderr).contains("solidariteit 150 is geen percentage"), "{}", text(&out.stderr));
}

#[test]
fn the_budget_risk_simulation_is_reproducible() {
    let args = |seed: &'static str| {
        vec![
            "simuleer".to_string(),
            "--model".into(),
            example("afspraak.json"),
            "--kosten".into(),
            example("kosten.csv"),
            "--sleutels".into(),
            example("sleutels.csv"),
            "--jaar".into(),
            "2026".into(),
            "--jaren".into(),
            "5000".into(),
            "--seed".into(),
            seed.into(),
        ]
    };
    let run = |seed| {
        let a = args(seed);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        samenspel("sqlite://niet-gebruikt.db", &refs, None)
    };
    let first = run("7");
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout), text(&run("7").stdout));
    assert_ne!(text(&first.stdout), text(&run("8").stdout));
    assert!(text(&first.stdout).contains("GM1842"));
}

#[test]
fn the_settlement_reads_a_regions_imported_production() {
    let dir = tempdir::Dir::new();
    let database = format!("sqlite://{}/demo.db", dir.path.display());
    let out = samenspel_in(&dir.path, &database, &["demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let model = dir.path.join("regio.json");
    std::fs::write(
        &model,
        r#"{"naam": "Haaglanden", "potten": [
            {"naam": "verblijf", "categorieen": ["43", "46"], "solidariteit": 100, "sleutel": "inwoners", "drempel": 50000},
            {"naam": "overig", "solidariteit": 50, "sleutel": "inwoners"}]}"#,
    )
    .unwrap();
    let model = model.display().to_string();
    let year = (this_year() - 1).to_string();
    let run = |year: &str| {
        samenspel_in(
            &dir.path,
            &database,
            &["verevening", "--regio", "haaglanden", "--jaar", year, "--model", &model, "--csv"],
        )
    };
    let out = run(&year);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut per_model: std::collections::BTreeMap<String, (i64, usize)> = Default::default();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.splitn(7, ';').collect();
        let entry = per_model.entry(fields[0].to_string()).or_default();
        entry.0 += fields[5].replace(',', "").parse::<i64>().unwrap();
        entry.1 += 1;
    }
    // Every model settles both pools for all nine members, to the cent.
    assert!(per_model.contains_key("huidig: Haaglanden"), "{csv}");
    assert!(per_model.values().all(|(sum, rows)| *sum == 0 && *rows == 18), "{per_model:?}");
    let out = run("2019");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("regio haaglanden heeft geen ingelezen productie (jeugd) in 2019"));

    // Stored in the region as its adopted agreement, then settled and simulated by name; a
    // second version from a later year leaves this year alone.
    let store = |extra: &[&str]| {
        let mut args = vec!["afspraak", "--regio", "haaglanden", "--model", &model, "--vanaf", "2020"];
        args.extend_from_slice(extra);
        samenspel_in(&dir.path, &database, &args)
    };
    let out = store(&["--status", "vastgesteld", "--toelichting", "AB 12 maart"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "afspraak Haaglanden (vastgesteld): versie 1 geldt vanaf 2020");
    let by_name = samenspel_in(
        &dir.path,
        &database,
        &["verevening", "--regio", "haaglanden", "--jaar", &year, "--afspraak", "Haaglanden", "--csv"],
    );
    assert!(by_name.status.success(), "{}", text(&by_name.stderr));
    assert_eq!(text(&by_name.stdout), csv, "the stored agreement settles like its file");
    let sim = samenspel_in(
        &dir.path,
        &database,
        &["simuleer", "--regio", "haaglanden", "--jaar", &year, "--afspraak", "Haaglanden", "--jaren", "2000"],
    );
    assert!(sim.status.success(), "{}", text(&sim.stderr));
    assert_eq!(text(&sim.stdout).lines().filter(|l| l.starts_with("GM")).count(), 9, "{}", text(&sim.stdout));
    let unknown = samenspel_in(
        &dir.path,
        &database,
        &["verevening", "--regio", "haaglanden", "--jaar", &year, "--afspraak", "Onbekend"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("regio haaglanden heeft geen afspraak 'Onbekend'"));
    let broken = dir.path.join("kapot.json");
    std::fs::write(
        &broken,
        r#"{"naam": "Haaglanden", "potten": [{"naam": "a", "solidariteit": 101, "sleutel": "inwoners"}]}"#,
    )
    .unwrap();
    let out = samenspel_in(
        &dir.path,
        &database,
        &["afspraak", "--regio", "haaglanden", "--model", broken.to_str().unwrap(), "--vanaf", "2030"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("solidariteit 101"), "{}", text(&out.stderr));
}

/// The current year, as the demo's production is generated up to the last complete month.
fn this_year() -> i32 {
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 86_400;
    // Civil year from days since 1970 (good to the day for this purpose).
    1970 + (days as f64 / 365.2425) as i32
}

#[test]
fn a_vote_is_counted_by_the_charters_rule_with_the_arithmetic() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/voorbeelden/bestuur/");
    let rules = format!("{examples}besluitregels.json");
    let votes = format!("{examples}stemmen.csv");
    let count = |kind: &str| {
        samenspel("sqlite::memory:", &["stemming", "--regels", &rules, "--soort", kind, "--stemmen", &votes], None)
    };
    // The three largest members carry 69 % of the inhabitants but not a majority of the members.
    let out = count("begroting");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("leden voor 3 van 9 = 33,33 % (niet meer dan de helft)"), "{shown}");
    assert!(shown.contains("inwoners voor 804.232 van 1.162.453 = 69,18 % (meer dan de helft)"), "{shown}");
    assert!(shown.trim_end().ends_with("Uitkomst: verworpen"));
    let out = count("fusie");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("soort 'fusie' heeft geen besluitregel"));
}

#[test]
fn generated_answers_fill_an_open_round_and_are_marked() {
    use samenspel_domain::instrument::Party;
    use samenspel_store::health::{InstrumentChoice, NewRound};
    use samenspel_store::{Actor, Store};
    let dir = tempdir::Dir::new();
    let database = format!("sqlite://{}/demo.db", dir.path.display());
    let out = samenspel_in(&dir.path, &database, &["demo", "--zonder-productie"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (store, region, round) = runtime.block_on(async {
        let store = Store::connect(&database).await.unwrap();
        let region = store.region_by_code("haaglanden").await.unwrap().unwrap().id;
        let new = NewRound {
            title: "Vertrouwen (gegenereerd)".into(),
            kind: "periodiek".into(),
            instrument: InstrumentChoice::Shipped("vertrouwen".into()),
            parties: Party::ALL.to_vec(),
            closes_at: samenspel_store::now() + time::Duration::days(2),
        };
        let round = store.create_survey_round(region, &new, &Actor::cli()).await.unwrap();
        (store, region, round.id)
    });
    let ronde = round.to_string();
    // Not open yet: refused, nothing added.
    let out =
        samenspel_in(&dir.path, &database, &["gezondheid", "genereer", "--regio", "haaglanden", "--ronde", &ronde]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("Alleen een open meetronde"), "{}", text(&out.stderr));
    runtime.block_on(store.set_survey_round_status(region, round, true, &Actor::cli())).unwrap();
    let out = samenspel_in(
        &dir.path,
        &database,
        &["gezondheid", "genereer", "--regio", "haaglanden", "--ronde", &ronde, "--daling", "bestuur=1"],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("'bestuur' is geen partij"), "{}", text(&out.stderr));
    let out = samenspel_in(
        &dir.path,
        &database,
        &[
            "gezondheid",
            "genereer",
            "--regio",
            "haaglanden",
            "--ronde",
            &ronde,
            "--aantal",
            "30",
            "--daling",
            "regio=1,8",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("30 gegenereerde antwoorden"), "{}", text(&out.stdout));
    let (respondents, row) = runtime.block_on(async {
        (store.respondents(round).await.unwrap().0, store.survey_round(region, round).await.unwrap())
    });
    assert_eq!(respondents.len(), 30);
    assert!(row.generated);
}
