//! The CSV reader: the format as spreadsheets write it, and broken files.

use proptest::prelude::*;
use samenspel_istd::csv_format::{looks_like_csv, read};
use samenspel_istd::{MessageKind, Position, Pseudonymiser, ReadSummary, Record, Standard};

fn key() -> Pseudonymiser {
    Pseudonymiser::new(&[7; 32]).unwrap()
}

fn run(text: &str) -> (Vec<(Record, Position)>, ReadSummary) {
    let mut records = Vec::new();
    let summary = read(text.as_bytes(), &key(), |r, p| records.push((r, p)));
    (records, summary)
}

fn rules(summary: &ReadSummary) -> Vec<(Option<u64>, String, String)> {
    summary
        .record_problems
        .iter()
        .chain(&summary.file_problems)
        .map(|p| (p.position.line, p.field.clone(), p.rule.clone()))
        .collect()
}

const CLAIMS: &str = "\u{feff}Wet;Gemeente;AGB-code;Declaratienummer;BSN;Referentienummer;Toewijzingnummer;\
Productcategorie;Productcode;Begindatum;Einddatum;Volume;Eenheid;Tarief;Bedrag;Naam\r\n\
jeugd;0518;12345678;D2026041;999900006;R1;1001;45;45A04;1-4-2026;30-4-2026;4;04;78,12;312,48;A. Jansen\r\n\
jeugd;GM0518;12345678;D2026041;99990003;R2;1002;45;45A05;2026-04-01;2026-04-30;1.000;04;95,40;95.400,00;B. de Vries\r\n\
jeugd;0518;12345678;D2026042;999900018;R3;1003;43;43A07;01-04-2026;15-04-2026;15;14;€ 289,00;4.335;\r\n\
jeugd;0518;12345678;D2026042;999900018;R4;1003;43;43A07;01-04-2026;15-04-2026;15;14;289,00;-4.335,00;\r\n\
jeugd;0637;12345678;D2026043;999900018;R5;2001;45;45A04;1-4-2026;30-4-2026;2;04;78,12;156,24;\r\n";

#[test]
fn reads_claim_lines_as_spreadsheets_write_them() {
    let (records, summary) = run(CLAIMS);
    // Line 5 is a credit without the reference it credits (CD060); the rest is good.
    assert_eq!(rules(&summary), vec![(Some(5), "vorigreferentienummer".to_string(), "CD060".to_string())]);
    let kinds: Vec<&str> = records
        .iter()
        .map(|(r, _)| match r {
            Record::Header(_) => "header",
            Record::Claim(_) => "claim",
            Record::ClaimLine(_) => "line",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["header", "claim", "line", "line", "claim", "line", "header", "claim", "line"]);
    let Record::Header(h) = &records[0].0 else { unreachable!() };
    assert_eq!(
        (h.standard, h.kind, h.sender.as_str(), h.receiver.as_str()),
        (Standard::Ijw, MessageKind::Claim, "12345678", "0518")
    );
    let Record::Claim(c) = &records[1].0 else { unreachable!() };
    assert_eq!((c.number.as_str(), c.total_cents), ("D2026041", None));
    assert_eq!(
        (c.period_start.to_string(), c.period_end.to_string(), c.date.to_string()),
        ("2026-04-01".into(), "2026-04-30".into(), "2026-05-01".into())
    );
    let Record::ClaimLine(first) = &records[2].0 else { unreachable!() };
    assert_eq!((first.volume, first.tariff_cents, first.amount_cents), (4, Some(7812), 31_248));
    assert_eq!(first.client, key().pseudonym("999900006"));
    let Record::ClaimLine(second) = &records[3].0 else { unreachable!() };
    // Spreadsheets drop a BSN's leading zero: eight digits get it back.
    assert_eq!(second.client, key().pseudonym("099990003"));
    assert_eq!((second.volume, second.amount_cents), (1000, 9_540_000));
    assert_eq!(records[2].1.line, Some(2));
    // The problem carries the record for quarantine, pseudonymised.
    let problem = &summary.record_problems[0];
    let Some(Record::ClaimLine(credit)) = &problem.record else { panic!("record attached") };
    assert_eq!(credit.amount_cents, -433_500);
}

#[test]
fn comma_separated_with_quotes() {
    let text = "wet,gemeente,aanbieder,declaratienummer,bsn,referentienummer,toewijzingnummer,productcategorie,\
begindatum,einddatum,volume,eenheid,tarief,bedrag\n\
wmo,0518,12345678,W1,999900006,\"R,1\",7,02,2026-03-01,2026-03-31,10,04,\"42,50\",\"425,00\"\n";
    let (records, summary) = run(text);
    assert!(summary.is_clean(), "{summary:?}");
    let Some((Record::ClaimLine(l), _)) = records.last() else { panic!("line") };
    assert_eq!((l.reference.as_str(), l.tariff_cents, l.amount_cents), ("R,1", Some(4250), 42_500));
}

#[test]
fn each_broken_field_is_named() {
    let head = "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;\
productcode;begindatum;einddatum;volume;eenheid;tarief;bedrag\n";
    let rows = [
        ("jeugd;0518;12345678;D1;999900007;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;40,00", "bsn", "CS002"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;41,00", "bedrag", "TR346"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;15-4-2026;2-5-2026;4;04;10,00;40,00", "einddatum", "CS337"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;15-4-2026;2-4-2026;4;04;10,00;40,00", "einddatum", "CS003"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;41A04;1-4-2026;30-4-2026;4;04;10,00;40,00", "productcode", "S329"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;;40,00", "tarief", "CD087"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;99;10,00;40,00", "eenheid", "XSD"),
        ("jeugd;518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;40,00", "gemeente", "RS035"),
        ("jeugd;0518;1234567;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;40,00", "aanbieder", "RS036"),
        (
            "jeugd;0518;12345678;D-1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;40,00",
            "declaratienummer",
            "CS319",
        ),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;31-2-2026;30-4-2026;4;04;10,00;40,00", "begindatum", "CSV"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4,5;04;10,00;45,00", "volume", "CSV"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;veertig", "bedrag", "CSV"),
        ("zorg;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;40,00", "wet", "CSV"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00", "regel", "CSV"),
        ("jeugd;0518;12345678;D1;999900006;R1;1;45;45A04;1-4-2026;30-4-2026;4;04;10,00;40,00;extra", "regel", "CSV"),
    ];
    for (row, field, rule) in rows {
        let (records, summary) = run(&format!("{head}{row}\n"));
        assert!(records.is_empty(), "{row}: nothing is read from a broken row");
        assert_eq!(rules(&summary), vec![(Some(2), field.to_string(), rule.to_string())], "{row}");
        // The BSN never appears in a message.
        assert!(summary.record_problems.iter().all(|p| !p.message.contains("99990000")));
    }
}

#[test]
fn a_missing_column_rejects_the_file() {
    let text = "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;\
begindatum;einddatum;volume;eenheid\njeugd;0518;12345678;D1;999900006;R1;1;45;1-4-2026;30-4-2026;4;04\n";
    let (records, summary) = run(text);
    assert!(records.is_empty());
    assert_eq!(summary.file_problems.len(), 1);
    assert_eq!((summary.file_problems[0].field.as_str(), summary.file_problems[0].rule.as_str()), ("bedrag", "CSV"));
    assert!(summary.file_problems[0].message.contains("ontbreekt"));
    let (_, unknown) = run("naam;adres\nA;B\n");
    assert!(unknown.file_problems[0].message.contains("geen CSV-bestand van Samenspel"));
    let (_, empty) = run("");
    assert_eq!(empty.file_problems.len(), 1);
}

#[test]
fn reads_assignments_and_care_events() {
    let text = "wet;gemeente;aanbieder;bsn;toewijzingnummer;productcategorie;productcode;toewijzingsdatum;\
toewijzingstijd;ingangsdatum;einddatum;volume;eenheid;frequentie;budget\n\
jeugd;0518;12345678;999900006;1001;45;45A04;15-3-2026;09:30;1-4-2026;31-12-2026;6;04;2;\n\
jeugd;0518;12345678;999900018;1002;43;43A07;15-3-2026;;1-4-2026;;;;;\n\
jeugd;0518;12345678;999900018;1003;43;;15-3-2026;;1-4-2026;31-3-2026;;;;1.250,00\n";
    let (records, summary) = run(text);
    assert_eq!(rules(&summary), vec![(Some(4), "einddatum".to_string(), "CS003".to_string())]);
    let assignments: Vec<_> = records
        .iter()
        .filter_map(|(r, _)| match r {
            Record::Assignment(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(assignments.len(), 2);
    assert_eq!(
        (assignments[0].assigned_at.as_str(), assignments[0].volume, assignments[0].frequency.as_deref()),
        ("09:30:00", Some(6), Some("2"))
    );
    assert_eq!((assignments[1].assigned_at.as_str(), assignments[1].ends_on), ("00:00:00", None));
    let Record::Header(h) = &records[0].0 else { panic!("header") };
    assert_eq!((h.kind, h.sender.as_str()), (MessageKind::Assignment, "0518"));

    let events = "wet;gemeente;aanbieder;bsn;soort;toewijzingnummer;begindatum;einddatum;redenbeeindiging\n\
wmo;0518;12345678;999900006;start;7;1-4-2026;;\n\
wmo;0518;12345678;999900006;stop;7;1-4-2026;30-6-2026;02\n\
wmo;0518;12345678;999900006;stop;7;1-4-2026;;\n\
wmo;0518;12345678;999900006;pauze;7;1-4-2026;;\n";
    let (records, summary) = run(events);
    let problems = rules(&summary);
    assert_eq!(
        problems,
        vec![
            (Some(4), "einddatum".to_string(), "XSD".to_string()),
            (Some(4), "redenbeeindiging".to_string(), "XSD".to_string()),
            (Some(5), "soort".to_string(), "CSV".to_string())
        ]
    );
    let stops: Vec<bool> = records
        .iter()
        .filter_map(|(r, _)| match r {
            Record::CareEvent(e) => Some(e.stop),
            _ => None,
        })
        .collect();
    assert_eq!(stops, [false, true]);
}

#[test]
fn recognises_csv_by_its_header() {
    assert!(looks_like_csv(CLAIMS.as_bytes()));
    assert!(!looks_like_csv(b"<?xml version=\"1.0\"?><Bericht/>"));
    assert!(!looks_like_csv(b"naam;adres\n"));
}

proptest! {
    #[test]
    fn never_panics_on_any_text(text in "[a-z0-9;,\"\\n\\r -]{0,300}") {
        let header = "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;begindatum;einddatum;volume;eenheid;bedrag\n";
        let _ = run(&format!("{header}{text}"));
        let _ = run(&text);
    }

    #[test]
    fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut input = b"wet;soort;bsn;gemeente;aanbieder;begindatum\n".to_vec();
        input.extend(bytes);
        let _ = read(input.as_slice(), &key(), |_, _| {});
    }
}
