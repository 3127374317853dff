//! How keys and values cross the command line: parsing them from text
//! (`--hex-key`, `--cbor-hex`, JSON) and rendering them for `--format`.

use crate::error::{CliError, CliResult};
use crate::value::{self, Value};
use crate::{diag, json};
use clap::ValueEnum;

/// The output format of values (`--format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line of JSON; CBOR diagnostic notation when JSON cannot show the value.
    #[default]
    Json,
    /// Indented JSON (indented diagnostic notation when JSON cannot show the value).
    Pretty,
    /// CBOR diagnostic notation (RFC 8949 §8) on one line, for every value.
    Diag,
    /// The stored CBOR bytes as lowercase hex.
    Hex,
}

/// How keys and values are written on the command line and printed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Codec {
    /// Values are printed in this format.
    pub format: Format,
    /// Keys are given and printed as hex (for binary keys).
    pub hex_key: bool,
    /// Values are given as hex of raw CBOR instead of JSON.
    pub cbor_hex: bool,
}

impl Codec {
    /// The bytes of a key written on the command line.
    pub fn parse_key(&self, text: &str) -> CliResult<Vec<u8>> {
        if self.hex_key {
            value::from_hex(text).map_err(|e| {
                CliError::invalid_argument(format!(
                    "the key {e} (--hex-key expects hex, e.g. 6b6579)"
                ))
            })
        } else {
            Ok(text.as_bytes().to_vec())
        }
    }

    /// The CBOR bytes of a value written as JSON text (or CBOR hex with
    /// `--cbor-hex`, optionally in double quotes: `""` is no bytes). CBOR from
    /// hex is checked by the engine, after the key, as for any other caller.
    pub fn parse_value(&self, text: &str) -> CliResult<Vec<u8>> {
        if self.cbor_hex {
            let text = text.trim();
            let hex = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            value::from_hex(hex).map_err(|e| {
                CliError::invalid_value(format!(
                    "the value {e} (--cbor-hex expects hex CBOR, e.g. 182a)"
                ))
            })
        } else {
            json::parse(text)
                .map(|v| v.to_cbor())
                .map_err(CliError::invalid_value)
        }
    }

    /// A key for printing: hex with `--hex-key`; else the text when it is
    /// printable UTF-8, or `h'…'` (diagnostic notation) when it is not.
    pub fn render_key(&self, key: &[u8]) -> String {
        if self.hex_key {
            return value::to_hex(key);
        }
        match std::str::from_utf8(key) {
            Ok(text) if !text.chars().any(char::is_control) => text.to_string(),
            _ => format!("h'{}'", value::to_hex(key)),
        }
    }

    /// A stored value in the output format.
    pub fn render_value(&self, bytes: &[u8]) -> String {
        if self.format == Format::Hex {
            return value::to_hex(bytes);
        }
        let value = match value::decode(bytes) {
            Ok(v) => v,
            // The engine only stores well-formed CBOR; show raw bytes if not.
            Err(_) => return format!("h'{}'", value::to_hex(bytes)),
        };
        render(&value, self.format)
    }
}

/// A decoded value in `format` (not hex), falling back to diagnostic
/// notation for what JSON cannot show.
pub fn render(value: &Value, format: Format) -> String {
    match format {
        Format::Json if value.is_json() => json::print(value, false),
        Format::Pretty if value.is_json() => json::print(value, true),
        Format::Pretty => diag::print(value, true),
        Format::Hex => value::to_hex(&value.to_cbor()),
        Format::Json | Format::Diag => diag::print(value, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_render_readably_or_as_bytes() {
        let c = Codec::default();
        assert_eq!(c.render_key(b"user:1"), "user:1");
        assert_eq!(c.render_key(b"a\tb"), "h'610962'");
        assert_eq!(c.render_key(&[0xff, 0x00]), "h'ff00'");
        let h = Codec { hex_key: true, ..c };
        assert_eq!(h.render_key(b"key"), "6b6579");
        assert_eq!(h.parse_key("6B6579").unwrap(), b"key");
        assert!(h.parse_key("xyz").is_err());
    }

    #[test]
    fn values_fall_back_to_diag_when_json_cannot_show_them() {
        let c = Codec::default();
        assert_eq!(c.render_value(&[0x43, 1, 2, 3]), "h'010203'");
        assert_eq!(c.render_value(&[0xa1, 0x61, 0x61, 0x01]), "{\"a\":1}");
        let d = Codec {
            format: Format::Diag,
            ..c
        };
        assert_eq!(d.render_value(&[0xa1, 0x61, 0x61, 0x01]), "{\"a\": 1}");
        let x = Codec {
            format: Format::Hex,
            ..c
        };
        assert_eq!(x.render_value(&[0x18, 0x2a]), "182a");
    }

    #[test]
    fn cbor_hex_values_are_hex() {
        let c = Codec {
            cbor_hex: true,
            ..Codec::default()
        };
        assert_eq!(c.parse_value("182a").unwrap(), vec![0x18, 0x2a]);
        assert_eq!(c.parse_value(" \"18 2a\" ").unwrap(), vec![0x18, 0x2a]);
        assert!(c.parse_value("1").is_err());
        assert!(c.parse_value("zz").is_err());
        assert_eq!(c.parse_value("\"\"").unwrap(), Vec::<u8>::new());
    }
}
