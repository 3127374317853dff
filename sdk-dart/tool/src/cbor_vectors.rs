//! Checks the shared CBOR vectors (`sdk-dart/test/vectors/cbor.txt`) against
//! ciborium, the CBOR library of the engine: each value, written in diagnostic
//! notation, must encode to exactly the vector's bytes, and the bytes must
//! decode back to the same value. The Dart codec's tests and the Go check read
//! the same file, so the three implementations agree byte for byte.

use ciborium::value::{Integer, Value};

/// A parser for the diagnostic-notation subset the vectors use.
struct Edn<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Edn<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && (self.s[self.pos] == b' ' || self.s[self.pos] == b',') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(t.as_bytes()) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Value {
        self.ws();
        for (word, v) in [
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
            ("NaN", Value::Float(f64::NAN)),
            ("Infinity", Value::Float(f64::INFINITY)),
            ("-Infinity", Value::Float(f64::NEG_INFINITY)),
        ] {
            if self.eat(word) {
                return v;
            }
        }
        if self.eat("h'") {
            let end = self.pos + self.s[self.pos..].iter().position(|&c| c == b'\'').unwrap();
            let hex = std::str::from_utf8(&self.s[self.pos..end]).unwrap();
            self.pos = end + 1;
            return Value::Bytes(unhex(hex));
        }
        if self.eat("\"") {
            let mut out = String::new();
            loop {
                let c = self.s[self.pos];
                self.pos += 1;
                match c {
                    b'"' => break,
                    b'\\' => {
                        let e = self.s[self.pos];
                        self.pos += 1;
                        match e {
                            b'n' => out.push('\n'),
                            b'u' => {
                                let hex =
                                    std::str::from_utf8(&self.s[self.pos..self.pos + 4]).unwrap();
                                out.push(
                                    char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap(),
                                );
                                self.pos += 4;
                            }
                            other => out.push(other as char),
                        }
                    }
                    _ => out.push(c as char),
                }
            }
            return Value::Text(out);
        }
        if self.eat("[") {
            let mut items = Vec::new();
            while !self.eat("]") {
                items.push(self.value());
            }
            return Value::Array(items);
        }
        if self.eat("{") {
            let mut pairs = Vec::new();
            while !self.eat("}") {
                let k = self.value();
                assert!(self.eat(":"), "expected `:` at {}", self.pos);
                pairs.push((k, self.value()));
            }
            return Value::Map(pairs);
        }
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || b"+-.".contains(&self.s[self.pos]))
        {
            self.pos += 1;
        }
        let num = std::str::from_utf8(&self.s[start..self.pos]).unwrap();
        if self.eat("(") {
            let tag: u64 = num.parse().unwrap();
            let v = self.value();
            assert!(self.eat(")"));
            return Value::Tag(tag, Box::new(v));
        }
        if num.contains('.') || num.contains('e') {
            return Value::Float(num.parse().unwrap());
        }
        let n: i128 = num.parse().unwrap_or_else(|_| panic!("bad number `{num}`"));
        Value::Integer(Integer::try_from(n).unwrap())
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Equality with NaN equal to NaN and floats compared by bits.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same(ka, kb) && same(va, vb))
        }
        (Value::Tag(t, x), Value::Tag(u, y)) => t == u && same(x, y),
        _ => a == b,
    }
}

#[test]
fn ciborium_agrees_with_every_shared_vector() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../test/vectors/cbor.txt"
    ))
    .unwrap();
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (want_hex, edn) = line.split_once(' ').unwrap();
        let mut p = Edn {
            s: edn.trim().as_bytes(),
            pos: 0,
        };
        let value = p.value();
        assert_eq!(p.pos, edn.trim().len(), "line {}: trailing text", n + 1);
        let mut bytes = Vec::new();
        ciborium::into_writer(&value, &mut bytes).unwrap();
        assert_eq!(
            hex(&bytes),
            want_hex,
            "line {}: ciborium encodes {edn} differently",
            n + 1
        );
        let back: Value = ciborium::from_reader(&unhex(want_hex)[..]).unwrap();
        assert!(
            same(&back, &value),
            "line {}: {want_hex} decodes to {back:?}",
            n + 1
        );
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} vectors");
}

/// The bignum encodings the Dart codec writes past 64 bits (see
/// `cbor_test.dart`) are ciborium's i128 encodings.
#[test]
fn ciborium_writes_bignums_like_the_dart_codec() {
    for (v, want) in [
        (1i128 << 64, "c249010000000000000000"),
        (-(1i128 << 64) - 1, "c349010000000000000000"),
        (u64::MAX as i128, "1bffffffffffffffff"),
        (-(1i128 << 64), "3bffffffffffffffff"),
    ] {
        let mut out = Vec::new();
        ciborium::into_writer(&v, &mut out).unwrap();
        assert_eq!(hex(&out), want, "{v}");
    }
}
