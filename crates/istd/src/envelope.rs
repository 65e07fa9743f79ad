//! The municipal GGK/StUF envelope: a message can arrive wrapped, its payload base64-encoded in
//! `GGK:bericht`. Envelopes are small (files of at most 25 MB, rule OP179), so they are read
//! whole; bare messages stream.

use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::{BufRead, Cursor, Read};

/// The largest envelope read (a little above the 25 MB of OP179, with base64 overhead).
pub const MAX_ENVELOPE_BYTES: u64 = 48 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("de envelop is geen geldige XML: {0}")]
    Xml(String),
    #[error("de envelop bevat geen GGK:bericht met inhoud")]
    NoPayload,
    #[error("de inhoud van GGK:bericht is geen geldige base64: {0}")]
    Base64(String),
    #[error("de envelop is groter dan {} MB", MAX_ENVELOPE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("lezen mislukt: {0}")]
    Io(String),
}

/// Whether a file starts with a GGK envelope rather than a bare message.
pub fn is_envelope(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    text.contains("envelopHeenbericht")
        || text.contains("envelopRetourbericht")
        || text.contains("stufstandaarden.nl/sectormodel/ggk")
}

/// What the envelope says about its content, for the import report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvelopeInfo {
    /// StUF:functie, e.g. `WMO301`.
    pub function: Option<String>,
    pub payload: Vec<u8>,
}

/// Reads an envelope and returns its decoded payload.
pub fn unwrap<R: Read>(input: R) -> Result<EnvelopeInfo, EnvelopeError> {
    let mut bytes = Vec::new();
    input.take(MAX_ENVELOPE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| EnvelopeError::Io(e.to_string()))?;
    if bytes.len() as u64 > MAX_ENVELOPE_BYTES {
        return Err(EnvelopeError::TooLarge);
    }
    let mut reader = Reader::from_reader(bytes.as_slice());
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut info = EnvelopeInfo::default();
    let mut payload_text = String::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => stack.push(e.local_name().as_ref().as_bytes().to_vec()),
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t.xml10_content();
                match stack.last().map(Vec::as_slice) {
                    Some(b"bericht") => payload_text.push_str(&text),
                    Some(b"functie") => info.function = Some(text.trim().to_string()),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(EnvelopeError::Xml(format!("{e} (positie {})", reader.error_position()))),
        }
        buf.clear();
    }
    let compact: String = payload_text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(EnvelopeError::NoPayload);
    }
    info.payload =
        base64::engine::general_purpose::STANDARD.decode(compact).map_err(|e| EnvelopeError::Base64(e.to_string()))?;
    Ok(info)
}

/// Opens a message for reading: bare messages pass through, enveloped ones are unwrapped.
pub fn open<R: BufRead + 'static>(mut input: R) -> Result<Box<dyn BufRead>, EnvelopeError> {
    let head = input.fill_buf().map_err(|e| EnvelopeError::Io(e.to_string()))?.to_vec();
    if is_envelope(&head) {
        Ok(Box::new(Cursor::new(unwrap(input)?.payload)))
    } else {
        Ok(Box::new(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_the_sample_envelope() {
        let sample = include_bytes!("../tests/fixtures/envelopHeenbericht-ggk_Di01_v21.xml");
        assert!(is_envelope(sample));
        let info = unwrap(&sample[..]).unwrap();
        assert_eq!(info.function.as_deref(), Some("WMO301"));
        assert_eq!(String::from_utf8(info.payload).unwrap(), "Hier staat het heenbericht");
        assert!(!is_envelope(include_bytes!("../tests/fixtures/JW323.xml")));
    }

    #[test]
    fn broken_envelopes_say_why() {
        assert_eq!(
            unwrap(&b"<GGK:envelopHeenbericht-ggk_Di01></GGK:envelopHeenbericht-ggk_Di01>"[..]),
            Err(EnvelopeError::NoPayload)
        );
        let bad = b"<GGK:envelopHeenbericht-ggk_Di01><GGK:bericht>!!!</GGK:bericht></GGK:envelopHeenbericht-ggk_Di01>";
        assert!(matches!(unwrap(&bad[..]), Err(EnvelopeError::Base64(_))));
        assert!(matches!(unwrap(&b"<GGK:envelop"[..]), Err(EnvelopeError::Xml(_)) | Err(EnvelopeError::NoPayload)));
    }
}
