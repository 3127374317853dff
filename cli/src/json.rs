//! JSON text to [`Value`] and back.
//!
//! A hand-written parser, so that numbers keep their meaning: an integer
//! literal becomes a CBOR integer anywhere in -2^64..2^64-1 (no detour through
//! f64), a number with a fraction or exponent becomes a float, and anything
//! else is refused with its line and column. Object keys keep their order;
//! duplicate keys are refused (a CBOR map must not repeat a key).

use crate::value::{Value, MAX_DEPTH};
use std::fmt::Write;

/// Parses one JSON value that fills `text` (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        text: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.pos == p.text.len() {
        return Err("the value is empty; write JSON such as 42, \"text\" or {\"a\": 1}".into());
    }
    let value = p.value()?;
    p.skip_ws();
    if p.pos != p.text.len() {
        return Err(p.error("unexpected text after the value (wrap several values in [ ])"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        format!("malformed JSON at line {line}, column {column}: {what}")
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => Ok(Value::Text(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error(
                "expected a value (a number, \"text\", true, false, null, [ or {); text must be in double quotes",
            )),
            None => Err(self.error("the value ends too early")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        if self.depth >= MAX_DEPTH - 100 {
            return Err(self.error("arrays and objects are nested too deeply"));
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.text[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected true, false or null; text must be in double quotes"))
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                items.push(self.value()?);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected , or ] in an array")),
                }
            }
        }
        Ok(Value::Array {
            items,
            indefinite: false,
        })
    }

    fn object(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut entries: Vec<(Value, Value)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a key in double quotes"));
                }
                let key_pos = self.pos;
                let key = self.string()?;
                if !seen.insert(key.clone()) {
                    self.pos = key_pos;
                    return Err(self.error(&format!("the key {key:?} appears twice in an object")));
                }
                self.skip_ws();
                self.expect(b':', "expected : after a key")?;
                self.skip_ws();
                let value = self.value()?;
                entries.push((Value::Text(key), value));
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected , or } in an object")),
                }
            }
        }
        Ok(Value::Map {
            entries,
            indefinite: false,
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("\\u must be followed by four hex digits"))?;
        self.pos += 4;
        Ok(digits)
    }

    /// Parses a string literal at `pos` (which holds the opening quote).
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("a string is not closed (missing \")"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let esc = self
                        .peek()
                        .ok_or_else(|| self.error("a string ends after \\"))?;
                    self.pos += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.error(
                                "unknown escape; use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX",
                            ));
                        }
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..=0x1f => {
                    self.pos -= 1;
                    return Err(self.error("a control character (such as a newline) inside a string; write it as an escape (\\n)"));
                }
                _ => out.push(b),
            }
        }
        // The input is a &str and escapes produce whole chars, so this holds.
        String::from_utf8(out).map_err(|_| self.error("a string is not valid UTF-8"))
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&first) {
            if !self.text[self.pos..].starts_with(b"\\u") {
                return Err(
                    self.error("a lone high surrogate; UTF-16 pairs must be written together")
                );
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return Err(self.error("a high surrogate is not followed by a low surrogate"));
            }
            0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("a lone low surrogate is not a character"))
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let digits = |p: &mut Parser| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 {
            return Err(self.error("expected a digit"));
        }
        if n > 1 && self.text[int_start] == b'0' {
            self.pos = int_start;
            return Err(self.error("a number must not start with 0 (leading zeros are not JSON)"));
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if digits(self) == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        // ASCII digits and signs only, so this is valid UTF-8.
        let literal = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or_default();
        if float {
            let f: f64 = literal.parse().map_err(|_| self.error("not a number"))?;
            if f.is_infinite() {
                self.pos = start;
                return Err(self.error(&format!("{literal} is too large for a 64-bit float")));
            }
            return Ok(Value::Float(f));
        }
        literal
            .parse::<i128>()
            .ok()
            .and_then(Value::integer)
            .ok_or_else(|| {
                self.pos = start;
                self.error(&format!(
                    "the integer {literal} is outside CBOR's range (-18446744073709551616 to 18446744073709551615); \
                     store it as a string, or as a float by writing it with an exponent"
                ))
            })
    }
}

/// Prints a JSON-representable value as one line (`pretty` false) or indented.
/// Values that are not representable must go through [`crate::diag`] instead.
pub fn print(value: &Value, pretty: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, value, if pretty { Some(0) } else { None });
    out
}

/// Starts a new line at `indent` levels in pretty output (nothing on one line).
pub(crate) fn newline(out: &mut String, indent: Option<usize>) {
    if let Some(level) = indent {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", level));
    }
}

fn write_value(out: &mut String, value: &Value, indent: Option<usize>) {
    let inner = indent.map(|i| i + 1);
    match value {
        Value::Array { items, .. } if items.is_empty() => out.push_str("[]"),
        Value::Array { items, .. } => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_value(out, item, inner);
            }
            newline(out, indent);
            out.push(']');
        }
        Value::Map { entries, .. } if entries.is_empty() => out.push_str("{}"),
        Value::Map { entries, .. } => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_value(out, k, inner);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write_value(out, v, inner);
            }
            newline(out, indent);
            out.push('}');
        }
        other => write_scalar(out, other),
    }
}

/// Writes a scalar in JSON syntax (shared with the diagnostic printer).
pub fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Unsigned(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Negative(n) => {
            let _ = write!(out, "{}", -1 - *n as i128);
        }
        Value::Float(f) => write_float(out, *f),
        Value::Text(s) => write_string(out, s),
        Value::TextChunks(chunks) => write_string(out, &chunks.concat()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        _ => out.push_str("null"),
    }
}

/// Floats keep a `.` or an exponent so that they read back as floats.
fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let _ = write!(out, "{f:?}");
    }
}

/// Writes `s` as a JSON string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::to_hex;

    fn cbor(text: &str) -> String {
        to_hex(&parse(text).unwrap().to_cbor())
    }

    fn round(text: &str) -> String {
        print(&parse(text).unwrap(), false)
    }

    #[test]
    fn integers_cover_the_full_cbor_range_exactly() {
        assert_eq!(cbor("18446744073709551615"), "1bffffffffffffffff");
        assert_eq!(cbor("-18446744073709551616"), "3bffffffffffffffff");
        assert_eq!(cbor("9223372036854775807"), "1b7fffffffffffffff");
        assert_eq!(cbor("-9223372036854775808"), "3b7fffffffffffffff");
        assert_eq!(cbor("0"), "00");
        assert_eq!(cbor("-0"), "00");
        assert_eq!(round("18446744073709551615"), "18446744073709551615");
        assert_eq!(round("-18446744073709551616"), "-18446744073709551616");
        let err = parse("18446744073709551616").unwrap_err();
        assert!(err.contains("outside CBOR's range"), "{err}");
        assert!(parse("-18446744073709551617").is_err());
        assert!(parse("123456789012345678901234567890123456789012").is_err());
    }

    #[test]
    fn floats_stay_floats() {
        assert_eq!(cbor("1.0"), "f93c00");
        assert_eq!(cbor("1e2"), "f95640");
        assert_eq!(round("1.0"), "1.0");
        assert_eq!(round("0.1"), "0.1");
        assert_eq!(round("1e300"), "1e300");
        assert_eq!(round("-2.5E-3"), "-0.0025");
        assert!(parse("1e400").unwrap_err().contains("too large"));
    }

    #[test]
    fn structures_keep_key_order_and_text() {
        assert_eq!(
            cbor(r#"{"b": 1, "a": [true, false, null]}"#),
            "a2616201616183f5f4f6"
        );
        assert_eq!(round(r#" { "b" : 1 , "a" : [ ] } "#), r#"{"b":1,"a":[]}"#);
        assert_eq!(
            round(r#""\u00e9\ud83d\ude00\n\"\\\/""#),
            "\"é😀\\n\\\"\\\\/\""
        );
        assert_eq!(
            print(&parse(r#"{"a":[1,{"b":2}],"c":{}}"#).unwrap(), true),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": 2\n    }\n  ],\n  \"c\": {}\n}"
        );
    }

    #[test]
    fn malformed_json_says_where_and_what() {
        for (text, needle) in [
            ("", "empty"),
            ("{\"a\": 1,}", "line 1, column 9"),
            ("[1, 2", "expected , or ]"),
            ("{\"a\":1, \"a\":2}", "appears twice"),
            ("hello", "double quotes"),
            ("01", "leading zeros"),
            ("1.", "after the decimal point"),
            ("\"a\nb\"", "control character"),
            ("\"\\ud800\"", "surrogate"),
            ("\"\\x\"", "unknown escape"),
            ("1 2", "after the value"),
            ("[\n  1,\n  oops]", "line 3, column 3"),
            ("tru", "true, false or null"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).unwrap_err().contains("too deeply"));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = String::new();
        write_string(&mut s, "a\u{1}\u{7f}\t");
        assert_eq!(s, "\"a\\u0001\\u007f\\t\"");
    }
}
