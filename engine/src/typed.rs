//! Typed values: any `serde` type to and from CBOR with `ciborium`.

use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Encodes `value` as one CBOR data item.
pub fn to_cbor<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| {
        Error::new(
            ErrorKind::InvalidValue,
            format!("could not encode the value as CBOR: {e}"),
        )
    })?;
    Ok(out)
}

/// Decodes one CBOR data item into a `T`.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    ciborium::from_reader(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "the stored value does not decode as {}: {e}",
                std::any::type_name::<T>()
            ),
        )
    })
}
