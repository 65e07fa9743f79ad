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
