//! The interactive REPL (rustyline): prompt, history, completion, multi-line
//! values, Ctrl-C and Ctrl-D.
//!
//! The prompt names the database and shows an open transaction
//! (`nook app.nook [txn]> `). History persists in
//! `$XDG_DATA_HOME/nook/history` (or `$NOOK_HISTORY`). Tab completes command
//! names, their `--options`, and keys when the database is small enough to
//! list them at once.

use crate::args;
use crate::commands::Session;
use crate::line::{self, Flow};
use nookdb::Database;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::io::Write;
use std::path::PathBuf;

/// Keys are completed only when the database holds at most this many, so
/// that Tab never stalls on a large database.
const MAX_KEYS_TO_COMPLETE: u64 = 10_000;

/// Commands whose first argument is a key.
const KEY_COMMANDS: [&str; 6] = ["get", "put", "insert", "update", "delete", "exists"];

struct ReplHelper {
    db: Database,
    commands: Vec<String>,
    hex_key: bool,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &before[start..];
        let earlier: Vec<&str> = before[..start].split_whitespace().collect();
        let pair = |s: &str| Pair {
            display: s.to_string(),
            replacement: format!("{s} "),
        };
        let candidates = match earlier.as_slice() {
            [] => self
                .commands
                .iter()
                .filter(|c| c.starts_with(word))
                .map(|c| pair(c))
                .collect(),
            ["help"] => self
                .commands
                .iter()
                .filter(|c| c.starts_with(word))
                .map(|c| pair(c))
                .collect(),
            [command, ..] if word.starts_with("--") => args::repl_options(command)
                .into_iter()
                .filter(|o| o.starts_with(word))
                .map(|o| pair(&o))
                .collect(),
            [command] if KEY_COMMANDS.contains(command) => self.keys_starting_with(word),
            _ => Vec::new(),
        };
        Ok((start, candidates))
    }
}

impl ReplHelper {
    /// Keys that start with `word` (plain text keys without spaces only).
    fn keys_starting_with(&self, word: &str) -> Vec<Pair> {
        if self.hex_key || word.starts_with(['"', '\'']) || self.db.len() > MAX_KEYS_TO_COMPLETE {
            return Vec::new();
        }
        let Ok(iter) = self.db.scan_prefix(word.as_bytes()) else {
            return Vec::new();
        };
        let mut keys: Vec<String> = iter
            .filter_map(|pair| pair.ok())
            .filter_map(|(k, _)| String::from_utf8(k).ok())
            .filter(|k| !k.contains(char::is_whitespace) && !k.starts_with(['"', '\'']))
            .take(200)
            .collect();
        keys.sort();
        keys.into_iter()
            .map(|k| Pair {
                replacement: format!("{k} "),
                display: k,
            })
            .collect()
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if line::needs_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}
impl Highlighter for ReplHelper {}
impl Helper for ReplHelper {}

/// Where history is kept: `$NOOK_HISTORY` if set (empty: nowhere), else the
/// user's data directory.
fn history_path() -> Option<PathBuf> {
    match std::env::var_os("NOOK_HISTORY") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::data_dir().map(|d| d.join("nook").join("history")),
    }
}

fn prompt(session: &Session) -> String {
    match session.open_transaction() {
        Some(kind) => format!("nook {} [{kind}]> ", session.label),
        None => format!("nook {}> ", session.label),
    }
}

fn config() -> rustyline::Result<Config> {
    Ok(Config::builder()
        .completion_type(CompletionType::List)
        .history_ignore_space(true)
        .history_ignore_dups(true)?
        .max_history_size(10_000)?
        .build())
}

/// Runs the REPL until `exit` or Ctrl-D; returns the exit status.
pub fn run(session: &mut Session) -> i32 {
    let mut editor: Editor<ReplHelper, DefaultHistory> =
        match config().and_then(Editor::with_config) {
            Ok(editor) => editor,
            Err(e) => {
                eprintln!("error[IO]: cannot start the line editor: {e}");
                return crate::error::Kind::Engine(nookdb::ErrorKind::Io).exit_code();
            }
        };
    editor.set_helper(Some(ReplHelper {
        db: session.database().clone(),
        commands: args::repl_command_names(),
        hex_key: session.codec.hex_key,
    }));
    let history = history_path();
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.load_history(path);
    }
    println!(
        "nook {}: {} ({} keys). Type help for commands; Ctrl-D to exit.",
        env!("CARGO_PKG_VERSION"),
        session.label,
        session.database().len()
    );
    crate::interrupt::install();
    let mut out = std::io::stdout();
    loop {
        match editor.readline(&prompt(session)) {
            Ok(text) => {
                if !text.trim().is_empty() {
                    let _ = editor.add_history_entry(text.as_str());
                    if let Some(path) = &history {
                        // Appending after every line keeps history across a crash.
                        let _ = editor.append_history(path);
                    }
                }
                crate::interrupt::clear();
                let result = line::execute(session, &text, &mut out);
                let _ = out.flush();
                match result {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Exit) => break,
                    Err(e) => eprintln!("{}", e.line()),
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error[IO]: reading the line: {e}");
                break;
            }
        }
    }
    match session.abandon_transaction() {
        Some("txn") => println!("rolled back the open transaction (its writes were not committed)"),
        Some(_) => println!("ended the open read transaction"),
        None => {}
    }
    0
}
