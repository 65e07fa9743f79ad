//! Renders the messages of a [`World`] as iJw/iWmo 3.2 XML, element for element as the XSDs
//! order them.

use super::world::{GeneratedClient, GeneratedLine, GeneratedMessage, MessageContent, World};
use super::xml_out::{Esc, HeaderOut, Xml, Ymd};
use crate::model::MessageKind;
use std::io::{self, Write};

impl World {
    /// Writes one message as XML.
    pub fn render(&self, message: &GeneratedMessage, out: impl Write) -> io::Result<()> {
        let mut x = Xml::start(out, self.standard, message.kind)?;
        x.header(HeaderOut {
            standard: self.standard,
            kind: message.kind,
            sender: &message.sender,
            receiver: &message.receiver,
            id: &message.id,
            date: message.sent_on,
        })?;
        match &message.content {
            MessageContent::Assignment { client, items } => {
                x.close("Header")?;
                self.assignment(&mut x, *client, items)?;
            }
            MessageContent::Start { client, events } | MessageContent::Stop { client, events } => {
                x.close("Header")?;
                self.events(&mut x, *client, events, message.kind == MessageKind::Stop)?;
            }
            MessageContent::Claim(index) => {
                x.close("Header")?;
                self.claim(&mut x, *index)?;
            }
            MessageContent::Answer(index) => self.answer(&mut x, *index)?,
        }
        x.finish()?;
        Ok(())
    }

    fn client_start<W: Write>(&self, x: &mut Xml<W>, c: &GeneratedClient, full_name: bool) -> io::Result<()> {
        x.open("Client")?;
        x.leaf("Bsn", Esc(&c.bsn))?;
        x.open("Geboortedatum")?;
        x.base("Datum", Ymd(c.born))?;
        x.close("Geboortedatum")?;
        x.leaf("Geslacht", c.sex)?;
        x.open("Naam")?;
        x.open_base("Geslachtsnaam")?;
        x.base("Achternaam", Esc(c.surname))?;
        if let Some(prefix) = c.surname_prefix {
            x.base("Voorvoegsel", Esc(prefix))?;
        }
        x.close_base("Geslachtsnaam")?;
        x.base("Voornamen", Esc(c.first_name))?;
        x.base("Voorletters", Esc(c.initials()))?;
        if full_name {
            // NaamGebruik 1: the client's own surname.
            x.base("NaamGebruik", 1)?;
        }
        x.close("Naam")
    }

    fn assignment<W: Write>(&self, x: &mut Xml<W>, client: usize, items: &[(usize, usize)]) -> io::Result<()> {
        let c = &self.clients[client];
        self.client_start(x, c, true)?;
        x.open("Contactgegevens")?;
        x.open("Contact")?;
        // Soort 01: the address in the BRP; an obviously made-up one.
        x.leaf("Soort", "01")?;
        x.open("Adres")?;
        x.open_base("Huis")?;
        x.base("Huisnummer", 1 + client % 199)?;
        x.close_base("Huis")?;
        x.base("Postcode", "9999XX")?;
        x.base("Straatnaam", "Proefstraat")?;
        x.base("Plaatsnaam", format_args!("Testplaats {}", Esc(&c.municipality)))?;
        x.base("LandCode", "NL")?;
        x.close("Adres")?;
        x.close("Contact")?;
        x.close("Contactgegevens")?;
        x.open("ToegewezenProducten")?;
        for &(index, version) in items {
            let a = &self.assignments[index];
            let Some(v) = a.versions.get(version) else { continue };
            x.open("ToegewezenProduct")?;
            x.leaf("ToewijzingNummer", a.number)?;
            x.open("Product")?;
            x.base("Categorie", Esc(&a.category))?;
            x.base("Code", Esc(&a.code))?;
            x.close("Product")?;
            x.leaf("Toewijzingsdatum", Ymd(v.assigned_on))?;
            x.leaf("Toewijzingstijd", Esc(&v.assigned_at))?;
            x.leaf("Ingangsdatum", Ymd(a.starts_on))?;
            if let Some(end) = v.ends_on {
                x.leaf("Einddatum", Ymd(end))?;
            }
            if let Some(reason) = v.change_reason {
                x.leaf("RedenWijziging", reason)?;
            }
            x.open("Omvang")?;
            x.base("Volume", a.volume)?;
            x.base("Eenheid", Esc(&a.unit))?;
            x.base("Frequentie", a.frequency)?;
            x.close("Omvang")?;
            x.close("ToegewezenProduct")?;
        }
        x.close("ToegewezenProducten")?;
        x.close("Client")
    }

    fn events<W: Write>(&self, x: &mut Xml<W>, client: usize, events: &[usize], stop: bool) -> io::Result<()> {
        self.client_start(x, &self.clients[client], false)?;
        let (list, item) = if stop { ("StopProducten", "StopProduct") } else { ("StartProducten", "StartProduct") };
        x.open(list)?;
        for &index in events {
            let e = &self.events[index];
            let a = &self.assignments[e.assignment];
            x.open(item)?;
            x.leaf("ToewijzingNummer", a.number)?;
            x.open("Product")?;
            x.base("Categorie", Esc(&a.category))?;
            x.base("Code", Esc(&a.code))?;
            x.close("Product")?;
            x.leaf("ToewijzingIngangsdatum", Ymd(a.starts_on))?;
            x.leaf("Begindatum", Ymd(e.starts_on))?;
            if let (Some(reason), Some(end)) = (e.reason, e.ends_on) {
                x.leaf("RedenBeeindiging", reason)?;
                x.leaf("Einddatum", Ymd(end))?;
            }
            // StatusAanlevering 1: first delivery (CS058).
            x.leaf("StatusAanlevering", 1)?;
            x.close(item)?;
        }
        x.close(list)?;
        x.close("Client")
    }

    fn claim<W: Write>(&self, x: &mut Xml<W>, index: usize) -> io::Result<()> {
        let c = &self.claims[index];
        x.open("Declaratie")?;
        x.leaf("DeclaratieNummer", Esc(&c.number))?;
        x.open("DeclaratiePeriode")?;
        x.base("Begindatum", Ymd(c.period_start))?;
        x.base("Einddatum", Ymd(c.period_end))?;
        x.close("DeclaratiePeriode")?;
        x.leaf("DeclaratieDagtekening", Ymd(c.sent_on))?;
        x.signed("TotaalIngediendBedrag", "TotaalBedrag", c.total_cents)?;
        x.open("Clienten")?;
        let lines = &self.lines[c.lines.clone()];
        for group in lines.chunk_by(|a, b| a.client == b.client) {
            x.open("Client")?;
            x.leaf("Bsn", Esc(&group[0].bsn))?;
            x.open("Prestaties")?;
            for line in group {
                prestatie(x, line, None)?;
            }
            x.close("Prestaties")?;
            x.close("Client")?;
        }
        x.close("Clienten")?;
        x.close("Declaratie")
    }

    fn answer<W: Write>(&self, x: &mut Xml<W>, index: usize) -> io::Result<()> {
        let a = &self.answers[index];
        let c = &self.claims[a.claim];
        x.open("DeclaratieIdentificatie")?;
        x.base("Identificatie", Esc(&c.message_id))?;
        x.base("Dagtekening", Ymd(c.sent_on))?;
        x.close("DeclaratieIdentificatie")?;
        x.xsd_version("XsdVersieDeclaratie", self.standard)?;
        return_codes(x, &["0200"])?;
        x.close("Header")?;
        x.open("DeclaratieAntwoord")?;
        x.leaf("DeclaratieNummer", Esc(&c.number))?;
        x.signed("TotaalIngediendBedrag", "TotaalBedrag", c.total_cents)?;
        x.signed("TotaalToegekendBedrag", "TotaalBedrag", a.granted_cents)?;
        // Only rejected lines are echoed, grouped per client (TR342).
        if !a.rejected.is_empty() {
            x.open("Clienten")?;
            for group in a.rejected.chunk_by(|p, q| self.lines[p.line].client == self.lines[q.line].client) {
                x.open("Client")?;
                x.leaf("Bsn", Esc(&self.lines[group[0].line].bsn))?;
                x.open("Prestaties")?;
                for r in group {
                    prestatie(x, &self.lines[r.line], Some(r.return_code))?;
                }
                x.close("Prestaties")?;
                return_codes(x, &["0200"])?;
                x.close("Client")?;
            }
            x.close("Clienten")?;
        }
        // 8001: the whole claim is granted (IV087).
        return_codes(x, &[if a.rejected.is_empty() { "8001" } else { "0200" }])?;
        x.close("DeclaratieAntwoord")
    }
}

fn return_codes<W: Write>(x: &mut Xml<W>, codes: &[&str]) -> io::Result<()> {
    x.open("RetourCodes")?;
    for code in codes {
        x.leaf("RetourCode", code)?;
    }
    x.close("RetourCodes")
}

fn prestatie<W: Write>(x: &mut Xml<W>, line: &GeneratedLine, return_code: Option<&str>) -> io::Result<()> {
    x.open("Prestatie")?;
    x.open("ProductReferentie")?;
    x.base("ReferentieNummer", Esc(&line.reference))?;
    if let Some(previous) = &line.previous_reference {
        x.base("VorigReferentieNummer", Esc(previous))?;
    }
    x.close("ProductReferentie")?;
    x.leaf("ToewijzingNummer", line.assignment_number)?;
    x.leaf("ProductCategorie", Esc(&line.category))?;
    x.leaf("ProductCode", Esc(&line.code))?;
    x.open("ProductPeriode")?;
    x.base("Begindatum", Ymd(line.period_start))?;
    x.base("Einddatum", Ymd(line.period_end))?;
    x.close("ProductPeriode")?;
    x.leaf("GeleverdVolume", line.volume)?;
    x.leaf("Eenheid", Esc(&line.unit))?;
    if let Some(tariff) = line.tariff_cents {
        x.leaf("ProductTarief", tariff)?;
    }
    x.signed("IngediendBedrag", "Bedrag", line.amount_cents)?;
    if let Some(code) = return_code {
        return_codes(x, &[code])?;
    }
    x.close("Prestatie")
}
