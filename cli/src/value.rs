//! The data model of a value, and its CBOR encoding and decoding.
//!
//! Every value the CLI reads (JSON text, CBOR bytes) becomes a [`Value`], and
//! every value it prints starts as one. [`Value`] covers all of CBOR (RFC 8949),
//! including what JSON cannot express (byte strings, tags, simple values,
//! indefinite lengths), so that printing a stored value never loses anything.
//!
//! Encoding uses preferred serialization (§4.2.2 of RFC 8949): the shortest
//! head for every length and integer, and the shortest float width that keeps
//! the value exactly. Map entries keep their order.

/// One CBOR data item.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Major type 0: an integer from 0 to 2^64-1.
    Unsigned(u64),
    /// Major type 1: the integer `-1 - n`, from -2^64 to -1.
    Negative(u64),
    /// Major type 7 float of any width, widened to f64 (always exact).
    Float(f64),
    /// Major type 2, definite length.
    Bytes(Vec<u8>),
    /// Major type 3, definite length.
    Text(String),
    /// Major type 2, indefinite length: the chunks.
    BytesChunks(Vec<Vec<u8>>),
    /// Major type 3, indefinite length: the chunks.
    TextChunks(Vec<String>),
    /// Major type 4.
    Array {
        items: Vec<Value>,
        indefinite: bool,
    },
    /// Major type 5; entries in their encoded order.
    Map {
        entries: Vec<(Value, Value)>,
        indefinite: bool,
    },
    /// Major type 6.
    Tag(u64, Box<Value>),
    Bool(bool),
    Null,
    Undefined,
    /// A simple value other than false, true, null and undefined.
    Simple(u8),
}

/// Deepest nesting of arrays, maps and tags decoded (the engine accepts 512).
pub const MAX_DEPTH: usize = 600;

impl Value {
    /// An integer in CBOR's range (-2^64 to 2^64-1), or `None` outside it.
    pub fn integer(n: i128) -> Option<Value> {
        if n >= 0 {
            u64::try_from(n).ok().map(Value::Unsigned)
        } else {
            u64::try_from(-1 - n).ok().map(Value::Negative)
        }
    }

    /// Whether JSON can show this value exactly: no byte strings, tags,
    /// undefined or other simple values, non-finite floats or non-text map keys.
    pub fn is_json(&self) -> bool {
        match self {
            Value::Unsigned(_) | Value::Negative(_) | Value::Text(_) | Value::TextChunks(_) => true,
            Value::Bool(_) | Value::Null => true,
            Value::Float(f) => f.is_finite(),
            Value::Array { items, .. } => items.iter().all(Value::is_json),
            Value::Map { entries, .. } => {
                // Text keys only, each once: JSON readers disagree on repeats.
                let mut seen = std::collections::HashSet::new();
                entries
                    .iter()
                    .all(|(k, v)| k.as_text().is_some_and(|k| seen.insert(k)) && v.is_json())
            }
            Value::Bytes(_) | Value::BytesChunks(_) | Value::Tag(..) => false,
            Value::Undefined | Value::Simple(_) => false,
        }
    }

    /// The text of a text string (either length form), else `None`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            Value::TextChunks(chunks) => Some(chunks.concat()),
            _ => None,
        }
    }

    /// The CBOR encoding of this value.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Appends the CBOR encoding of this value to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Unsigned(n) => head(out, 0, *n),
            Value::Negative(n) => head(out, 1, *n),
            Value::Float(f) => encode_float(out, *f),
            Value::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Value::Text(s) => {
                head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Value::BytesChunks(chunks) => {
                out.push(0x5f);
                for c in chunks {
                    Value::Bytes(c.clone()).encode(out);
                }
                out.push(0xff);
            }
            Value::TextChunks(chunks) => {
                out.push(0x7f);
                for c in chunks {
                    Value::Text(c.clone()).encode(out);
                }
                out.push(0xff);
            }
            Value::Array { items, indefinite } => {
                start(out, 4, items.len(), *indefinite);
                items.iter().for_each(|v| v.encode(out));
                if *indefinite {
                    out.push(0xff);
                }
            }
            Value::Map {
                entries,
                indefinite,
            } => {
                start(out, 5, entries.len(), *indefinite);
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
                if *indefinite {
                    out.push(0xff);
                }
            }
            Value::Tag(tag, inner) => {
                head(out, 6, *tag);
                inner.encode(out);
            }
            Value::Bool(false) => out.push(0xf4),
            Value::Bool(true) => out.push(0xf5),
            Value::Null => out.push(0xf6),
            Value::Undefined => out.push(0xf7),
            Value::Simple(n) if *n < 24 => out.push(0xe0 | n),
            Value::Simple(n) => out.extend_from_slice(&[0xf8, *n]),
        }
    }
}

fn start(out: &mut Vec<u8>, major: u8, len: usize, indefinite: bool) {
    if indefinite {
        out.push(major << 5 | 31);
    } else {
        head(out, major, len as u64);
    }
}

/// Writes the shortest head for `major` with argument `n`.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u8::MAX as u64 {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Writes `f` in the narrowest of half, single and double precision that holds
/// it exactly (NaN as the canonical half-precision quiet NaN).
fn encode_float(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(&[0xf9, 0x7e, 0x00]);
        return;
    }
    let half = half::f16::from_f64(f);
    if half.to_f64() == f {
        out.push(0xf9);
        out.extend_from_slice(&half.to_bits().to_be_bytes());
        return;
    }
    let single = f as f32;
    if single as f64 == f {
        out.push(0xfa);
        out.extend_from_slice(&single.to_bits().to_be_bytes());
        return;
    }
    out.push(0xfb);
    out.extend_from_slice(&f.to_bits().to_be_bytes());
}

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The byte offset where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub what: String,
    /// The bytes ended before the item did (more input could complete it).
    pub truncated: bool,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid CBOR at byte {}: {}", self.offset, self.what)
    }
}

/// Decodes exactly one data item that fills `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut reader = Reader::new(bytes);
    let value = reader.item()?;
    if reader.pos != bytes.len() {
        return Err(reader.error(reader.pos, "there are bytes after the first data item"));
    }
    Ok(value)
}

/// A cursor over CBOR bytes that decodes one item at a time (for sequences).
pub struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset of the next unread byte.
    pub pos: usize,
    depth: usize,
}

/// The argument of a head, or the indefinite-length marker.
enum Arg {
    Value(u64),
    Indefinite,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            depth: 0,
        }
    }

    fn error(&self, offset: usize, what: &str) -> DecodeError {
        DecodeError {
            offset,
            what: what.to_string(),
            truncated: false,
        }
    }

    fn truncated(&self) -> DecodeError {
        DecodeError {
            offset: self.bytes.len(),
            what: "the input ends in the middle of a data item".into(),
            truncated: true,
        }
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], DecodeError> {
        let remaining = (self.bytes.len() - self.pos) as u64;
        if len > remaining {
            return Err(self.truncated());
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(&self.bytes[start..self.pos])
    }

    /// Reads the next byte without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn head(&mut self) -> Result<(u8, u8, Arg), DecodeError> {
        let start = self.pos;
        let initial = self.take(1)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        let arg = match info {
            0..=23 => Arg::Value(info as u64),
            24..=27 => {
                let raw = self.take(1 << (info - 24))?;
                Arg::Value(raw.iter().fold(0u64, |v, &b| v << 8 | b as u64))
            }
            31 if matches!(major, 2..=5 | 7) => Arg::Indefinite,
            31 => return Err(self.error(start, "indefinite length is not allowed here")),
            _ => return Err(self.error(start, "reserved additional information (28-30)")),
        };
        Ok((major, info, arg))
    }

    /// Decodes the next data item.
    pub fn item(&mut self) -> Result<Value, DecodeError> {
        if self.depth > MAX_DEPTH {
            return Err(self.error(self.pos, "nesting is too deep"));
        }
        let start = self.pos;
        let (major, info, arg) = self.head()?;
        let n = match arg {
            Arg::Value(n) => n,
            Arg::Indefinite => return self.indefinite(major, start),
        };
        Ok(match major {
            0 => Value::Unsigned(n),
            1 => Value::Negative(n),
            2 => Value::Bytes(self.take(n)?.to_vec()),
            3 => Value::Text(self.text(n, start)?),
            4 => {
                self.depth += 1;
                let items = (0..n).map(|_| self.item()).collect::<Result<_, _>>()?;
                self.depth -= 1;
                Value::Array {
                    items,
                    indefinite: false,
                }
            }
            5 => {
                self.depth += 1;
                let entries = (0..n)
                    .map(|_| Ok((self.item()?, self.item()?)))
                    .collect::<Result<_, _>>()?;
                self.depth -= 1;
                Value::Map {
                    entries,
                    indefinite: false,
                }
            }
            6 => {
                self.depth += 1;
                let inner = self.item()?;
                self.depth -= 1;
                Value::Tag(n, Box::new(inner))
            }
            _ => self.simple_or_float(info, n, start)?,
        })
    }

    fn text(&mut self, len: u64, start: usize) -> Result<String, DecodeError> {
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec())
            .map_err(|_| self.error(start, "a text string is not valid UTF-8"))
    }

    fn simple_or_float(&mut self, info: u8, n: u64, start: usize) -> Result<Value, DecodeError> {
        Ok(match info {
            20 => Value::Bool(false),
            21 => Value::Bool(true),
            22 => Value::Null,
            23 => Value::Undefined,
            0..=19 => Value::Simple(info),
            24 if n < 32 => {
                return Err(self.error(start, "a simple value below 32 must use the one-byte form"))
            }
            24 => Value::Simple(n as u8),
            25 => Value::Float(half::f16::from_bits(n as u16).to_f64()),
            26 => Value::Float(f32::from_bits(n as u32) as f64),
            _ => Value::Float(f64::from_bits(n)),
        })
    }

    fn is_break(&mut self) -> Result<bool, DecodeError> {
        match self.peek() {
            None => Err(self.truncated()),
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    fn indefinite(&mut self, major: u8, start: usize) -> Result<Value, DecodeError> {
        match major {
            2 | 3 => {
                let (mut bytes, mut texts) = (Vec::new(), Vec::new());
                while !self.is_break()? {
                    let chunk_start = self.pos;
                    match self.head()? {
                        (m, _, Arg::Value(n)) if m == major && m == 2 => {
                            bytes.push(self.take(n)?.to_vec())
                        }
                        (m, _, Arg::Value(n)) if m == major => texts.push(self.text(n, chunk_start)?),
                        _ => {
                            return Err(self.error(
                                chunk_start,
                                "a chunk of an indefinite-length string must be a definite string of the same type",
                            ))
                        }
                    }
                }
                Ok(if major == 2 {
                    Value::BytesChunks(bytes)
                } else {
                    Value::TextChunks(texts)
                })
            }
            4 | 5 => {
                self.depth += 1;
                let mut items = Vec::new();
                let mut entries = Vec::new();
                while !self.is_break()? {
                    if major == 4 {
                        items.push(self.item()?);
                    } else {
                        let key = self.item()?;
                        if self.peek() == Some(0xff) {
                            return Err(
                                self.error(self.pos, "a map ends after a key, without its value")
                            );
                        }
                        entries.push((key, self.item()?));
                    }
                }
                self.depth -= 1;
                Ok(if major == 4 {
                    Value::Array {
                        items,
                        indefinite: true,
                    }
                } else {
                    Value::Map {
                        entries,
                        indefinite: true,
                    }
                })
            }
            _ => Err(self.error(start, "a break (0xff) outside an indefinite-length item")),
        }
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex text (either case; spaces and newlines between digits are ignored).
pub fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("{:?} has an odd number of hex digits", text.trim()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).unwrap_or("??");
            u8::from_str_radix(s, 16)
                .map_err(|_| format!("{s:?} is not a hex byte in {:?}", text.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(v: &Value) -> String {
        to_hex(&v.to_cbor())
    }

    #[test]
    fn integers_use_the_shortest_head_over_the_full_range() {
        assert_eq!(hex(&Value::integer(0).unwrap()), "00");
        assert_eq!(hex(&Value::integer(23).unwrap()), "17");
        assert_eq!(hex(&Value::integer(24).unwrap()), "1818");
        assert_eq!(hex(&Value::integer(-1).unwrap()), "20");
        assert_eq!(hex(&Value::integer(-25).unwrap()), "3818");
        assert_eq!(
            hex(&Value::integer(u64::MAX as i128).unwrap()),
            "1bffffffffffffffff"
        );
        assert_eq!(
            hex(&Value::integer(-(1i128 << 64)).unwrap()),
            "3bffffffffffffffff"
        );
        assert_eq!(Value::integer(1i128 << 64), None);
        assert_eq!(Value::integer(-(1i128 << 64) - 1), None);
    }

    #[test]
    fn floats_use_the_narrowest_exact_width() {
        assert_eq!(hex(&Value::Float(1.5)), "f93e00");
        assert_eq!(hex(&Value::Float(100000.0)), "fa47c35000");
        assert_eq!(hex(&Value::Float(1.1)), "fb3ff199999999999a");
        assert_eq!(hex(&Value::Float(f64::NAN)), "f97e00");
        assert_eq!(hex(&Value::Float(f64::NEG_INFINITY)), "f9fc00");
        assert_eq!(hex(&Value::Float(-0.0)), "f98000");
    }

    #[test]
    fn decoding_then_encoding_preferred_cbor_is_exact() {
        for h in [
            "a26161016162820203",
            "9f018202039f0405ffff",
            "5f42010243030405ff",
            "7f657374726561646d696e67ff",
            "c074323031332d30332d32315432303a30343a30305a",
            "f0",
            "f8ff",
            "f7",
            "fa47c35000",
            "bf6346756ef563416d7421ff",
        ] {
            let bytes = from_hex(h).unwrap();
            assert_eq!(to_hex(&decode(&bytes).unwrap().to_cbor()), h);
        }
    }

    #[test]
    fn malformed_cbor_is_refused_with_the_offset() {
        let e = decode(&[0x82, 0x01]).unwrap_err();
        assert!(e.truncated);
        assert_eq!(decode(&[0x01, 0x02]).unwrap_err().offset, 1);
        assert!(decode(&[0x1c]).is_err());
        assert!(decode(&[0xff]).is_err());
        assert!(decode(&[0x62, 0xff, 0xfe]).is_err());
        assert!(decode(&[0xf8, 0x10]).is_err());
        assert!(decode(&[0x5f, 0x61, 0x61, 0xff]).is_err());
        let deep = vec![0x81; MAX_DEPTH + 10];
        assert!(!decode(&deep).unwrap_err().truncated);
    }

    #[test]
    fn json_representability() {
        assert!(decode(&from_hex("a1616101").unwrap()).unwrap().is_json());
        assert!(!decode(&from_hex("a10101").unwrap()).unwrap().is_json());
        assert!(!decode(&from_hex("4101").unwrap()).unwrap().is_json());
        assert!(!decode(&from_hex("f97e00").unwrap()).unwrap().is_json());
        assert!(!decode(&from_hex("c101").unwrap()).unwrap().is_json());
        // {"a": 1, "a": 2}: well-formed CBOR, but not something to show as JSON.
        assert!(!decode(&from_hex("a2616101616102").unwrap())
            .unwrap()
            .is_json());
    }

    #[test]
    fn hex_round_trip_and_errors() {
        assert_eq!(from_hex("6B 65\n79").unwrap(), b"key");
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
        assert_eq!(from_hex("").unwrap(), Vec::<u8>::new());
    }
}
