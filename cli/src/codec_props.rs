//! Property tests of the value codec: JSON text, CBOR bytes and diagnostic
//! notation agree on every value, and no input makes the decoder panic.

use crate::value::{decode, Value};
use crate::{diag, json, output};
use proptest::prelude::*;

/// Any value JSON can show, as the JSON parser would build it.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<u64>().prop_map(Value::Unsigned),
        any::<u64>().prop_map(Value::Negative),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        ".{0,12}".prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|items| Value::Array {
                items,
                indefinite: false
            }),
            prop::collection::btree_map(".{0,6}", inner, 0..6).prop_map(|m| Value::Map {
                entries: m.into_iter().map(|(k, v)| (Value::Text(k), v)).collect(),
                indefinite: false,
            }),
        ]
    })
}

/// Any CBOR value, including what JSON cannot show.
fn cbor_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<u64>().prop_map(Value::Unsigned),
        any::<u64>().prop_map(Value::Negative),
        any::<f64>().prop_map(Value::Float),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
        ".{0,8}".prop_map(Value::Text),
        prop::collection::vec(".{0,4}", 0..3).prop_map(Value::TextChunks),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..4), 0..3)
            .prop_map(Value::BytesChunks),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(Value::Undefined),
        (0u8..20).prop_map(Value::Simple),
        (32u8..=255).prop_map(Value::Simple),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..5), any::<bool>())
                .prop_map(|(items, indefinite)| Value::Array { items, indefinite }),
            (
                prop::collection::vec((inner.clone(), inner.clone()), 0..4),
                any::<bool>()
            )
                .prop_map(|(entries, indefinite)| Value::Map {
                    entries,
                    indefinite
                }),
            (any::<u64>(), inner).prop_map(|(tag, v)| Value::Tag(tag, Box::new(v))),
        ]
    })
}

/// Equality that treats NaN as equal to NaN.
fn same(a: &Value, b: &Value) -> bool {
    a.to_cbor() == b.to_cbor()
}

/// The value with its encoding choices (indefinite lengths, chunks) undone:
/// what JSON can carry of it.
fn plain(v: &Value) -> Value {
    match v {
        Value::TextChunks(chunks) => Value::Text(chunks.concat()),
        Value::BytesChunks(chunks) => Value::Bytes(chunks.concat()),
        Value::Array { items, .. } => Value::Array {
            items: items.iter().map(plain).collect(),
            indefinite: false,
        },
        Value::Map { entries, .. } => Value::Map {
            entries: entries.iter().map(|(k, v)| (plain(k), plain(v))).collect(),
            indefinite: false,
        },
        Value::Tag(tag, inner) => Value::Tag(*tag, Box::new(plain(inner))),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_text_round_trips_exactly(v in json_value()) {
        for pretty in [false, true] {
            let text = json::print(&v, pretty);
            let back = json::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert!(same(&v, &back), "{} -> {:?}", text, back);
        }
    }

    #[test]
    fn cbor_bytes_round_trip_exactly(v in cbor_value()) {
        let bytes = v.to_cbor();
        let back = decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.to_cbor(), bytes.clone());
        // The engine accepts everything the encoder writes.
        prop_assert!(nookdb::cbor::validate(&bytes).is_ok());
        // The default format is JSON when JSON shows the value exactly, and
        // diagnostic notation otherwise.
        let auto = output::render(&v, output::Format::Json);
        if v.is_json() {
            let back = json::parse(&auto).map_err(|e| TestCaseError::fail(format!("{auto}: {e}")))?;
            prop_assert!(same(&plain(&v), &back), "{}", auto);
        } else {
            prop_assert_eq!(auto, diag::print(&v, false));
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics_and_agrees_with_the_engine(
        bytes in prop::collection::vec(any::<u8>(), 0..64)
    ) {
        let ours = decode(&bytes).is_ok();
        let engine = nookdb::cbor::validate(&bytes).is_ok();
        prop_assert_eq!(ours, engine, "{:02x?}", bytes);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = json::parse(&text);
        let _ = crate::line::split(&text);
        let _ = crate::line::needs_more(&text);
    }
}
