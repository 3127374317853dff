//! Error plumbing: [`Failure`] (a status code and a message), the entry-point
//! wrapper [`call`] that catches panics and publishes a failure as an ERROR
//! handle through the caller's `error` out-parameter, and the functions that
//! read and release ERROR handles.
//!
//! No thread-local "last error": the detail of a failure reaches the caller
//! through the failing call itself, because Go goroutines and Dart isolates
//! move between OS threads between two calls.

use crate::codes;
use crate::handles::{self, Kind, Object};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why a call failed: a status code from spec/errors.toml and a message that
/// says what is wrong and what to do.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: i32,
    pub message: String,
    /// The operating system's error code (errno), 0 when there is none.
    pub os_code: i32,
    /// An expected outcome that the status alone explains (NOT_FOUND from a
    /// lookup, BUFFER_TOO_SMALL): no ERROR handle is created for it.
    pub quiet: bool,
}

impl Failure {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            os_code: 0,
            quiet: false,
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Failure {
        Failure::new(codes::NOOK_INVALID_ARGUMENT, message)
    }

    pub(crate) fn invalid_handle(message: impl Into<String>) -> Failure {
        Failure::new(codes::NOOK_INVALID_HANDLE, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Failure {
        Failure::new(codes::NOOK_INTERNAL, message)
    }

    pub(crate) fn closed(message: impl Into<String>) -> Failure {
        Failure::new(codes::NOOK_CLOSED, message)
    }

    /// An outcome the status fully explains; see [`Failure::quiet`].
    pub(crate) fn quiet(code: i32) -> Failure {
        Failure {
            code,
            message: String::new(),
            os_code: 0,
            quiet: true,
        }
    }

    /// A lock was poisoned: an earlier call panicked while holding it.
    pub(crate) fn poisoned(what: &str) -> Failure {
        Failure::internal(format!(
            "an earlier call panicked while using this {what}, which may be inconsistent; \
             close it (this is a bug in Nook, please report it)"
        ))
    }

    fn from_panic(function: &str, payload: Box<dyn Any + Send>) -> Failure {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Failure::internal(format!(
            "{function} panicked ({detail}); this is a bug in Nook, please report it"
        ))
    }
}

impl From<engine::Error> for Failure {
    fn from(err: engine::Error) -> Failure {
        Failure {
            os_code: err.raw_os_error().unwrap_or(0),
            ..Failure::new(err.kind().code(), err.message())
        }
    }
}

/// Writes `value` through a caller's out-pointer when it is not NULL.
///
/// # Safety
/// `ptr` is NULL or valid for a write of `T` (alignment is not required).
pub(crate) unsafe fn store<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: not NULL, so valid for an unaligned write (our contract).
        unsafe { ptr.write_unaligned(value) };
    }
}

/// The `error` out-parameter of an exported function: NULL, or where [`call`]
/// writes 0 or the ERROR handle of the failure.
#[derive(Clone, Copy)]
pub(crate) struct ErrorOut(*mut u64);

impl ErrorOut {
    /// # Safety
    /// `ptr` is NULL or valid for a write of a `u64` (alignment is not
    /// required) until the [`call`] it is given to returns.
    pub(crate) unsafe fn new(ptr: *mut u64) -> ErrorOut {
        ErrorOut(ptr)
    }
}

/// Runs the body of the exported function `function`: catches any panic
/// (INTERNAL), turns the result into a status, and sets `*error` (when `error`
/// is not NULL) to 0 on success or to a new ERROR handle on failure (0 for a
/// quiet failure, or when no handle could be made).
///
/// The `error` out-pointer's validity is the contract of [`ErrorOut::new`].
pub(crate) fn call(
    function: &'static str,
    error: ErrorOut,
    body: impl FnOnce() -> Result<(), Failure>,
) -> i32 {
    let ErrorOut(error) = error;
    let result = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Failure::from_panic(function, payload)));
    match result {
        Ok(()) => {
            // SAFETY: NULL or writable: the contract of `ErrorOut::new`.
            unsafe { store(error, 0) };
            codes::NOOK_OK
        }
        Err(failure) => {
            let code = failure.code;
            if !error.is_null() {
                // SAFETY: writable: the contract of `ErrorOut::new`.
                unsafe { store(error, publish(function, failure)) };
            }
            code
        }
    }
}

/// Runs the body of a function that has no `error` out-parameter (accessors,
/// close functions): catches panics and returns the status only.
pub(crate) fn call_plain(
    function: &'static str,
    body: impl FnOnce() -> Result<(), Failure>,
) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Failure::from_panic(function, payload)));
    match result {
        Ok(()) => codes::NOOK_OK,
        Err(failure) => failure.code,
    }
}

/// Makes an ERROR handle for `failure`; 0 when it is quiet or the table is full.
fn publish(function: &str, failure: Failure) -> u64 {
    if failure.quiet {
        return 0;
    }
    let message = format!("{function}: {}", failure.message).into_boxed_str();
    // A panic here (out of memory while formatting) must not cross the boundary.
    catch_unwind(AssertUnwindSafe(|| {
        handles::insert(Object::Error {
            code: failure.code,
            message,
            os_code: failure.os_code,
        })
        .unwrap_or(0)
    }))
    .unwrap_or(0)
}

/// Writes the status code of the failure `error` to `*code`.
///
/// Statuses: OK; INVALID_HANDLE (`error` is not an open ERROR handle);
/// INVALID_ARGUMENT (`code` is NULL).
#[no_mangle]
pub unsafe extern "C" fn nook_error_code(error: u64, code: *mut i32) -> i32 {
    call_plain("nook_error_code", || {
        if code.is_null() {
            return Err(Failure::invalid_argument("code is NULL"));
        }
        let value = handles::with(error, "error", &[Kind::Error], |o| match o {
            Object::Error { code, .. } => *code,
            _ => unreachable!("kind checked"),
        })?;
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(code, value) };
        Ok(())
    })
}

/// Writes the operating system's error code behind the failure `error` to
/// `*os_code`: `errno` on POSIX systems (e.g. 28 ENOSPC, 13 EACCES, 5 EIO),
/// the Win32 error code on Windows; 0 when the failure did not come from the
/// operating system. Since ABI 1.1.
///
/// Statuses: OK; INVALID_HANDLE (`error` is not an open ERROR handle);
/// INVALID_ARGUMENT (`os_code` is NULL).
#[no_mangle]
pub unsafe extern "C" fn nook_error_os_code(error: u64, os_code: *mut i32) -> i32 {
    call_plain("nook_error_os_code", || {
        if os_code.is_null() {
            return Err(Failure::invalid_argument("os_code is NULL"));
        }
        let value = handles::with(error, "error", &[Kind::Error], |o| match o {
            Object::Error { os_code, .. } => *os_code,
            _ => unreachable!("kind checked"),
        })?;
        // SAFETY: not NULL (checked above), so writable by the caller's
        // contract.
        unsafe { store(os_code, value) };
        Ok(())
    })
}

/// Copies the UTF-8 message of the failure `error` (no NUL terminator) into
/// `buf` (capacity `cap` bytes) and writes its length to `*len`. When `cap` is
/// smaller than the message, nothing is copied, `*len` receives the needed
/// length and the status is BUFFER_TOO_SMALL. `buf` may be NULL when `cap` is 0.
///
/// Statuses: OK; BUFFER_TOO_SMALL; INVALID_HANDLE; INVALID_ARGUMENT (`len` is
/// NULL, or `buf` is NULL with `cap` > 0).
#[no_mangle]
pub unsafe extern "C" fn nook_error_message(
    error: u64,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
) -> i32 {
    call_plain("nook_error_message", || {
        if len.is_null() {
            return Err(Failure::invalid_argument("len is NULL"));
        }
        if buf.is_null() && cap > 0 {
            return Err(Failure::invalid_argument(format!(
                "buf is NULL but cap is {cap}"
            )));
        }
        handles::with(error, "error", &[Kind::Error], |o| {
            let Object::Error { message, .. } = o else {
                unreachable!("kind checked")
            };
            // SAFETY: not NULL (checked above), so writable by the caller's
            // contract.
            unsafe { store(len, message.len()) };
            if message.len() > cap {
                return Err(Failure::quiet(codes::NOOK_BUFFER_TOO_SMALL));
            }
            // SAFETY: buf holds cap >= message.len() writable bytes (caller
            // contract), or the message is empty and buf may be NULL.
            unsafe { crate::args::copy_out(message.as_bytes(), buf) };
            Ok(())
        })?
    })
}

/// Releases the ERROR handle `error`.
///
/// Statuses: OK; INVALID_HANDLE (`error` is not an open ERROR handle).
#[no_mangle]
pub unsafe extern "C" fn nook_error_close(error: u64) -> i32 {
    call_plain("nook_error_close", || {
        handles::remove(error, "error", &[Kind::Error]).map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_of(error: u64) -> String {
        let mut buf = vec![0u8; 512];
        let mut len = 0;
        // SAFETY: `buf` holds `buf.len()` bytes; `len` is a local.
        let status = unsafe { nook_error_message(error, buf.as_mut_ptr(), buf.len(), &mut len) };
        assert_eq!(status, codes::NOOK_OK);
        buf.truncate(len);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_panic_becomes_internal_with_an_error_handle() {
        let mut error = 0;
        // SAFETY: `error` is a local, alive across the call.
        let status = call("nook_test", unsafe { ErrorOut::new(&mut error) }, || {
            panic!("boom")
        });
        assert_eq!(status, codes::NOOK_INTERNAL);
        assert_ne!(error, 0);
        let message = message_of(error);
        assert!(
            message.starts_with("nook_test: nook_test panicked (boom)"),
            "{message}"
        );
        // SAFETY: no pointer arguments.
        assert_eq!(unsafe { nook_error_close(error) }, codes::NOOK_OK);
        assert_eq!(
            call_plain("nook_test", || panic!("again")),
            codes::NOOK_INTERNAL
        );
    }

    #[test]
    fn success_sets_error_to_zero_and_quiet_failures_make_no_handle() {
        let mut error = 77;
        // SAFETY (every `ErrorOut::new` below): `error` is a local, alive
        // across the call, or NULL.
        // SAFETY: the arguments are live locals and valid handles, as the ABI contract asks.
        let out = |error: &mut u64| unsafe { ErrorOut::new(error) };
        assert_eq!(
            call("nook_test", out(&mut error), || Ok(())),
            codes::NOOK_OK
        );
        assert_eq!(error, 0);
        error = 77;
        let status = call("nook_test", out(&mut error), || {
            Err(Failure::quiet(codes::NOOK_NOT_FOUND))
        });
        assert_eq!((status, error), (codes::NOOK_NOT_FOUND, 0));
        let status = call("nook_test", out(&mut error), || {
            Err(Failure::new(codes::NOOK_READ_ONLY, "no writes here"))
        });
        assert_eq!(status, codes::NOOK_READ_ONLY);
        assert_eq!(message_of(error), "nook_test: no writes here");
        let mut code = 0;
        // SAFETY: `code` is a local.
        assert_eq!(unsafe { nook_error_code(error, &mut code) }, codes::NOOK_OK);
        assert_eq!(code, codes::NOOK_READ_ONLY);
        // SAFETY: no pointer arguments.
        assert_eq!(unsafe { nook_error_close(error) }, codes::NOOK_OK);
        // A NULL error pointer is allowed.
        // SAFETY: NULL is allowed.
        let null = unsafe { ErrorOut::new(std::ptr::null_mut()) };
        let status = call("nook_test", null, || Err(Failure::closed("x")));
        assert_eq!(status, codes::NOOK_CLOSED);
    }
}
