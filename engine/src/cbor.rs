//! CBOR well-formedness: the engine stores exactly one well-formed CBOR data item
//! (RFC 8949 §5.3.1 plus valid UTF-8 in text strings) per value, and refuses
//! anything else before it reaches a page.
//!
//! The check walks the bytes once, allocates nothing and bounds nesting, so a
//! hostile value cannot exhaust the stack.

use crate::error::{Error, ErrorKind, Result};

/// Deepest nesting of arrays, maps and tags accepted in a value.
pub const MAX_NESTING: usize = 512;

/// Checks that `bytes` is exactly one well-formed CBOR data item.
///
/// ```
/// assert!(nook::cbor::validate(&[0x18, 0x2a]).is_ok()); // 42
/// assert!(nook::cbor::validate(&[0x18]).is_err()); // truncated
/// ```
pub fn validate(bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Err(invalid(
            0,
            "the value is empty; a value must be one CBOR data item (e.g. 0xf6 for null)",
        ));
    }
    let mut reader = Reader { bytes, pos: 0 };
    reader.item(0)?;
    if reader.pos != bytes.len() {
        return Err(invalid(
            reader.pos,
            "there are bytes after the first data item; store one item (wrap several in an array)",
        ));
    }
    Ok(())
}

fn invalid(offset: usize, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!("invalid CBOR at byte {offset}: {what}"),
    )
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// The length argument of a data item head, or the indefinite-length marker.
enum Arg {
    Value(u64),
    Indefinite,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| invalid(self.pos, "the value ends in the middle of a data item"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, len: u64) -> Result<&[u8]> {
        let remaining = (self.bytes.len() - self.pos) as u64;
        if len > remaining {
            return Err(invalid(
                self.pos,
                &format!("a string claims {len} bytes but only {remaining} remain"),
            ));
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(&self.bytes[start..self.pos])
    }

    /// Reads an initial byte and its argument; returns (major type, info, arg).
    fn head(&mut self) -> Result<(u8, u8, Arg)> {
        let start = self.pos;
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let arg = match info {
            0..=23 => Arg::Value(info as u64),
            24..=27 => {
                let n = 1usize << (info - 24);
                let raw = self.take(n as u64)?;
                let mut v = 0u64;
                for &b in raw {
                    v = (v << 8) | b as u64;
                }
                if major == 7 && info == 24 && v < 32 {
                    return Err(invalid(
                        start,
                        "a simple value below 32 must use the one-byte form",
                    ));
                }
                Arg::Value(v)
            }
            31 => match major {
                2..=5 | 7 => Arg::Indefinite,
                _ => {
                    return Err(invalid(
                        start,
                        "indefinite length is not allowed for this major type",
                    ))
                }
            },
            _ => return Err(invalid(start, "reserved additional information (28-30)")),
        };
        Ok((major, info, arg))
    }

    fn item(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(invalid(self.pos, "nesting is deeper than 512 levels"));
        }
        let start = self.pos;
        let (major, _info, arg) = self.head()?;
        match (major, arg) {
            (0 | 1, Arg::Value(_)) => Ok(()),
            (2, Arg::Value(len)) => self.take(len).map(|_| ()),
            (3, Arg::Value(len)) => {
                let text = self.take(len)?;
                std::str::from_utf8(text)
                    .map(|_| ())
                    .map_err(|_| invalid(start, "a text string is not valid UTF-8"))
            }
            (2 | 3, Arg::Indefinite) => self.chunks(major),
            (4, Arg::Value(len)) => self.items(len, depth),
            (5, Arg::Value(len)) => {
                let pairs = len
                    .checked_mul(2)
                    .ok_or_else(|| invalid(start, "a map length overflows"))?;
                self.items(pairs, depth)
            }
            (4, Arg::Indefinite) => self.items_until_break(depth, false),
            (5, Arg::Indefinite) => self.items_until_break(depth, true),
            (6, Arg::Value(_)) => self.item(depth + 1),
            (7, Arg::Value(_)) => Ok(()),
            (7, Arg::Indefinite) => Err(invalid(
                start,
                "a break (0xff) outside an indefinite-length item",
            )),
            _ => Err(invalid(start, "malformed data item")),
        }
    }

    fn items(&mut self, count: u64, depth: usize) -> Result<()> {
        // Every item takes at least one byte, so a count beyond what remains is
        // rejected before looping (no work sized by a hostile length).
        if count > (self.bytes.len() - self.pos) as u64 {
            return Err(invalid(
                self.pos,
                "an array or map claims more items than bytes remain",
            ));
        }
        for _ in 0..count {
            self.item(depth + 1)?;
        }
        Ok(())
    }

    fn items_until_break(&mut self, depth: usize, pairs: bool) -> Result<()> {
        let mut n = 0u64;
        loop {
            if self.bytes.get(self.pos) == Some(&0xff) {
                self.pos += 1;
                if pairs && n % 2 == 1 {
                    return Err(invalid(
                        self.pos - 1,
                        "an indefinite-length map has a key without a value",
                    ));
                }
                return Ok(());
            }
            self.item(depth + 1)?;
            n += 1;
        }
    }

    fn chunks(&mut self, major: u8) -> Result<()> {
        loop {
            let at = self.pos;
            if self.bytes.get(at) == Some(&0xff) {
                self.pos += 1;
                return Ok(());
            }
            let (chunk_major, _, arg) = self.head()?;
            match arg {
                Arg::Value(len) if chunk_major == major => {
                    let chunk = self.take(len)?;
                    if major == 3 && std::str::from_utf8(chunk).is_err() {
                        return Err(invalid(at, "a text string chunk is not valid UTF-8"));
                    }
                }
                _ => return Err(invalid(
                    at,
                    "an indefinite-length string may only contain definite strings of its own type",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    fn ok(hex: &str) {
        let bytes = decode(hex);
        assert!(validate(&bytes).is_ok(), "{hex} should be valid");
    }

    fn bad(hex: &str) {
        let bytes = decode(hex);
        assert!(validate(&bytes).is_err(), "{hex} should be invalid");
    }

    fn decode(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn accepts_rfc8949_examples() {
        for hex in [
            "00",
            "17",
            "1818",
            "1bffffffffffffffff",
            "20",
            "3bffffffffffffffff",
            "f90000",
            "fb7e37e43c8800759c",
            "f4",
            "f5",
            "f6",
            "f7",
            "f820",
            "40",
            "4401020304",
            "60",
            "6449455446",
            "80",
            "83010203",
            "a0",
            "a201020304",
            "c074323031332d30332d32315432303a30343a30305a",
            "5f42010243030405ff",
            "7f657374726561646d696e67ff",
            "9fff",
            "9f018202039f0405ffff",
            "bf61610161629f0203ffff",
        ] {
            ok(hex);
        }
    }

    #[test]
    fn rejects_malformed_items() {
        for hex in [
            "", "18", "1c", "62", "6261", "81", "a1", "a101", "ff", "f818", "5f01ff", "7f4100ff",
            "bf01ff", "0000", "62c328", "9f", "1f", "3f",
        ] {
            bad(hex);
        }
    }

    #[test]
    fn bounds_nesting() {
        let mut deep = vec![0x81u8; 10_000];
        deep.push(0x00);
        assert!(validate(&deep).is_err());
        let mut fine = vec![0x81u8; 100];
        fine.push(0x00);
        assert!(validate(&fine).is_ok());
    }

    #[test]
    fn huge_claimed_lengths_fail_fast() {
        bad("9bffffffffffffffff");
        bad("bbffffffffffffffff");
        bad("5bffffffffffffffff");
    }
}
