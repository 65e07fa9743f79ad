//! One very large 323 for benchmarks, streamed in constant memory.
//!
//! The header's total comes before the lines, so the lines are drawn twice from the same seed:
//! once to add them up, once to write them.

use super::world::{add_days, lognormal, season, synthetic_bsn, weekdays, BSN_BASE};
use super::xml_out::{HeaderOut, Xml, Ymd};
use super::{digits, invalid};
use crate::model::{month_bounds, next_month, MessageKind, Standard};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{self, BufWriter, Write};
use time::Date;

/// A product of the built-in benchmark catalogue: category, code, unit, tariff in cents, and
/// its share of the lines in percent.
type Product = (&'static str, &'static str, &'static str, i64, u32);

const IJW_PRODUCTS: [Product; 5] = [
    ("45", "45A04", "04", 9_800, 58),
    ("45", "45A53", "01", 162, 15),
    ("41", "41A06", "16", 7_250, 12),
    ("54", "54B01", "82", 95_000, 10),
    ("43", "43A22", "14", 28_500, 5),
];

const IWMO_PRODUCTS: [Product; 5] = [
    ("02", "02A01", "04", 6_500, 45),
    ("01", "01A04", "04", 3_400, 25),
    ("03", "03A01", "01", 110, 13),
    ("07", "07A02", "16", 4_800, 12),
    ("15", "15A01", "14", 15_500, 5),
];

struct Line {
    new_client: bool,
    bsn: u64,
    number: u64,
    assignment: u64,
    product: Product,
    start: Date,
    end: Date,
    volume: i64,
    amount: i64,
}

/// The lines of the benchmark claim, one client (one to three lines) after another.
struct Lines {
    rng: StdRng,
    products: &'static [Product],
    first: Date,
    last: Date,
    left: u64,
    in_client: u64,
    client: u64,
    bsn_counter: u64,
    bsn: u64,
    number: u64,
}

impl Lines {
    fn new(standard: Standard, first: Date, last: Date, lines: u64, seed: u64) -> Lines {
        let products: &'static [Product] = match standard {
            Standard::Ijw => &IJW_PRODUCTS,
            Standard::Iwmo => &IWMO_PRODUCTS,
        };
        Lines {
            rng: StdRng::seed_from_u64(seed),
            products,
            first,
            last,
            left: lines,
            in_client: 0,
            client: 0,
            bsn_counter: 0,
            bsn: 0,
            number: 0,
        }
    }

    /// The next synthetic BSN; after about 909 000 clients they repeat.
    fn next_bsn(&mut self) -> u64 {
        loop {
            let prefix = BSN_BASE + self.bsn_counter;
            self.bsn_counter = (self.bsn_counter + 1) % 1_000_000;
            if let Some(bsn) = synthetic_bsn(prefix) {
                return bsn;
            }
        }
    }

    fn next(&mut self) -> Option<Line> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let new_client = self.in_client == 0;
        if new_client {
            self.in_client = self.rng.gen_range(1..=3u64).min(self.left + 1);
            self.client += 1;
            self.bsn = self.next_bsn();
        }
        self.in_client -= 1;
        self.number += 1;
        let mut pick = self.rng.gen_range(0..100u32);
        let mut product = self.products[0];
        for p in self.products {
            if pick < p.4 {
                product = *p;
                break;
            }
            pick -= p.4;
        }
        let days_in_month = i64::from(self.last.day());
        let start = if self.rng.gen_bool(0.12) {
            add_days(self.first, self.rng.gen_range(1..days_in_month))
        } else {
            self.first
        };
        let end = self.last;
        let days = (end - start).whole_days() + 1;
        let share = days as f64 / days_in_month as f64;
        let factor = season(self.first.month()) * share;
        let volume = match product.2 {
            "04" | "84" => (lognormal(&mut self.rng, 6.0, 0.8).clamp(1.0, 80.0) * factor).round().max(1.0) as i64,
            "01" => (lognormal(&mut self.rng, 360.0, 0.8).clamp(30.0, 4800.0) * factor).round().max(1.0) as i64,
            "16" => {
                let per_week = lognormal(&mut self.rng, 3.0, 0.45).clamp(1.0, 9.0) * season(self.first.month());
                (per_week * weekdays(start, end) as f64 / 5.0).round().max(1.0) as i64
            }
            "14" => days,
            _ => 1,
        };
        Some(Line {
            new_client,
            bsn: self.bsn,
            number: self.number,
            // Unique per client and line; stays within LDT_Nummer.
            assignment: 100_000_000 + (self.client * 3 + self.in_client) % 900_000_000,
            product,
            start,
            end,
            volume,
            amount: volume * product.3,
        })
    }
}

/// Counts what goes through, for the size the caller asked about.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Streams one 323 of `lines` claim lines from one provider to one municipality for one month
/// (`month` may be any day of it), valid against the XSD and clean for the reader. Clients have
/// one to three lines each, of a small built-in catalogue (ambulant hours and minutes, day care,
/// output and residential care); BSNs are synthetic and repeat after about 909 000 clients. The
/// claim is dated on the fifth of the next month. Returns the bytes written.
pub fn write_large_claim<W: Write>(
    w: W,
    standard: Standard,
    provider: &str,
    municipality: &str,
    month: Date,
    lines: u64,
    seed: u64,
) -> io::Result<u64> {
    if !digits(provider, 8) || !digits(municipality, 4) {
        return Err(invalid("the provider is an AGB code of 8 digits, the municipality a CBS code of 4".into()));
    }
    if lines == 0 {
        return Err(invalid("a claim has at least one line".into()));
    }
    if month.year() < 2021 {
        return Err(invalid("claims start in 2021 or later (CS100)".into()));
    }
    let (first, last) = month_bounds(month);
    let mut total: i64 = 0;
    let mut all = Lines::new(standard, first, last, lines, seed);
    while let Some(line) = all.next() {
        total = total.saturating_add(line.amount);
    }
    if total > 999_999_999_999 {
        return Err(invalid(format!("{lines} lines add up to more than TotaalBedrag can hold")));
    }

    let date = add_days(next_month(first), 4);
    let id = format!("L{}", seed % 100_000_000_000);
    let out = BufWriter::with_capacity(1 << 17, Counting { inner: w, bytes: 0 });
    let mut x = Xml::start(out, standard, MessageKind::Claim)?;
    x.header(HeaderOut {
        standard,
        kind: MessageKind::Claim,
        sender: provider,
        receiver: municipality,
        id: &id,
        date,
    })?;
    x.close("Header")?;
    x.open("Declaratie")?;
    x.leaf("DeclaratieNummer", format_args!("B{}{:02}{municipality}", first.year(), u8::from(first.month())))?;
    x.open("DeclaratiePeriode")?;
    x.base("Begindatum", Ymd(first))?;
    x.base("Einddatum", Ymd(last))?;
    x.close("DeclaratiePeriode")?;
    x.leaf("DeclaratieDagtekening", Ymd(date))?;
    x.signed("TotaalIngediendBedrag", "TotaalBedrag", total)?;
    x.open("Clienten")?;
    let mut again = Lines::new(standard, first, last, lines, seed);
    let mut open = false;
    while let Some(line) = again.next() {
        if line.new_client {
            if open {
                x.close("Prestaties")?;
                x.close("Client")?;
            }
            x.open("Client")?;
            x.leaf("Bsn", format_args!("{:09}", line.bsn))?;
            x.open("Prestaties")?;
            open = true;
        }
        let (category, code, unit, tariff, _) = line.product;
        x.open("Prestatie")?;
        x.open("ProductReferentie")?;
        x.base("ReferentieNummer", format_args!("B{:011}", line.number))?;
        x.close("ProductReferentie")?;
        x.leaf("ToewijzingNummer", line.assignment)?;
        x.leaf("ProductCategorie", category)?;
        x.leaf("ProductCode", code)?;
        x.open("ProductPeriode")?;
        x.base("Begindatum", Ymd(line.start))?;
        x.base("Einddatum", Ymd(line.end))?;
        x.close("ProductPeriode")?;
        x.leaf("GeleverdVolume", line.volume)?;
        x.leaf("Eenheid", unit)?;
        x.leaf("ProductTarief", tariff)?;
        x.signed("IngediendBedrag", "Bedrag", line.amount)?;
        x.close("Prestatie")?;
    }
    if open {
        x.close("Prestaties")?;
        x.close("Client")?;
    }
    x.close("Clienten")?;
    x.close("Declaratie")?;
    let out = x.finish()?;
    let mut counting = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    counting.flush()?;
    Ok(counting.bytes)
}
