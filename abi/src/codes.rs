//! The status codes of the ABI. GENERATED from spec/errors.toml by
//! `NOOK_REGENERATE=1 cargo test -p nook-abi generated`; do not edit (a test
//! fails when this file is stale).

/// Status 0: success.
pub const NOOK_OK: i32 = 0;

/// Status 1, NOT_FOUND (since ABI 1.0): The key (or the database file, when opening without create) does not exist.
pub const NOOK_NOT_FOUND: i32 = 1;

/// Status 2, ALREADY_EXISTS (since ABI 1.0): insert was called for a key that is already present; use put to replace it.
pub const NOOK_ALREADY_EXISTS: i32 = 2;

/// Status 3, INVALID_ARGUMENT (since ABI 1.0): An argument is malformed: an empty key, a NULL pointer with a non-zero length, a bad option or path.
pub const NOOK_INVALID_ARGUMENT: i32 = 3;

/// Status 4, INVALID_VALUE (since ABI 1.0): The value is not exactly one well-formed CBOR data item.
pub const NOOK_INVALID_VALUE: i32 = 4;

/// Status 5, KEY_TOO_LARGE (since ABI 1.0): The key is longer than 4096 bytes.
pub const NOOK_KEY_TOO_LARGE: i32 = 5;

/// Status 6, VALUE_TOO_LARGE (since ABI 1.0): The value is longer than 64 MiB.
pub const NOOK_VALUE_TOO_LARGE: i32 = 6;

/// Status 7, LOCKED (since ABI 1.0): Another process holds the database file's lock; close it there or open read-only.
pub const NOOK_LOCKED: i32 = 7;

/// Status 8, CORRUPTED (since ABI 1.0): The file is damaged or is not a Nook database; restore a backup (check names the first bad page).
pub const NOOK_CORRUPTED: i32 = 8;

/// Status 9, IO (since ABI 1.0): The operating system reported an I/O error; nothing uncommitted was kept.
pub const NOOK_IO: i32 = 9;

/// Status 10, READ_ONLY (since ABI 1.0): A write was attempted on a database opened read-only.
pub const NOOK_READ_ONLY: i32 = 10;

/// Status 11, BUSY (since ABI 1.0): The writer slot stayed taken (another write transaction is open) for longer than the caller would wait.
pub const NOOK_BUSY: i32 = 11;

/// Status 12, CLOSED (since ABI 1.0): The database, transaction or cursor was already closed, committed or rolled back.
pub const NOOK_CLOSED: i32 = 12;

/// Status 13, INCOMPATIBLE (since ABI 1.0): The file format or the library's ABI major version is not one this build supports.
pub const NOOK_INCOMPATIBLE: i32 = 13;

/// Status 14, DISK_FULL (since ABI 1.0): The disk is full; nothing was committed. Free space and retry.
pub const NOOK_DISK_FULL: i32 = 14;

/// Status 15, INTERNAL (since ABI 1.0): A bug in Nook (an invariant failed or a panic was caught); please report it.
pub const NOOK_INTERNAL: i32 = 15;

/// Status 16, INVALID_HANDLE (since ABI 1.0): The handle is zero, forged, already closed, or of the wrong kind for this function.
pub const NOOK_INVALID_HANDLE: i32 = 16;

/// Status 17, BUFFER_TOO_SMALL (since ABI 1.0): The caller's buffer is too small; the needed length was written to the length out-pointer.
pub const NOOK_BUFFER_TOO_SMALL: i32 = 17;

/// Every error status as (code, name, meaning), in code order.
pub(crate) const CODES: &[(i32, &str, &str)] = &[
    (1, "NOT_FOUND", "The key (or the database file, when opening without create) does not exist."),
    (2, "ALREADY_EXISTS", "insert was called for a key that is already present; use put to replace it."),
    (3, "INVALID_ARGUMENT", "An argument is malformed: an empty key, a NULL pointer with a non-zero length, a bad option or path."),
    (4, "INVALID_VALUE", "The value is not exactly one well-formed CBOR data item."),
    (5, "KEY_TOO_LARGE", "The key is longer than 4096 bytes."),
    (6, "VALUE_TOO_LARGE", "The value is longer than 64 MiB."),
    (7, "LOCKED", "Another process holds the database file's lock; close it there or open read-only."),
    (8, "CORRUPTED", "The file is damaged or is not a Nook database; restore a backup (check names the first bad page)."),
    (9, "IO", "The operating system reported an I/O error; nothing uncommitted was kept."),
    (10, "READ_ONLY", "A write was attempted on a database opened read-only."),
    (11, "BUSY", "The writer slot stayed taken (another write transaction is open) for longer than the caller would wait."),
    (12, "CLOSED", "The database, transaction or cursor was already closed, committed or rolled back."),
    (13, "INCOMPATIBLE", "The file format or the library's ABI major version is not one this build supports."),
    (14, "DISK_FULL", "The disk is full; nothing was committed. Free space and retry."),
    (15, "INTERNAL", "A bug in Nook (an invariant failed or a panic was caught); please report it."),
    (16, "INVALID_HANDLE", "The handle is zero, forged, already closed, or of the wrong kind for this function."),
    (17, "BUFFER_TOO_SMALL", "The caller's buffer is too small; the needed length was written to the length out-pointer."),
];
