//! The message reader against the sample messages of the standard and against broken ones.

use samenspel_istd::xml::{read, read_bytes, read_in_chunks};
use samenspel_istd::{MessageKind, Position, Pseudonymiser, ReadSummary, Record, Standard};

const JW301: &str = include_str!("fixtures/JW301.xml");
const JW305: &str = include_str!("fixtures/JW305.xml");
const JW307: &str = include_str!("fixtures/JW307.xml");
const JW323: &str = include_str!("fixtures/JW323.xml");
const JW325: &str = include_str!("fixtures/JW325.xml");

fn key() -> Pseudonymiser {
    Pseudonymiser::new(&[7; 32]).unwrap()
}

/// Reads the bytes streamed and in memory; both readings must give the same, and so must
/// streams read in small chunks, which end inside every kind of event.
fn both(bytes: &[u8]) -> (Vec<(Record, Position)>, ReadSummary) {
    let (records, summary) = chunked(bytes, &[1, 2, 3, 5, 64]);
    (records, summary)
}

fn chunked(bytes: &[u8], chunk_sizes: &[usize]) -> (Vec<(Record, Position)>, ReadSummary) {
    let mut records = Vec::new();
    let summary = read(bytes, &key(), |r, p| records.push((r, p)));
    let mut in_memory = Vec::new();
    let summary_in_memory = read_bytes(bytes, &key(), |r, p| in_memory.push((r, p)));
    assert_eq!(records, in_memory, "records streamed and in memory");
    assert_eq!(summary, summary_in_memory, "problems streamed and in memory");
    for &size in chunk_sizes {
        let mut in_chunks = Vec::new();
        let summary_in_chunks = read_in_chunks(bytes, size, &key(), |r, p| in_chunks.push((r, p)));
        assert_eq!(in_chunks, in_memory, "records in chunks of {size} bytes and in memory");
        assert_eq!(summary_in_chunks, summary_in_memory, "problems in chunks of {size} bytes and in memory");
    }
    (records, summary)
}

fn run(xml: &str) -> (Vec<(Record, Position)>, ReadSummary) {
    both(xml.as_bytes())
}

fn rules(summary: &ReadSummary) -> Vec<String> {
    summary.record_problems.iter().chain(&summary.file_problems).map(|p| p.rule.clone()).collect()
}

#[test]
fn reads_the_sample_claim() {
    let (records, summary) = run(JW323);
    assert!(summary.is_clean(), "{:?}", summary);
    let Record::Header(h) = &records[0].0 else { panic!("header first") };
    assert_eq!(
        (h.standard, h.kind, h.sender.as_str(), h.receiver.as_str()),
        (Standard::Ijw, MessageKind::Claim, "65656055", "0384")
    );
    assert_eq!(h.parties(), ("0384", "65656055"));
    let Record::Claim(claim) = &records[1].0 else { panic!("claim second") };
    assert_eq!((claim.number.as_str(), claim.total_cents), ("DN001", Some(79_000)));
    let lines: Vec<_> = records
        .iter()
        .filter_map(|(r, _)| match r {
            Record::ClaimLine(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines.iter().map(|l| l.amount_cents).sum::<i64>(), 79_000);
    assert_eq!((lines[0].volume, lines[0].tariff_cents, lines[0].code.as_deref()), (4, Some(1250), Some("45A03")));
    assert_eq!(lines[0].client, key().pseudonym("999900006"));
    assert_ne!(lines[0].client, lines[2].client);
    // Positions name the line of each Prestatie.
    assert_eq!(records[2].1.line, Some(33));
}

#[test]
fn reads_assignments_starts_stops_and_answers() {
    let (records, summary) = run(JW301);
    assert!(summary.is_clean(), "{:?}", summary);
    let assignments: Vec<_> = records
        .iter()
        .filter_map(|(r, _)| match r {
            Record::Assignment(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(assignments.len(), 2);
    assert_eq!(
        (assignments[0].number, assignments[0].volume, assignments[0].unit.as_deref()),
        (300201, Some(2), Some("04"))
    );
    assert_eq!(assignments[0].product.code.as_deref(), Some("55A11"));

    for (xml, stop) in [(JW305, false), (JW307, true)] {
        let (records, summary) = run(xml);
        assert!(summary.is_clean(), "{:?}", summary);
        let events: Vec<_> = records
            .iter()
            .filter_map(|(r, _)| match r {
                Record::CareEvent(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.stop == stop));
    }

    let (records, summary) = run(JW325);
    assert!(summary.is_clean(), "{:?}", summary);
    let Some(Record::ClaimAnswer(answer)) =
        records.iter().map(|(r, _)| r).find(|r| matches!(r, Record::ClaimAnswer(_)))
    else {
        panic!()
    };
    assert_eq!((answer.submitted_cents, answer.granted_cents), (-58_000, -34_000));
    let rejected: Vec<_> = records
        .iter()
        .filter_map(|(r, _)| match r {
            Record::RejectedLine(l) => Some(l),
            _ => None,
        })
        .collect();
    assert!(!rejected.is_empty());
    assert_eq!(rejected[0].return_codes, vec!["0611".to_string()]);
}

#[test]
fn file_level_problems_reject_the_file() {
    let cases = [
        (JW323.replace("</jw323:Bericht>", ""), "XSD", "afgebroken"),
        (JW323.replace("3_2/jw323", "3_1/jw323"), "XSD", "release 3.1"),
        (JW323.replace("<jw323:BerichtCode>490", "<jw323:BerichtCode>436"), "XSD", "BerichtCode"),
        (JW323.replace("<ijw:TotaalBedrag>79000", "<ijw:TotaalBedrag>79001"), "TR358", "som van de prestaties"),
        (
            JW323.replacen("<ijw:Einddatum>2026-04-30</ijw:Einddatum>", "<ijw:Einddatum>2026-04-29</ijw:Einddatum>", 1),
            "CS340",
            "kalendermaand",
        ),
        (JW323.replace("<jw323:BerichtVersie>3", "<jw323:BerichtVersie>2"), "CS025", "release 3.2"),
        (JW323.replace("<jw323:Clienten>", "<jw323:Clienten><"), "XSD", "geen geldige XML"),
        ("".to_string(), "XSD", "geen bericht"),
        ("<a:Bericht xmlns:a=\"urn:x\"/>".to_string(), "XSD", "namespace"),
    ];
    for (xml, rule, words) in cases {
        let (_, summary) = run(&xml);
        let found = summary.file_problems.iter().find(|p| p.rule == rule);
        assert!(found.is_some_and(|p| p.message.contains(words)), "{rule} / {words}: {:?}", summary.file_problems);
    }
}

#[test]
fn record_problems_name_line_field_and_rule() {
    // An invalid BSN: that client's lines are out, the other client's are in.
    let (records, summary) = run(&JW323.replace("999900006", "999900007"));
    assert!(summary.file_problems.is_empty());
    assert_eq!(records.iter().filter(|(r, _)| matches!(r, Record::ClaimLine(_))).count(), 3);
    assert!(rules(&summary).iter().all(|r| r == "CS002"));
    assert!(!format!("{summary:?}").contains("999900007"), "the BSN is not kept in a problem");

    // Amount not volume × tariff, and a missing tariff.
    let broken = JW323.replacen("<ijw:Bedrag>5000</ijw:Bedrag>", "<ijw:Bedrag>5001</ijw:Bedrag>", 1);
    let broken = broken.replacen("<ijw:TotaalBedrag>79000", "<ijw:TotaalBedrag>79001", 1);
    let (records, summary) = run(&broken);
    assert!(summary.file_problems.is_empty(), "{:?}", summary.file_problems);
    let p = &summary.record_problems[0];
    assert_eq!((p.rule.as_str(), p.field.as_str(), p.position.line), ("TR346", "Prestatie/IngediendBedrag", Some(33)));
    assert!(matches!(p.record, Some(Record::ClaimLine(_))), "the record is kept for quarantine");
    assert_eq!(records.iter().filter(|(r, _)| matches!(r, Record::ClaimLine(_))).count(), 4);

    let no_tariff = JW323.replacen("<jw323:ProductTarief>1250</jw323:ProductTarief>", "", 1);
    assert_eq!(rules(&run(&no_tariff).1), ["CD087"]);

    // Dates out of order, a period across months, a product code of another category.
    let out_of_order =
        replace_nth(JW323, "<ijw:Einddatum>2026-04-30</ijw:Einddatum>", "<ijw:Einddatum>2026-04-10</ijw:Einddatum>", 2);
    let out_of_order = replace_nth(
        &out_of_order,
        "<ijw:Begindatum>2026-04-01</ijw:Begindatum>",
        "<ijw:Begindatum>2026-04-20</ijw:Begindatum>",
        2,
    );
    assert_eq!(rules(&run(&out_of_order).1), ["CS003"]);
    let wrong_category = JW323.replacen("<jw323:ProductCode>45A03", "<jw323:ProductCode>43A03", 1);
    assert_eq!(rules(&run(&wrong_category).1), ["S329"]);
    let bad_date = JW301.replacen("<jw301:Ingangsdatum>2026-04-01", "<jw301:Ingangsdatum>2026-02-30", 1);
    assert_eq!(rules(&run(&bad_date).1), ["XSD"]);
    let reversed = JW301.replacen("<jw301:Einddatum>2026-07-14", "<jw301:Einddatum>2026-03-14", 1);
    assert_eq!(rules(&run(&reversed).1), ["CS003"]);
}

#[test]
fn entities_and_envelopes() {
    let with_entity = JW323.replace("<jw323:DeclaratieNummer>DN001", "<jw323:DeclaratieNummer>DN&#48;01");
    let (records, summary) = run(&with_entity);
    assert!(summary.is_clean());
    assert!(records.iter().any(|(r, _)| matches!(r, Record::Claim(c) if c.number == "DN001")));
    let unknown = JW323.replace("<jw323:DeclaratieNummer>DN001", "<jw323:DeclaratieNummer>&foo;");
    assert!(!run(&unknown).1.file_problems.is_empty());
}

#[test]
fn byte_order_marks_and_end_tags() {
    // The byte order mark before the message is skipped; U+FEFF inside a value is a
    // character of it, also where a chunk of the stream starts with it.
    let with_marks = format!(
        "\u{FEFF}{}",
        JW323.replace("<jw323:DeclaratieNummer>DN001", "<jw323:DeclaratieNummer>\u{FEFF}\u{FEFF}DN001")
    );
    let (_, summary) = run(&with_marks);
    let p = &summary.file_problems[0];
    assert_eq!(
        (p.rule.as_str(), p.field.as_str(), p.position.line),
        ("CS319", "Declaratie/DeclaratieNummer", Some(18))
    );
    let (records, summary) = run(&format!("\u{FEFF}{JW323}"));
    assert!(summary.is_clean());
    let without: Vec<_> = run(JW323).0.into_iter().map(|(r, p)| (r, p.line, p.offset + 3)).collect();
    let with: Vec<_> = records.into_iter().map(|(r, p)| (r, p.line, p.offset)).collect();
    assert_eq!(with, without, "offsets count the byte order mark's three bytes, lines do not");

    // Elements close in the order they opened, checked by the reader itself.
    let crossed = JW323.replacen("</ijw:Dagtekening>", "</ijw:Identificatie>", 1);
    let (_, summary) = run(&crossed);
    let p = &summary.file_problems[0];
    assert_eq!((p.rule.as_str(), p.position.line), ("XSD", Some(11)), "{p:?}");
    assert!(p.message.contains("</ijw:Dagtekening>") && p.message.contains("</ijw:Identificatie>"), "{p:?}");
    let (_, summary) = run(&format!("{JW323}</extra>"));
    assert!(summary.file_problems[0].message.contains("</extra>"), "{:?}", summary.file_problems);
}

#[test]
fn bytes_that_are_not_utf8_are_named_by_offset() {
    // Also where a chunk starts with U+FEFF just before the bad byte: the offset is the byte's.
    let text = JW323.replace("<jw323:DeclaratieNummer>DN001", "<jw323:DeclaratieNummer>\u{FEFF}DN\u{1}01");
    let bytes = text.replace('\u{1}', "\u{0}").into_bytes();
    let bad = bytes.iter().position(|&b| b == 0).unwrap();
    let mut bytes = bytes;
    bytes[bad] = 0xFF;
    let sizes: Vec<usize> = (1..80).collect();
    let (_, summary) = chunked(&bytes, &sizes);
    let p = &summary.file_problems[0];
    assert_eq!(p.position.offset, bad as u64, "{p:?}");
    assert!(p.message.contains("UTF-8") && p.message.contains(&bad.to_string()), "{p:?}");
}

/// Replaces the n-th (1-based) occurrence of a pattern.
fn replace_nth(text: &str, pattern: &str, with: &str, n: usize) -> String {
    let at = text.match_indices(pattern).nth(n - 1).map(|(i, _)| i).expect("pattern occurs");
    format!("{}{}{}", &text[..at], with, &text[at + pattern.len()..])
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000), chunk in 1usize..40) {
            let _ = chunked(bytes.as_slice(), &[chunk]);
        }

        #[test]
        fn on_xml_like_bytes(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<", ">", "</", "/>", "<!", "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>", "&", ";", "&amp;",
                    "&#48;", "\u{FEFF}", "\r", "\n", " ", "a", "jw323:Bsn", "\"", "'", "=", "\u{e9}",
                ]),
                0..200,
            ),
            chunk in 1usize..24,
        ) {
            let text = format!("\u{FEFF}{JW323}").replacen("<jw323:Clienten>", &format!("<jw323:Clienten>{}", parts.concat()), 1);
            let _ = chunked(text.as_bytes(), &[chunk]);
        }

        #[test]
        fn on_truncated_and_mutated_claims(cut in 0usize..4000, at in 0usize..4000, byte in any::<u8>()) {
            let mut bytes = JW323.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(cut.min(bytes.len()));
            let (records, summary) = chunked(bytes.as_slice(), &[1 + at % 97]);
            let lines = records.iter().filter(|(r, _)| matches!(r, Record::ClaimLine(_))).count();
            // A damaged file is either still whole and valid, or reported.
            prop_assert!(summary.is_clean() || !summary.file_problems.is_empty() || !summary.record_problems.is_empty() || lines <= 5);
        }
    }
}
