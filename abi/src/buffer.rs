//! BUFFER handles: library-owned bytes (a value read by `nook_get_buffer`),
//! reached through a pointer that stays valid until the handle is closed.

use crate::args;
use crate::failure::{call_plain, store, Failure};
use crate::handles::{self, Kind, Object};

/// Writes the address and length of the bytes of `buffer` to `*data` and
/// `*len`. The bytes stay valid and unchanged until `nook_buffer_close` for
/// this handle (or the end of the process); they must not be written to. For
/// an empty buffer `*data` is a non-NULL address that must not be read.
///
/// Statuses: OK; INVALID_ARGUMENT (`data` or `len` is NULL); INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn nook_buffer_data(
    buffer: u64,
    data: *mut *const u8,
    len: *mut usize,
) -> i32 {
    call_plain("nook_buffer_data", || {
        args::required(data, "data")?;
        args::required(len, "len")?;
        let (ptr, n) = handles::with(buffer, "buffer", &[Kind::Buffer], |o| match o {
            Object::Buffer(bytes) => (bytes.as_ptr(), bytes.len()),
            _ => unreachable!("kind checked"),
        })?;
        // SAFETY: `data` and `len` are not NULL (checked above) and, by the
        // caller's contract, valid for writes.
        unsafe {
            store(data, ptr);
            store(len, n);
        }
        Ok::<(), Failure>(())
    })
}

/// Releases `buffer` and its bytes; pointers from `nook_buffer_data` for it
/// must not be used afterwards.
///
/// Statuses: OK; INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn nook_buffer_close(buffer: u64) -> i32 {
    call_plain("nook_buffer_close", || {
        handles::remove(buffer, "buffer", &[Kind::Buffer]).map(drop)
    })
}
