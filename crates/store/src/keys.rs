//! The region keys that pseudonymise the BSN. They live in files outside the database, one per
//! region (`<regiocode>.key`, 64 hexadecimal characters, readable by the owner only): whoever
//! holds a copy of the database alone cannot link a pseudonym back to a person.

use samenspel_istd::Pseudonymiser;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("de sleutelmap {0} kan niet worden gebruikt: {1}")]
    Directory(String, String),
    #[error("de sleutel {0} is onleesbaar of beschadigd: {1}")]
    Corrupt(String, String),
}

/// The directory with the region keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionKeys {
    dir: PathBuf,
}

impl RegionKeys {
    pub fn new(dir: impl Into<PathBuf>) -> RegionKeys {
        RegionKeys { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, region_code: &str) -> PathBuf {
        let name: String =
            region_code.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        self.dir.join(format!("{name}.key"))
    }

    /// The region's key, made on first use. Losing it means new pseudonyms for the same people:
    /// back it up apart from the database.
    pub fn pseudonymiser(&self, region_code: &str) -> Result<Pseudonymiser, KeyError> {
        let path = self.path(region_code);
        let shown = path.display().to_string();
        let dir_error = |e: std::io::Error| KeyError::Directory(self.dir.display().to_string(), e.to_string());
        if !path.exists() {
            fs::create_dir_all(&self.dir).map_err(dir_error)?;
            let key: [u8; 32] = rand::random();
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(mut file) => {
                    file.write_all(hex::encode(key).as_bytes()).map_err(dir_error)?;
                    file.sync_all().map_err(dir_error)?;
                }
                // Another process made it at the same moment: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(dir_error(e)),
            }
        }
        let text = fs::read_to_string(&path).map_err(|e| KeyError::Corrupt(shown.clone(), e.to_string()))?;
        let key = hex::decode(text.trim()).map_err(|e| KeyError::Corrupt(shown.clone(), e.to_string()))?;
        Pseudonymiser::new(&key).map_err(|e| KeyError::Corrupt(shown, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("samenspel-keys-{}", rand::random::<u64>()));
        let keys = RegionKeys::new(&dir);
        let a = keys.pseudonymiser("JZ24").unwrap().pseudonym("999900006");
        let b = keys.pseudonymiser("JZ24").unwrap().pseudonym("999900006");
        let other = keys.pseudonymiser("JZ25").unwrap().pseudonym("999900006");
        assert_eq!(a, b);
        assert_ne!(a, other);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("JZ24.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(dir.join("JZ26.key"), "kapot").unwrap();
        assert!(matches!(keys.pseudonymiser("JZ26"), Err(KeyError::Corrupt(..))));
        fs::remove_dir_all(dir).ok();
    }
}
