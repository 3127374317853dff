//! Checking raw arguments before they are used: (pointer, length) byte strings
//! become slices only after the NULL and length checks, so an oversized length
//! is refused without reading a byte; required out-pointers are checked for
//! NULL before any side effect. Every message names the argument at fault.

use crate::codes;
use crate::failure::Failure;
use engine::{MAX_KEY_LEN, MAX_VALUE_LEN};
use std::path::PathBuf;

/// Longest path accepted by `nook_open` and `nook_backup`, in bytes.
const MAX_PATH_LEN: usize = 64 * 1024;

/// The byte string (`ptr`, `len`) named `name`. NULL is allowed only with 0.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` points to `len` readable bytes
/// that stay unchanged for the duration of the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::invalid_argument(format!(
            "{name} is NULL but {name}_len is {len}"
        )));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid_argument(format!(
            "{name}_len ({len}) is larger than any buffer"
        )));
    }
    // SAFETY: `ptr` is not NULL and `len` is at most isize::MAX (both
    // checked above); that it points to `len` readable bytes, unchanged for
    // the call, is the caller's contract. A u8 needs no alignment.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A key: 1 to 4096 bytes. The length is checked before the memory is read
/// and before the value is looked at, in the engine's order (empty key, then
/// key too large, then the value), so every front end reports the same status
/// for an argument list with several faults.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn key<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Err(Failure::invalid_argument(
            "the key is empty (key_len is 0); keys must be 1 to 4096 bytes",
        ));
    }
    if len > MAX_KEY_LEN {
        return Err(Failure::new(
            codes::NOOK_KEY_TOO_LARGE,
            format!("key_len is {len}; keys may be at most {MAX_KEY_LEN} bytes"),
        ));
    }
    // SAFETY: our caller's contract is that of `bytes`.
    unsafe { bytes(ptr, len, "key") }
}

/// A key prefix for a cursor: empty means every pair. `None` when it is longer
/// than the longest key, so that no key can match: the cursor is empty (as in
/// the engine), and such a prefix is never read.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn prefix<'a>(ptr: *const u8, len: usize) -> Result<Option<&'a [u8]>, Failure> {
    if len > MAX_KEY_LEN {
        if ptr.is_null() {
            return Err(Failure::invalid_argument(format!(
                "prefix is NULL but prefix_len is {len}"
            )));
        }
        return Ok(None);
    }
    // SAFETY: our caller's contract is that of `bytes`.
    unsafe { bytes(ptr, len, "prefix") }.map(Some)
}

/// A CBOR value. Its length is checked against the limit before the memory is
/// read; the engine checks that it is one well-formed CBOR item.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn value<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Failure> {
    if len > MAX_VALUE_LEN {
        return Err(Failure::new(
            codes::NOOK_VALUE_TOO_LARGE,
            format!("value_len is {len}; values may be at most {MAX_VALUE_LEN} bytes (64 MiB)"),
        ));
    }
    // SAFETY: our caller's contract is that of `bytes`.
    unsafe { bytes(ptr, len, "value") }
}

/// A file path given as bytes (any bytes but NUL on Unix; UTF-8 elsewhere).
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn path(ptr: *const u8, len: usize, name: &str) -> Result<PathBuf, Failure> {
    if len == 0 {
        return Err(Failure::invalid_argument(format!(
            "{name} is empty; pass the path of a file"
        )));
    }
    if len > MAX_PATH_LEN {
        return Err(Failure::invalid_argument(format!(
            "{name}_len is {len}; paths may be at most {MAX_PATH_LEN} bytes"
        )));
    }
    // SAFETY: our caller's contract is that of `bytes`.
    let raw = unsafe { bytes(ptr, len, name) }?;
    if raw.contains(&0) {
        return Err(Failure::invalid_argument(format!(
            "{name} contains a NUL byte"
        )));
    }
    path_from_bytes(raw, name)
}

#[cfg(unix)]
fn path_from_bytes(raw: &[u8], _name: &str) -> Result<PathBuf, Failure> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(raw)))
}

#[cfg(not(unix))]
fn path_from_bytes(raw: &[u8], name: &str) -> Result<PathBuf, Failure> {
    std::str::from_utf8(raw)
        .map(PathBuf::from)
        .map_err(|_| Failure::invalid_argument(format!("{name} is not valid UTF-8")))
}

/// Checks that the required out-pointer `name` is not NULL.
pub(crate) fn required<T>(ptr: *mut T, name: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        return Err(Failure::invalid_argument(format!(
            "{name} is NULL; pass where to write the result"
        )));
    }
    Ok(())
}

/// Checks a caller's output buffer: `buf` may be NULL only when `cap` is 0,
/// and no buffer is larger than `isize::MAX` bytes.
pub(crate) fn out_buffer(buf: *mut u8, cap: usize) -> Result<(), Failure> {
    if buf.is_null() && cap > 0 {
        return Err(Failure::invalid_argument(format!(
            "buf is NULL but cap is {cap}"
        )));
    }
    if cap > isize::MAX as usize {
        return Err(Failure::invalid_argument(format!(
            "cap ({cap}) is larger than any buffer"
        )));
    }
    Ok(())
}

/// The caller's output buffer `buf` as a slice of `len` bytes. Every copy out
/// to a caller's buffer goes through here: when `len` is 0 the slice is made
/// without touching `buf`, which may then be NULL (a size probe), and neither a
/// slice nor a copy may be made from a NULL pointer, even an empty one.
///
/// # Safety
/// When `len > 0`, `buf` points to `len` writable bytes that nothing else
/// reads or writes while the slice lives.
pub(crate) unsafe fn out_slice<'a>(buf: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: len > 0, so buf is a valid, exclusive buffer of len bytes
    // (caller contract; out_buffer refused NULL with a non-zero capacity).
    unsafe { std::slice::from_raw_parts_mut(buf, len) }
}

/// Copies `src` to the caller's buffer `buf`, which holds at least
/// `src.len()` bytes (and may be NULL when `src` is empty).
///
/// # Safety
/// As [`out_slice`] with `len = src.len()`.
pub(crate) unsafe fn copy_out(src: &[u8], buf: *mut u8) {
    // SAFETY: forwarded to the caller.
    unsafe { out_slice(buf, src.len()) }.copy_from_slice(src);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_copy_out_never_touches_a_null_buffer() {
        // A slice made from NULL trips the standard library's debug checks
        // (and is undefined behaviour even when empty).
        // SAFETY: NULL only with length 0 (the helpers never touch it then); `buf` is a live local array.
        unsafe {
            assert!(out_slice(std::ptr::null_mut(), 0).is_empty());
            copy_out(&[], std::ptr::null_mut());
            let mut buf = [0u8; 3];
            copy_out(b"abc", buf.as_mut_ptr());
            assert_eq!(&buf, b"abc");
        }
    }

    #[test]
    fn null_is_allowed_only_with_length_zero() {
        // SAFETY: NULL pointers, which `bytes` must refuse without reading.
        unsafe {
            assert_eq!(bytes(std::ptr::null(), 0, "key").unwrap(), b"");
            let err = bytes(std::ptr::null(), 3, "key").unwrap_err();
            assert_eq!(err.code, codes::NOOK_INVALID_ARGUMENT);
            assert_eq!(err.message, "key is NULL but key_len is 3");
        }
    }

    #[test]
    fn oversized_lengths_are_refused_before_reading() {
        // A dangling pointer with a huge length: nothing may be read.
        let p = std::ptr::NonNull::<u8>::dangling().as_ptr();
        // SAFETY: not sound to read, which is the point: each call must
        // refuse the length before touching `p` (Miri/valgrind would see a
        // read).
        unsafe {
            assert_eq!(
                key(p, usize::MAX).unwrap_err().code,
                codes::NOOK_KEY_TOO_LARGE
            );
            assert_eq!(
                value(p, usize::MAX).unwrap_err().code,
                codes::NOOK_VALUE_TOO_LARGE
            );
            assert!(
                prefix(p, usize::MAX).unwrap().is_none(),
                "longer than any key: matches nothing"
            );
            assert_eq!(
                prefix(std::ptr::null(), 4097).unwrap_err().code,
                codes::NOOK_INVALID_ARGUMENT
            );
            assert_eq!(
                path(p, usize::MAX, "path").unwrap_err().code,
                codes::NOOK_INVALID_ARGUMENT
            );
            assert_eq!(
                bytes(p, usize::MAX, "records").unwrap_err().code,
                codes::NOOK_INVALID_ARGUMENT
            );
        }
    }

    #[test]
    fn paths_must_be_non_empty_and_free_of_nul() {
        // SAFETY: each pointer is a literal of at least the length given.
        unsafe {
            assert!(path(b"".as_ptr(), 0, "path").is_err());
            assert!(path(b"a\0b".as_ptr(), 3, "path")
                .unwrap_err()
                .message
                .contains("NUL"));
            assert_eq!(
                path(b"db.nook".as_ptr(), 7, "path").unwrap(),
                PathBuf::from("db.nook")
            );
        }
    }
}
