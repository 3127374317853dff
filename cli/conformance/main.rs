//! The CLI's conformance runner: runs `spec/conformance/*.nkc` through the
//! `nook` binary and prints `cli: N passed, M failed[, K skipped]`.
//!
//! Usage: `conformance NOOK_BINARY CASE_DIR [--verbose]` (see `cli/conformance.sh`).
//! Map: [`nkc`] parses the case format; [`runner`] drives `nook` in batch mode.

mod nkc;
mod runner;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose" || a == "-v");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [bin, dir] = paths.as_slice() else {
        eprintln!("usage: conformance NOOK_BINARY CASE_DIR [--verbose]");
        return ExitCode::from(2);
    };
    match runner::run_dir(&PathBuf::from(bin), &PathBuf::from(dir), verbose) {
        Ok(totals) => {
            println!("{}", runner::summary(&totals));
            if totals.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("cli: cannot run the suite: {e}");
            println!("cli: 0 passed, 1 failed");
            ExitCode::FAILURE
        }
    }
}
