//! `nook`: the command-line tool and REPL of the Nook database.
//!
//! A thin layer over the engine (`nookdb::Database`). Map of the modules, in the
//! order a command flows through them:
//!
//! - [`args`]: the grammar (clap): `nook [OPTIONS] <DB> [COMMAND]`, the
//!   database commands, and the REPL-only commands; help text and examples.
//! - [`line`]: the syntax of a REPL/batch line (quoting, rest-of-line values,
//!   multi-line continuation), parsed with the same clap grammar.
//! - [`repl`]: the interactive REPL (rustyline): prompt, history, completion.
//! - [`batch`]: batch mode, commands from a non-terminal stdin.
//! - [`commands`]: [`commands::Session`], which runs every command against the
//!   database or the REPL's open transaction.
//! - [`transfer`]: import and export (JSON lines, CBOR sequences), batching.
//! - [`output`]: keys and values to and from text (`--format`, `--hex-key`,
//!   `--cbor-hex`).
//! - [`value`]: the CBOR data model with its encoder and decoder;
//!   [`json`] (JSON text ↔ value) and [`diag`] (diagnostic notation) print it.
//! - [`error`]: error NAMEs and the stable exit codes.
//! - [`progress`]: progress bars, on a terminal only; [`interrupt`]: Ctrl-C
//!   stops a running REPL command instead of the REPL.
//!
//! `codec_props` (tests only) checks JSON, CBOR and diagnostic notation
//! against each other and against the engine's CBOR validator.
//!
//! This crate has no `unsafe` code and forbids it: everything unsafe lives
//! in the engine (its page cache), behind a safe API.

#![forbid(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

mod args;
mod batch;
mod commands;
mod diag;
mod error;
mod interrupt;
mod json;
mod line;
mod output;
mod progress;
mod repl;
mod transfer;
mod value;

#[cfg(test)]
mod codec_props;

use args::Cli;
use clap::{CommandFactory, Parser};
use commands::{Mode, Session};
use error::EXIT_USAGE;
use std::io::IsTerminal;

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `nook help [COMMAND]`: "help" would otherwise be taken for the DB path.
    if argv.get(1).is_some_and(|a| a == "help") {
        return help(argv.get(2).and_then(|a| a.to_str()));
    }
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            match unknown_command(&e, &argv) {
                // `nook DB help [COMMAND]` works as well as `nook help`.
                Some(word) if word == "help" => {
                    let position = argv.iter().position(|a| a == "help").unwrap_or(0);
                    return help(argv.get(position + 1).and_then(|a| a.to_str()));
                }
                Some(word) => eprintln!("error[USAGE]: unknown command {word:?}; run nook --help for the list of commands"),
                None => eprint!("{}", e.to_string().replacen("error: ", "error[USAGE]: ", 1)),
            }
            return EXIT_USAGE;
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return 0;
        }
    };
    let mode = match (&cli.command, std::io::stdin().is_terminal()) {
        (Some(_), _) => Mode::Single,
        (None, true) => Mode::Repl,
        (None, false) => Mode::Batch,
    };
    let mut session = match Session::open(&cli.db, &cli.options, mode) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("{}", e.line());
            return e.kind.exit_code();
        }
    };
    let mut stdout = std::io::stdout().lock();
    match (&cli.command, mode) {
        (Some(command), _) => match session.run(command, &mut stdout) {
            Ok(()) => 0,
            Err(e) => {
                drop(stdout);
                eprintln!("{}", e.line());
                e.kind.exit_code()
            }
        },
        (None, Mode::Repl) => {
            drop(stdout);
            repl::run(&mut session)
        }
        (None, _) => batch::run(
            &mut session,
            std::io::stdin().lock(),
            &mut stdout,
            cli.options.bail,
        ),
    }
}

/// The word clap rejected, when it stands where the command belongs (the
/// second positional argument, after DB).
fn unknown_command(e: &clap::Error, argv: &[std::ffi::OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let mut positionals = Vec::new();
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--format" {
            args.next(); // its value
        } else if !arg.to_string_lossy().starts_with('-') {
            positionals.push(arg);
        }
    }
    (positionals.get(1).is_some_and(|p| *p == word.as_str())).then(|| word.clone())
}

/// `nook help` and `nook help COMMAND`.
fn help(command: Option<&str>) -> i32 {
    let mut cli = Cli::command();
    match command {
        None => {
            let _ = cli.print_long_help();
            0
        }
        Some(name) => match args::repl_help(Some(name)) {
            Ok(text) => {
                print!("{text}");
                0
            }
            Err(message) => {
                eprintln!("error[USAGE]: {message}");
                EXIT_USAGE
            }
        },
    }
}
