//! CBOR well-formedness: the engine stores exactly one well-formed CBOR data item
//! (RFC 8949 §5.3.1 plus valid UTF-8 in text strings) per value, and refuses
//! anything else before it reaches a page.
//!
//! The check walks the bytes once without recursion: open arrays, maps and
//! tags are kept on an explicit stack on the heap, so a hostile value cannot
//! exhaust a host thread's stack: the stack used does not grow with nesting
//! (the deepest value validates even on a 16 KiB thread, even in a debug
//! build; the tests use a 64 KiB one, as a C host might). Nesting is still
//! bounded by [`MAX_NESTING`], which caps that heap stack at 8 KiB per value and
//! keeps every stored value decodable by the SDKs' recursive decoders.

use crate::error::{Error, ErrorKind, Result};

/// Deepest nesting of arrays, maps and tags accepted in a value.
pub const MAX_NESTING: usize = 512;

/// Checks that `bytes` is exactly one well-formed CBOR data item.
///
/// ```
/// assert!(nookdb::cbor::validate(&[0x18, 0x2a]).is_ok()); // 42
/// assert!(nookdb::cbor::validate(&[0x18]).is_err()); // truncated
/// ```
pub fn validate(bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Err(invalid(
            0,
            "the value is empty; a value must be one CBOR data item (e.g. 0xf6 for null)",
        ));
    }
    let mut reader = Reader { bytes, pos: 0 };
    reader.item()?;
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

/// An array, map or tag whose nested items are still being read.
enum Open {
    /// A definite-length array or map (counting keys and values) or a tag.
    Counted { remaining: u64 },
    /// An indefinite-length array or map, ended by a break (0xff).
    UntilBreak { pairs: bool, items: u64 },
}

/// Counts one finished item in its container, closing every definite
/// container it completes. Returns true when the outermost item is finished.
fn complete(open: &mut Vec<Open>) -> bool {
    loop {
        match open.last_mut() {
            None => return true,
            Some(Open::Counted { remaining }) => {
                *remaining -= 1;
                if *remaining > 0 {
                    return false;
                }
                open.pop();
            }
            Some(Open::UntilBreak { items, .. }) => {
                *items += 1;
                return false;
            }
        }
    }
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

    /// Reads one data item, with everything nested in it.
    fn item(&mut self) -> Result<()> {
        // The containers the next item is nested in, innermost last.
        let mut open: Vec<Open> = Vec::new();
        loop {
            if let Some(Open::UntilBreak { pairs, items }) = open.last() {
                if self.bytes.get(self.pos) == Some(&0xff) {
                    if *pairs && items % 2 == 1 {
                        return Err(invalid(
                            self.pos,
                            "an indefinite-length map has a key without a value",
                        ));
                    }
                    self.pos += 1;
                    open.pop();
                    if complete(&mut open) {
                        return Ok(());
                    }
                    continue;
                }
            }
            if open.len() > MAX_NESTING {
                return Err(invalid(self.pos, "nesting is deeper than 512 levels"));
            }
            match self.head_of_item()? {
                Some(container) => open.push(container),
                None => {
                    if complete(&mut open) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Reads the head of one data item and, for a string, its content.
    /// Returns the container the item opens, if any items are nested in it.
    fn head_of_item(&mut self) -> Result<Option<Open>> {
        let start = self.pos;
        let (major, _info, arg) = self.head()?;
        let nested = match (major, arg) {
            (0 | 1, Arg::Value(_)) => 0,
            (2, Arg::Value(len)) => {
                self.take(len)?;
                0
            }
            (3, Arg::Value(len)) => {
                let text = self.take(len)?;
                std::str::from_utf8(text)
                    .map_err(|_| invalid(start, "a text string is not valid UTF-8"))?;
                0
            }
            (2 | 3, Arg::Indefinite) => {
                self.chunks(major)?;
                0
            }
            (4, Arg::Value(len)) => len,
            (5, Arg::Value(len)) => len
                .checked_mul(2)
                .ok_or_else(|| invalid(start, "a map length overflows"))?,
            (4 | 5, Arg::Indefinite) => {
                return Ok(Some(Open::UntilBreak {
                    pairs: major == 5,
                    items: 0,
                }))
            }
            (6, Arg::Value(_)) => 1,
            (7, Arg::Value(_)) => 0,
            (7, Arg::Indefinite) => {
                return Err(invalid(
                    start,
                    "a break (0xff) outside an indefinite-length item",
                ))
            }
            _ => return Err(invalid(start, "malformed data item")),
        };
        // Every item takes at least one byte, so a count beyond what remains is
        // rejected at once (no work sized by a hostile length).
        if nested > (self.bytes.len() - self.pos) as u64 {
            return Err(invalid(
                self.pos,
                "an array or map claims more items than bytes remain",
            ));
        }
        Ok((nested > 0).then_some(Open::Counted { remaining: nested }))
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

    /// The deepest value accepted, and one level deeper, for each kind of
    /// container: definite arrays, indefinite arrays, maps and tags.
    fn deepest_values() -> Vec<Vec<u8>> {
        let mut values = Vec::new();
        for (open, close) in [
            (&[0x81u8][..], &[][..]),
            (&[0x9f][..], &[0xff][..]),
            (&[0xa1, 0x00][..], &[][..]),
            (&[0xc6][..], &[][..]),
        ] {
            for depth in [super::MAX_NESTING, super::MAX_NESTING + 1] {
                let mut value = open.repeat(depth);
                value.push(0x00);
                value.extend(close.repeat(depth));
                values.push(value);
            }
        }
        values
    }

    #[test]
    fn nesting_limit_is_exact_for_every_container() {
        for (i, value) in deepest_values().iter().enumerate() {
            assert_eq!(validate(value).is_ok(), i % 2 == 0, "value {i}");
        }
    }

    /// A C host thread may have a small stack (64 KiB here); validating a
    /// hostile, maximally nested value must not overflow it. A stack overflow
    /// aborts the process, so the check runs in a child process (this test
    /// binary, re-executed with `NOOK_CBOR_SMALL_STACK_CHILD` set).
    #[test]
    fn deep_values_validate_on_a_64_kib_stack() {
        const CHILD: &str = "NOOK_CBOR_SMALL_STACK_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let worker = std::thread::Builder::new()
                .stack_size(64 << 10)
                .spawn(|| {
                    for value in deepest_values() {
                        let _ = validate(&value);
                    }
                })
                .unwrap();
            worker.join().unwrap();
            return;
        }
        let status = nook_testkit::self_command()
            .args([
                "--exact",
                "cbor::tests::deep_values_validate_on_a_64_kib_stack",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "validation on a 64 KiB stack: {status}");
    }

    #[test]
    fn huge_claimed_lengths_fail_fast() {
        bad("9bffffffffffffffff");
        bad("bbffffffffffffffff");
        bad("5bffffffffffffffff");
    }
}
