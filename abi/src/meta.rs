//! Version queries, the error table by code, and `nook_finalize` (the one
//! exported function that is not `int32_t f(...)`: a `void f(void *)` for
//! Dart's NativeFinalizer).

use crate::args;
use crate::codes;
use crate::failure::{call_plain, store, Failure};
use crate::handles::{self, Kind};
use crate::objects;

/// The ABI major version of this header: a library of another major is
/// incompatible (see spec/versioning.md).
pub const NOOK_ABI_VERSION_MAJOR: u32 = 1;
/// The ABI minor version of this header: a library of this major and at least
/// this minor has every function and code declared here.
pub const NOOK_ABI_VERSION_MINOR: u32 = 1;

/// The library version, e.g. "0.1.0" (informational; compatibility is the ABI version).
static LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Writes the ABI version of the loaded library to `*major` and `*minor`.
/// Bindings call this first and refuse a library whose major differs from
/// NOOK_ABI_VERSION_MAJOR, or whose minor is lower than the one they need.
///
/// Statuses: OK; INVALID_ARGUMENT (a NULL pointer).
#[no_mangle]
pub unsafe extern "C" fn nook_abi_version(major: *mut u32, minor: *mut u32) -> i32 {
    call_plain("nook_abi_version", || {
        args::required(major, "major")?;
        args::required(minor, "minor")?;
        // SAFETY: both are out-pointers, which the caller's contract makes
        // valid for writes (NULL was refused above).
        unsafe {
            store(major, NOOK_ABI_VERSION_MAJOR);
            store(minor, NOOK_ABI_VERSION_MINOR);
        }
        Ok(())
    })
}

/// Writes the address and length of the library's version text (UTF-8, no
/// NUL terminator, static: never freed) to `*text` and `*len`.
///
/// Statuses: OK; INVALID_ARGUMENT (a NULL pointer).
#[no_mangle]
pub unsafe extern "C" fn nook_library_version(text: *mut *const u8, len: *mut usize) -> i32 {
    // SAFETY: `text` and `len` are the caller's out-pointers.
    call_plain("nook_library_version", || unsafe {
        static_text(text, len, LIBRARY_VERSION)
    })
}

/// Writes the address and length of `value` to `*text` and `*len`.
///
/// # Safety
/// `text` and `len` are NULL (refused) or valid for writes.
unsafe fn static_text(
    text: *mut *const u8,
    len: *mut usize,
    value: &'static str,
) -> Result<(), Failure> {
    args::required(text, "text")?;
    args::required(len, "len")?;
    // SAFETY: not NULL (checked above), so valid for writes (our contract).
    unsafe {
        store(text, value.as_ptr());
        store(len, value.len());
    }
    Ok(())
}

fn lookup(code: i32) -> Result<(&'static str, &'static str), Failure> {
    if code == codes::NOOK_OK {
        return Ok(("OK", "Success."));
    }
    codes::CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, meaning)| (*name, *meaning))
        .ok_or_else(|| {
            Failure::invalid_argument(format!("{code} is not a status code of this library"))
        })
}

/// Writes the static name of status `code` (e.g. "NOT_FOUND"; "OK" for 0;
/// ASCII, no NUL terminator, never freed) to `*text` and `*len`.
///
/// Statuses: OK; INVALID_ARGUMENT (unknown code, or a NULL pointer).
#[no_mangle]
pub unsafe extern "C" fn nook_code_name(code: i32, text: *mut *const u8, len: *mut usize) -> i32 {
    // SAFETY: `text` and `len` are the caller's out-pointers.
    call_plain("nook_code_name", || unsafe {
        static_text(text, len, lookup(code)?.0)
    })
}

/// Writes the static meaning of status `code` (one sentence from
/// spec/errors.toml saying what happened and what to do; UTF-8, no NUL
/// terminator, never freed) to `*text` and `*len`. Bindings use it as the
/// message when a failed call gave no ERROR handle.
///
/// Statuses: OK; INVALID_ARGUMENT (unknown code, or a NULL pointer).
#[no_mangle]
pub unsafe extern "C" fn nook_code_message(
    code: i32,
    text: *mut *const u8,
    len: *mut usize,
) -> i32 {
    // SAFETY: `text` and `len` are the caller's out-pointers.
    call_plain("nook_code_message", || unsafe {
        static_text(text, len, lookup(code)?.1)
    })
}

/// Writes the number of handles of every kind open in this process to
/// `*count`: a diagnostic for tests, which check that it comes back to where it
/// was (no handle leaked). Other threads may change it at any time.
///
/// Statuses: OK; INVALID_ARGUMENT (`count` is NULL).
#[no_mangle]
pub unsafe extern "C" fn nook_handle_count(count: *mut u64) -> i32 {
    call_plain("nook_handle_count", || {
        args::required(count, "count")?;
        // SAFETY: an out-pointer, valid for writes by the caller's contract
        // (NULL was refused above).
        unsafe { store(count, handles::open_count() as u64) };
        Ok(())
    })
}

/// Closes the handle whose value is `token` (cast to a pointer), whatever its
/// kind, as its own close function would; ignores invalid handles. For Dart's
/// NativeFinalizer (`void f(void *)`); on 32-bit targets every handle value
/// fits in a pointer. Bindings must detach the finalizer when they close the
/// handle explicitly.
#[no_mangle]
pub unsafe extern "C" fn nook_finalize(token: *mut std::ffi::c_void) {
    let handle = token as usize as u64;
    let _ = call_plain("nook_finalize", || {
        let all = [
            Kind::Database,
            Kind::Transaction,
            Kind::Cursor,
            Kind::Buffer,
            Kind::Error,
        ];
        objects::close(handle, "token", &all)
    });
}
