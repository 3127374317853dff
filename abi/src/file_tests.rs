//! Statuses that need a crafted file, reached through the C entry points:
//! INCOMPATIBLE for a file of another format version (the C tests cannot
//! forge one: the header carries an XXH3 checksum).

use crate::codes::*;
use crate::database::*;
use crate::failure::*;

fn open(path: &std::path::Path, error: &mut u64) -> (i32, u64) {
    let path = path.to_str().unwrap().as_bytes();
    let mut db = 0;
    // SAFETY: every pointer is to a live local or slice, with its length.
    let status = unsafe {
        nook_open(
            path.as_ptr(),
            path.len(),
            NOOK_OPEN_CREATE,
            0,
            0,
            0,
            &mut db,
            error,
        )
    };
    (status, db)
}

fn message_of(error: u64) -> String {
    let mut buf = vec![0u8; 512];
    let mut len = 0;
    // SAFETY: every pointer is to a live local or slice, with its length.
    let status = unsafe { nook_error_message(error, buf.as_mut_ptr(), buf.len(), &mut len) };
    assert_eq!(status, NOOK_OK);
    buf.truncate(len);
    String::from_utf8(buf).unwrap()
}

/// Rewrites the format version in the file header (bytes 8..12) and seals
/// the header again (XXH3-64 of bytes 0..40 at 40..48), as a build of
/// another version would have written it.
fn set_format_version(path: &std::path::Path, version: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[8..12].copy_from_slice(&version.to_le_bytes());
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..40]);
    bytes[40..48].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn another_format_version_is_incompatible_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.nook");
    let mut error = 0;
    let (status, db) = open(&path, &mut error);
    assert_eq!(status, NOOK_OK);
    // SAFETY: no pointer arguments.
    assert_eq!(unsafe { nook_close(db) }, NOOK_OK);

    for version in [1, engine::FORMAT_VERSION + 1] {
        set_format_version(&path, version);
        let before = std::fs::read(&path).unwrap();
        let (status, _) = open(&path, &mut error);
        assert_eq!(status, NOOK_INCOMPATIBLE, "format version {version}");
        let message = message_of(error);
        assert!(
            message.contains(&format!("format version {version}")),
            "{message}"
        );
        // SAFETY: no pointer arguments.
        assert_eq!(unsafe { nook_error_close(error) }, NOOK_OK);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file was changed"
        );
    }
}
