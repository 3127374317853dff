//! Ctrl-C while a REPL command runs: it stops the command, not the REPL.
//!
//! While rustyline reads a line the terminal is in raw mode and Ctrl-C is a
//! key (it cancels the line). While a command runs, Ctrl-C is SIGINT; the
//! REPL installs a handler that only raises a flag, and the long loops (scan,
//! keys, export, import) call [`check`] and stop with ABORTED. An import
//! stopped so keeps its committed batches, like any failed import.
//! Outside the REPL no handler is installed: SIGINT ends the process, as
//! scripts expect.

use crate::error::{CliError, CliResult};
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Turns SIGINT into a flag (REPL only). Fails quietly: without the handler
/// Ctrl-C still ends the process, as it does for any program.
pub fn install() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Forgets a Ctrl-C pressed before the command started.
pub fn clear() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// ABORTED if Ctrl-C was pressed since [`clear`].
pub fn check() -> CliResult {
    if INTERRUPTED.swap(false, Ordering::SeqCst) {
        return Err(CliError::aborted("stopped by Ctrl-C"));
    }
    Ok(())
}
