//! The GGK envelope, and the first look the command line takes at a file, on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_istd::{envelope, sniff};

fuzz_target!(|data: &[u8]| {
    let _ = envelope::is_envelope(data);
    if let Ok(info) = envelope::unwrap(data) {
        let _ = sniff::first_look(&info.payload);
    }
    let look = sniff::first_look(data);
    assert!(look.municipality.as_deref().is_none_or(|m| m.len() == 4));
});
