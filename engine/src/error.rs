//! Errors: one [`ErrorKind`] per stable code in `spec/errors.toml`, plus a message
//! that says what went wrong and what to do about it.

use std::fmt;
use std::io;

/// The stable error codes of Nook. The numbers are part of the ABI
/// (`spec/errors.toml` is the single source; a test keeps this enum in step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The key is not in the database (`update`, or a lookup that requires it).
    NotFound = 1,
    /// The key is already in the database (`insert`).
    AlreadyExists = 2,
    /// An argument is malformed: empty key, bad option, bad path.
    InvalidArgument = 3,
    /// The value is not one well-formed CBOR data item.
    InvalidValue = 4,
    /// The key is longer than [`crate::MAX_KEY_LEN`].
    KeyTooLarge = 5,
    /// The value is longer than [`crate::MAX_VALUE_LEN`].
    ValueTooLarge = 6,
    /// Another process holds the database file's lock.
    Locked = 7,
    /// The file is damaged or is not a Nook database.
    Corrupted = 8,
    /// The operating system reported an I/O error.
    Io = 9,
    /// A write was attempted on a database opened read-only.
    ReadOnly = 10,
    /// The single writer slot stayed taken for longer than the caller would wait.
    Busy = 11,
    /// The database, transaction or cursor has been closed.
    Closed = 12,
    /// The file was written by an incompatible format version or page size.
    Incompatible = 13,
    /// The disk is full; nothing was committed.
    DiskFull = 14,
    /// A bug in Nook (an invariant did not hold). Please report it.
    Internal = 15,
}

impl ErrorKind {
    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidValue,
        ErrorKind::KeyTooLarge,
        ErrorKind::ValueTooLarge,
        ErrorKind::Locked,
        ErrorKind::Corrupted,
        ErrorKind::Io,
        ErrorKind::ReadOnly,
        ErrorKind::Busy,
        ErrorKind::Closed,
        ErrorKind::Incompatible,
        ErrorKind::DiskFull,
        ErrorKind::Internal,
    ];

    /// The stable numeric code (never 0; 0 means success at the ABI).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The stable upper-case name, e.g. `NOT_FOUND`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::AlreadyExists => "ALREADY_EXISTS",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::InvalidValue => "INVALID_VALUE",
            ErrorKind::KeyTooLarge => "KEY_TOO_LARGE",
            ErrorKind::ValueTooLarge => "VALUE_TOO_LARGE",
            ErrorKind::Locked => "LOCKED",
            ErrorKind::Corrupted => "CORRUPTED",
            ErrorKind::Io => "IO",
            ErrorKind::ReadOnly => "READ_ONLY",
            ErrorKind::Busy => "BUSY",
            ErrorKind::Closed => "CLOSED",
            ErrorKind::Incompatible => "INCOMPATIBLE",
            ErrorKind::DiskFull => "DISK_FULL",
            ErrorKind::Internal => "INTERNAL",
        }
    }

    /// Whether an error of this kind is a clean refusal: the operation checked
    /// its arguments or the key's presence and refused before changing
    /// anything (`NOT_FOUND`, `ALREADY_EXISTS`, `INVALID_ARGUMENT`,
    /// `INVALID_VALUE`, `KEY_TOO_LARGE`, `VALUE_TOO_LARGE`). Any other error
    /// inside a [`crate::WriteTxn`] poisons it: see there.
    pub fn is_clean_refusal(self) -> bool {
        matches!(
            self,
            ErrorKind::NotFound
                | ErrorKind::AlreadyExists
                | ErrorKind::InvalidArgument
                | ErrorKind::InvalidValue
                | ErrorKind::KeyTooLarge
                | ErrorKind::ValueTooLarge
        )
    }

    /// The kind for a stable code, if it is one of the engine's.
    pub fn from_code(code: i32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error from Nook: a stable [`ErrorKind`], a human-readable message and,
/// when the operating system reported it, the OS error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    os_code: Option<i32>,
}

/// `Result` with Nook's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            os_code: None,
        }
    }

    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind's name.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The operating system's error code when the OS reported this error
    /// (`errno` on Unix, e.g. 28 for ENOSPC, 13 for EACCES, 5 for EIO; the
    /// Win32 error code on Windows), as `std::io::Error::raw_os_error`.
    /// `None` for errors of Nook's own making and for I/O errors without one.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.os_code
    }

    /// The same error (kind and OS error code) with another message, e.g.
    /// when a failure is reported again later: use it instead of
    /// `Error::new(e.kind(), ...)` so the OS error code is not lost.
    pub(crate) fn reworded(&self, message: impl Into<String>) -> Error {
        Error {
            kind: self.kind,
            message: message.into(),
            os_code: self.os_code,
        }
    }

    pub(crate) fn corrupted(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Corrupted, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::Internal,
            format!(
                "{}; this is a bug in Nook, please report it",
                message.into()
            ),
        )
    }

    /// Wraps an OS error, saying what Nook was doing when it happened, and
    /// keeps its OS error code ([`Error::raw_os_error`]).
    pub(crate) fn io(context: &str, err: io::Error) -> Error {
        let error = if is_disk_full(&err) {
            Error::new(
                ErrorKind::DiskFull,
                format!("{context}: the disk is full ({err}); free some space and retry, nothing was committed"),
            )
        } else {
            Error::new(ErrorKind::Io, format!("{context}: {err}"))
        };
        Error {
            os_code: err.raw_os_error(),
            ..error
        }
    }
}

fn is_disk_full(err: &io::Error) -> bool {
    // ENOSPC is 28 on Linux and the BSDs; std names it StorageFull.
    err.kind() == io::ErrorKind::StorageFull || err.raw_os_error() == Some(28)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// The engine's codes and names must be exactly the first rows of
    /// `spec/errors.toml` (the single source of the error table).
    #[test]
    fn error_kinds_match_the_spec_table() {
        let spec =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/errors.toml"))
                .unwrap();
        let mut rows = Vec::new();
        let mut code = None;
        for line in spec.lines() {
            if let Some(v) = line.strip_prefix("code = ") {
                code = Some(v.trim().parse::<i32>().unwrap());
            } else if let Some(v) = line.strip_prefix("name = ") {
                rows.push((code.take().unwrap(), v.trim().trim_matches('"').to_string()));
            }
        }
        for kind in ErrorKind::ALL {
            assert!(
                rows.contains(&(kind.code(), kind.name().to_string())),
                "{kind:?} ({}, {}) is not in spec/errors.toml",
                kind.code(),
                kind.name()
            );
        }
    }
}
