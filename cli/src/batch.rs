//! Batch mode: commands from stdin (not a terminal), one per line.
//!
//! Every command's output is flushed before the next is read, and a failure
//! prints one `error[NAME]: line N: message` line on stderr; the batch goes
//! on unless `--bail`. The exit status is that of the first error. Input that
//! ends inside a transaction rolls it back and fails with ABORTED, so a
//! script never loses writes silently.

use crate::commands::Session;
use crate::error::CliError;
use crate::line::{self, Flow};
use std::io::{BufRead, Write};

/// Runs every command of `input`; returns the exit status.
pub fn run(session: &mut Session, input: impl BufRead, out: &mut dyn Write, bail: bool) -> i32 {
    let mut first_error = None;
    let mut report = |e: &CliError, out: &mut dyn Write| {
        let _ = out.flush();
        eprintln!("{}", e.line());
        *first_error.get_or_insert(e.kind.exit_code())
    };
    let mut pending = String::new();
    let mut start_line = 0;
    for (index, read) in input.split(b'\n').enumerate() {
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(e) => {
                report(&CliError::io("reading commands from stdin", e), out);
                return first_error.unwrap_or(0);
            }
        };
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
        let Ok(text) = std::str::from_utf8(bytes) else {
            let e = CliError::invalid_argument(
                "the line is not valid UTF-8; write binary keys with --hex-key",
            );
            report(&e.context(format!("line {}", index + 1)), out);
            if bail {
                break;
            }
            continue;
        };
        if pending.is_empty() {
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            start_line = index + 1;
        } else {
            pending.push('\n');
        }
        pending.push_str(text);
        if line::needs_more(&pending) {
            continue;
        }
        let result = line::execute(session, &pending, out);
        pending.clear();
        let _ = out.flush();
        match result {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit) => break,
            Err(e) => {
                report(&e.context(format!("line {start_line}")), out);
                if bail {
                    break;
                }
            }
        }
    }
    if !pending.is_empty() {
        let e = CliError::invalid_value(format!(
            "line {start_line}: the input ended inside a value (a bracket is never closed); nothing of it was stored"
        ));
        report(&e, out);
    }
    // A read transaction left open loses nothing; a write one does.
    if session.abandon_transaction() == Some("txn") {
        let e = CliError::aborted(
            "the input ended inside a transaction, which was rolled back; end it with commit",
        );
        report(&e, out);
    }
    first_error.unwrap_or(0)
}
