//! A minimal streaming XML writer for the message layout: elements of the message namespace
//! with children in the basisschema namespace, indented with tabs like the standard's samples.

use crate::model::{MessageKind, Standard};
use std::fmt;
use std::io::{self, Write};
use time::Date;

/// The XsdVersie a message states: the versions in the appinfo of the 3.2 schemas (IV034).
/// The iJw transcription declares 0.1.0, the iWmo one 1.0.0.
pub(crate) fn xsd_version(standard: Standard) -> &'static str {
    match standard {
        Standard::Ijw => "0.1.0",
        Standard::Iwmo => "1.0.0",
    }
}

fn basis_prefix(standard: Standard) -> &'static str {
    match standard {
        Standard::Ijw => "ijw",
        Standard::Iwmo => "iwmo",
    }
}

fn message_prefix(standard: Standard, kind: MessageKind) -> &'static str {
    match (standard, kind) {
        (Standard::Ijw, MessageKind::Assignment) => "jw301",
        (Standard::Ijw, MessageKind::Start) => "jw305",
        (Standard::Ijw, MessageKind::Stop) => "jw307",
        (Standard::Ijw, MessageKind::Claim) => "jw323",
        (Standard::Ijw, MessageKind::ClaimAnswer) => "jw325",
        (Standard::Iwmo, MessageKind::Assignment) => "wmo301",
        (Standard::Iwmo, MessageKind::Start) => "wmo305",
        (Standard::Iwmo, MessageKind::Stop) => "wmo307",
        (Standard::Iwmo, MessageKind::Claim) => "wmo323",
        (Standard::Iwmo, MessageKind::ClaimAnswer) => "wmo325",
    }
}

/// A date as `xs:date` without time zone (RS032).
#[derive(Clone, Copy)]
pub(crate) struct Ymd(pub Date);

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }
}

/// Text with the XML special characters escaped.
pub(crate) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                _ => "&quot;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

const INDENT: &[u8] = b"\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

pub(crate) struct Xml<W: Write> {
    w: W,
    ns: &'static str,
    basis: &'static str,
    depth: usize,
}

impl<W: Write> Xml<W> {
    /// Writes the declaration and opens the root element with both namespaces.
    pub(crate) fn start(mut w: W, standard: Standard, kind: MessageKind) -> io::Result<Xml<W>> {
        let ns = message_prefix(standard, kind);
        let basis = basis_prefix(standard);
        write!(
            w,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{ns}:Bericht xmlns:{basis}=\"{}\" xmlns:{ns}=\"{}\">",
            standard.basis_namespace(),
            standard.namespace(kind)
        )?;
        Ok(Xml { w, ns, basis, depth: 1 })
    }

    fn indent(&mut self) -> io::Result<()> {
        self.w.write_all(&INDENT[..=self.depth.min(INDENT.len() - 1)])
    }

    pub(crate) fn open(&mut self, name: &str) -> io::Result<()> {
        self.indent()?;
        write!(self.w, "<{}:{name}>", self.ns)?;
        self.depth += 1;
        Ok(())
    }

    pub(crate) fn close(&mut self, name: &str) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        self.indent()?;
        write!(self.w, "</{}:{name}>", self.ns)
    }

    /// An element of the message namespace with text.
    pub(crate) fn leaf(&mut self, name: &str, value: impl fmt::Display) -> io::Result<()> {
        self.indent()?;
        write!(self.w, "<{ns}:{name}>{value}</{ns}:{name}>", ns = self.ns)
    }

    /// An element of the basisschema namespace with text (children of the shared types).
    pub(crate) fn base(&mut self, name: &str, value: impl fmt::Display) -> io::Result<()> {
        self.indent()?;
        write!(self.w, "<{ns}:{name}>{value}</{ns}:{name}>", ns = self.basis)
    }

    /// Opens an element of the basisschema namespace (e.g. `Geslachtsnaam`).
    pub(crate) fn open_base(&mut self, name: &str) -> io::Result<()> {
        self.indent()?;
        write!(self.w, "<{}:{name}>", self.basis)?;
        self.depth += 1;
        Ok(())
    }

    pub(crate) fn close_base(&mut self, name: &str) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        self.indent()?;
        write!(self.w, "</{}:{name}>", self.basis)
    }

    /// The common header up to and including XsdVersie; the caller closes `Header`.
    pub(crate) fn header(&mut self, h: HeaderOut<'_>) -> io::Result<()> {
        self.open("Header")?;
        self.leaf("BerichtCode", h.kind.code(h.standard))?;
        self.leaf("BerichtVersie", 3)?;
        self.leaf("BerichtSubversie", 2)?;
        self.leaf("Afzender", Esc(h.sender))?;
        self.leaf("Ontvanger", Esc(h.receiver))?;
        self.open("BerichtIdentificatie")?;
        self.base("Identificatie", Esc(h.id))?;
        self.base("Dagtekening", Ymd(h.date))?;
        self.close("BerichtIdentificatie")?;
        self.xsd_version("XsdVersie", h.standard)
    }

    pub(crate) fn xsd_version(&mut self, name: &str, standard: Standard) -> io::Result<()> {
        self.open(name)?;
        self.base("BasisschemaXsdVersie", xsd_version(standard))?;
        self.base("BerichtXsdVersie", xsd_version(standard))?;
        self.close(name)
    }

    /// A debit/credit amount: the magnitude and D or C (an amount of 0 is debit, CS325).
    pub(crate) fn signed(&mut self, name: &str, amount_name: &str, cents: i64) -> io::Result<()> {
        self.open(name)?;
        self.base(amount_name, cents.unsigned_abs())?;
        self.base("DebetCredit", if cents < 0 { "C" } else { "D" })?;
        self.close(name)
    }

    /// Closes the root element and hands back the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        write!(self.w, "\n</{}:Bericht>\n", self.ns)?;
        Ok(self.w)
    }
}

/// What every header states.
pub(crate) struct HeaderOut<'a> {
    pub standard: Standard,
    pub kind: MessageKind,
    pub sender: &'a str,
    pub receiver: &'a str,
    pub id: &'a str,
    pub date: Date,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn escapes_and_dates() {
        assert_eq!(Esc("a&b<c>\"d").to_string(), "a&amp;b&lt;c&gt;&quot;d");
        assert_eq!(Esc("plain").to_string(), "plain");
        assert_eq!(Ymd(date!(2025 - 03 - 07)).to_string(), "2025-03-07");
    }
}
