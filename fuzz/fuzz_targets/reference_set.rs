//! The CBS reference parser takes any three files without panicking; an accepted set puts
//! every municipality in exactly one youth-care region.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_refdata::ReferenceSet;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{1}');
    let (a, b, c) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Ok(set) = ReferenceSet::parse(("a", a), ("b", b), ("c", c), 2026) {
        let classified: usize = set.youth_regions.iter().map(|r| r.members.len()).sum();
        assert_eq!(classified, set.municipalities.len());
    }
});
