//! The citizen service number: the 11-proof (rule CS002) and its keyed pseudonym. Nothing
//! outside this module sees a BSN in clear.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The 11-proof of a BSN: Σ(9..2 × d1..d8) − d9 ≡ 0 (mod 11), nine digits, not all zero.
pub fn check_bsn(bsn: &str) -> bool {
    let digits: Vec<u32> = bsn.chars().filter_map(|c| c.to_digit(10)).collect();
    if bsn.len() != 9 || digits.len() != 9 || digits.iter().all(|d| *d == 0) {
        return false;
    }
    let sum: i64 =
        digits[..8].iter().zip((2..=9).rev()).map(|(d, w)| i64::from(*d) * w).sum::<i64>() - i64::from(digits[8]);
    sum % 11 == 0
}

/// Replaces a BSN by HMAC-SHA256 under a region's secret key. The key lives outside the
/// database; without it the pseudonyms cannot be linked back to anyone, and rotating it breaks
/// the links between old and new data (by design).
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(***)")
    }
}

/// A client's pseudonym: 32 hexadecimal characters (128 bits of the HMAC).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Pseudonym(pub String);

impl Pseudonymiser {
    /// A key of at least 32 bytes.
    pub fn new(key: &[u8]) -> Result<Pseudonymiser, &'static str> {
        if key.len() < 32 {
            return Err("de sleutel voor pseudonimisering moet minstens 32 bytes zijn");
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| "ongeldige sleutel")?;
        Ok(Pseudonymiser { mac })
    }

    pub fn pseudonym(&self, bsn: &str) -> Pseudonym {
        let mut mac = self.mac.clone();
        mac.update(bsn.as_bytes());
        let digest = mac.finalize().into_bytes();
        Pseudonym(hex::encode(&digest[..16]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn eleven_proof() {
        assert!(check_bsn("999900006"));
        assert!(check_bsn("999900018"));
        assert!(!check_bsn("999900007"));
        assert!(!check_bsn("000000000"));
        assert!(!check_bsn("12345678"));
        assert!(!check_bsn("99990000a"));
        assert!(!check_bsn("９９９９０００６"));
    }

    #[test]
    fn pseudonyms_depend_on_the_key() {
        let a = Pseudonymiser::new(&[1; 32]).unwrap();
        let b = Pseudonymiser::new(&[2; 32]).unwrap();
        assert_eq!(a.pseudonym("999900006"), a.pseudonym("999900006"));
        assert_ne!(a.pseudonym("999900006"), b.pseudonym("999900006"));
        assert_ne!(a.pseudonym("999900006"), a.pseudonym("999900018"));
        assert_eq!(a.pseudonym("999900006").0.len(), 32);
        assert!(!a.pseudonym("999900006").0.contains("999900006"));
        assert!(Pseudonymiser::new(&[0; 8]).is_err());
        assert_eq!(format!("{a:?}"), "Pseudonymiser(***)");
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,12}") {
            let _ = check_bsn(&s);
        }

        #[test]
        fn one_wrong_digit_is_caught(n in 10_000_000u32..99_999_999, pos in 0usize..9, delta in 1u32..10) {
            // Make a valid BSN from 8 digits, then change one digit: the 11-proof notices.
            let eight = format!("{n:08}");
            let sum: u32 = eight.chars().zip((2..=9).rev()).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
            let check = sum % 11;
            prop_assume!(check < 10);
            let valid = format!("{eight}{check}");
            prop_assert!(check_bsn(&valid));
            let mut digits: Vec<u32> = valid.chars().map(|c| c.to_digit(10).unwrap()).collect();
            digits[pos] = (digits[pos] + delta) % 10;
            let changed: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            prop_assert!(!check_bsn(&changed));
        }
    }
}
