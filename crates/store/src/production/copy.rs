//! Rows in PostgreSQL's binary `COPY` format. The server then takes each value as it is stored
//! instead of parsing text: a million claim lines went in in 9.3 s instead of 10.8 s (psql, on
//! the benchmark's cluster; docs/productie.md, "Prestaties van het inlezen").
//!
//! The format (PostgreSQL documentation, "COPY", binary format): a signature, two 32-bit
//! words, then per row a 16-bit field count and per field a 32-bit length (−1 for NULL) and
//! the value in network byte order; the stream ends with a field count of −1.

use time::Date;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// 2000-01-01, the day PostgreSQL counts dates from, as a Julian day number.
const POSTGRES_EPOCH_JULIAN_DAY: i32 = 2_451_545;

/// One `COPY … FROM STDIN WITH (FORMAT binary)` stream, built in memory.
pub(crate) struct BinaryCopy {
    buf: Vec<u8>,
    /// A value longer than a field can say; the stream is then refused whole.
    oversized: bool,
}

impl BinaryCopy {
    pub(crate) fn with_capacity(bytes: usize) -> BinaryCopy {
        let mut buf = Vec::with_capacity(bytes + SIGNATURE.len() + 10);
        buf.extend_from_slice(SIGNATURE);
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags: no OIDs
        buf.extend_from_slice(&0i32.to_be_bytes()); // no header extension
        BinaryCopy { buf, oversized: false }
    }

    /// Starts a row of `fields` values; exactly that many must follow.
    pub(crate) fn row(&mut self, fields: u16) -> &mut Self {
        self.buf.extend_from_slice(&(fields as i16).to_be_bytes());
        self
    }

    fn value(&mut self, bytes: &[u8]) -> &mut Self {
        match i32::try_from(bytes.len()) {
            Ok(len) => {
                self.buf.extend_from_slice(&len.to_be_bytes());
                self.buf.extend_from_slice(bytes);
            }
            Err(_) => self.oversized = true,
        }
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    /// A `bigint`.
    pub(crate) fn int8(&mut self, v: i64) -> &mut Self {
        self.value(&v.to_be_bytes())
    }

    pub(crate) fn opt_int8(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int8(v),
            None => self.null(),
        }
    }

    /// An `integer`.
    pub(crate) fn int4(&mut self, v: i32) -> &mut Self {
        self.value(&v.to_be_bytes())
    }

    pub(crate) fn text(&mut self, v: &str) -> &mut Self {
        self.value(v.as_bytes())
    }

    pub(crate) fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    /// A `date`: days since 2000-01-01.
    pub(crate) fn date(&mut self, d: Date) -> &mut Self {
        self.int4(d.to_julian_day() - POSTGRES_EPOCH_JULIAN_DAY)
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.value(&[u8::from(v)])
    }

    /// The stream with its end marker, or `None` when a value was too long for the format.
    pub(crate) fn finish(mut self) -> Option<Vec<u8>> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        (!self.oversized).then_some(self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::BinaryCopy;
    use time::macros::date;

    #[test]
    fn a_row_is_framed_as_postgresql_reads_it() {
        let mut copy = BinaryCopy::with_capacity(0);
        copy.row(5).int8(-2).opt_text(None).text("é").date(date!(2000 - 01 - 02)).bool(true);
        let bytes = copy.finish().unwrap();
        let mut expected = b"PGCOPY\n\xff\r\n\0".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0, 5]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0, 0, 0, 2, 0xc3, 0xa9]);
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 1]);
        expected.extend_from_slice(&[0, 0, 0, 1, 1]);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn dates_before_2000_count_back() {
        let mut copy = BinaryCopy::with_capacity(0);
        copy.date(date!(1999 - 12 - 31));
        assert_eq!(&copy.finish().unwrap()[19..27], &[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    }
}
