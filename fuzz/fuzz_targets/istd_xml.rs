//! The iJw/iWmo message reader takes any bytes without panicking, every record it hands on
//! keeps the rules it promises (pseudonyms only, claim lines whose amounts add up), and reading
//! the bytes streamed (in chunks of every size) or in memory gives the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_istd::{rules, xml, Pseudonymiser, Record};

fuzz_target!(|data: &[u8]| {
    let key = Pseudonymiser::new(&[7; 32]).expect("key");
    let mut streamed = Vec::new();
    let summary = xml::read(data, &key, |record, at| {
        check(&record);
        streamed.push((record, at));
    });
    let mut in_memory = Vec::new();
    let summary_in_memory = xml::read_bytes(data, &key, |record, at| in_memory.push((record, at)));
    assert_eq!(streamed, in_memory);
    assert_eq!(summary, summary_in_memory);
    // Small chunks end inside every kind of event; the size follows from the input.
    let chunk = 1 + data.iter().fold(0usize, |n, b| n.wrapping_mul(31).wrapping_add(usize::from(*b))) % 64;
    let mut in_chunks = Vec::new();
    let summary_in_chunks = xml::read_in_chunks(data, chunk, &key, |record, at| in_chunks.push((record, at)));
    assert_eq!(in_chunks, in_memory, "chunks of {chunk} bytes");
    assert_eq!(summary_in_chunks, summary_in_memory, "chunks of {chunk} bytes");
    for p in summary.record_problems.iter().chain(&summary.file_problems) {
        assert!(!p.rule.is_empty() && !p.message.is_empty());
    }
});

fn check(record: &Record) {
    match record {
        Record::ClaimLine(l) => {
            assert_eq!(l.client.0.len(), 32);
            assert!(rules::claim_line(l).is_empty(), "an accepted line breaks a rule: {l:?}");
        }
        Record::Assignment(a) => assert!(rules::assignment(a).is_empty()),
        _ => {}
    }
}
