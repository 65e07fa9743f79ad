//! The iJw/iWmo message reader takes any bytes without panicking, and every record it hands
//! on keeps the rules it promises: pseudonyms only, claim lines whose amounts add up.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_istd::{rules, xml, Pseudonymiser, Record};

fuzz_target!(|data: &[u8]| {
    let key = Pseudonymiser::new(&[7; 32]).expect("key");
    let summary = xml::read(data, &key, |record, _| match &record {
        Record::ClaimLine(l) => {
            assert_eq!(l.client.0.len(), 32);
            assert!(rules::claim_line(l).is_empty(), "an accepted line breaks a rule: {l:?}");
        }
        Record::Assignment(a) => assert!(rules::assignment(a).is_empty()),
        _ => {}
    });
    for p in summary.record_problems.iter().chain(&summary.file_problems) {
        assert!(!p.rule.is_empty() && !p.message.is_empty());
    }
});
