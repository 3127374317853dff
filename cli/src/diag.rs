//! CBOR diagnostic notation (RFC 8949 §8): the text form of any CBOR value.
//!
//! It extends JSON with what JSON cannot show: byte strings `h'0102'`, tags
//! `1(1363896240)`, `undefined`, `simple(16)`, `NaN` and `Infinity`, maps with
//! non-text keys `{1: "a"}`, and indefinite lengths `[_ 1, 2]`, `(_ h'01', h'02')`.

use crate::json;
use crate::json::newline;
use crate::value::{to_hex, Value};
use std::fmt::Write;

/// Prints `value` in diagnostic notation, on one line or indented (`pretty`).
pub fn print(value: &Value, pretty: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, value, if pretty { Some(0) } else { None });
    out
}

/// Writes the items of an array or map between `open` and `close`.
fn write_seq<T>(
    out: &mut String,
    (open, close): (&str, &str),
    indefinite: bool,
    items: &[T],
    indent: Option<usize>,
    mut write_item: impl FnMut(&mut String, &T, Option<usize>),
) {
    out.push_str(open);
    if indefinite {
        out.push_str("_ ");
    }
    let inner = indent.map(|i| i + 1);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
            if indent.is_none() {
                out.push(' ');
            }
        }
        newline(out, inner);
        write_item(out, item, inner);
    }
    if !items.is_empty() {
        newline(out, indent);
    }
    out.push_str(close);
}

fn write_value(out: &mut String, value: &Value, indent: Option<usize>) {
    match value {
        Value::Bytes(b) => {
            let _ = write!(out, "h'{}'", to_hex(b));
        }
        Value::BytesChunks(chunks) => {
            let parts: Vec<String> = chunks.iter().map(|c| format!("h'{}'", to_hex(c))).collect();
            write_chunks(out, &parts);
        }
        Value::TextChunks(chunks) => {
            let parts: Vec<String> = chunks
                .iter()
                .map(|c| {
                    let mut s = String::new();
                    json::write_string(&mut s, c);
                    s
                })
                .collect();
            write_chunks(out, &parts);
        }
        Value::Array { items, indefinite } => {
            write_seq(out, ("[", "]"), *indefinite, items, indent, |o, v, i| {
                write_value(o, v, i)
            })
        }
        Value::Map {
            entries,
            indefinite,
        } => write_seq(
            out,
            ("{", "}"),
            *indefinite,
            entries,
            indent,
            |o, (k, v), i| {
                write_value(o, k, i);
                o.push_str(": ");
                write_value(o, v, i);
            },
        ),
        Value::Tag(tag, inner) => {
            let _ = write!(out, "{tag}(");
            write_value(out, inner, indent);
            out.push(')');
        }
        Value::Undefined => out.push_str("undefined"),
        Value::Simple(n) => {
            let _ = write!(out, "simple({n})");
        }
        scalar => json::write_scalar(out, scalar),
    }
}

fn write_chunks(out: &mut String, parts: &[String]) {
    if parts.is_empty() {
        // An empty indefinite string has no chunk to show; RFC 8949 writes it so.
        out.push_str("(_ )");
    } else {
        let _ = write!(out, "(_ {})", parts.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{decode, from_hex};

    fn diag(h: &str) -> String {
        print(&decode(&from_hex(h).unwrap()).unwrap(), false)
    }

    #[test]
    fn rfc_8949_appendix_a_examples() {
        for (h, text) in [
            ("00", "0"),
            ("1bffffffffffffffff", "18446744073709551615"),
            ("3bffffffffffffffff", "-18446744073709551616"),
            ("c249010000000000000000", "2(h'010000000000000000')"),
            ("f93c00", "1.0"),
            ("fb3ff199999999999a", "1.1"),
            ("f97c00", "Infinity"),
            ("f9fc00", "-Infinity"),
            ("f97e00", "NaN"),
            ("f4", "false"),
            ("f7", "undefined"),
            ("f0", "simple(16)"),
            ("f8ff", "simple(255)"),
            (
                "c074323031332d30332d32315432303a30343a30305a",
                "0(\"2013-03-21T20:04:00Z\")",
            ),
            ("d74401020304", "23(h'01020304')"),
            ("40", "h''"),
            ("6449455446", "\"IETF\""),
            ("62225c", "\"\\\"\\\\\""),
            ("8301820203820405", "[1, [2, 3], [4, 5]]"),
            ("a201020304", "{1: 2, 3: 4}"),
            ("a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}"),
            ("5f42010243030405ff", "(_ h'0102', h'030405')"),
            ("7f657374726561646d696e67ff", "(_ \"strea\", \"ming\")"),
            ("9fff", "[_ ]"),
            ("9f018202039f0405ffff", "[_ 1, [2, 3], [_ 4, 5]]"),
            ("bf61610161629f0203ffff", "{_ \"a\": 1, \"b\": [_ 2, 3]}"),
            ("a0", "{}"),
        ] {
            assert_eq!(diag(h), text, "{h}");
        }
    }

    #[test]
    fn pretty_diag_indents_nested_items() {
        let v = decode(&from_hex("a2014102028101").unwrap()).unwrap();
        assert_eq!(print(&v, true), "{\n  1: h'02',\n  2: [\n    1\n  ]\n}");
    }
}
