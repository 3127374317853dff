//! The command-line and REPL grammar, declared once with clap.
//!
//! [`Cli`] is `nook [OPTIONS] <DB> [COMMAND]`. [`Command`] is the set of
//! database commands shared by the command line, the REPL and batch mode;
//! [`ReplLine`] adds the commands that only make sense in a session (`begin`,
//! `commit`, `rollback`, `help`, `exit`, `echo`). The REPL parses each line
//! with [`ReplLine`], so `help COMMAND` shows the same text everywhere.

use crate::output::Format;
use clap::{Args, Parser, Subcommand};

const ABOUT: &str = "The command-line tool and REPL of the Nook key-value database";

const LONG_ABOUT: &str = "\
The command-line tool and REPL of the Nook key-value database.

DB is a database file (created if absent, unless --no-create) or :memory:.
With a COMMAND, nook runs it and exits. Without one, it starts an interactive
REPL when stdin is a terminal, and otherwise reads commands from stdin, one per
line, with the REPL's syntax (batch mode).

Keys are UTF-8 text (hex with --hex-key). Values are JSON text, stored as CBOR:
integers as CBOR integers over the full 64-bit range, floats as floats, text,
arrays, maps, true, false and null. On the command line a VALUE of - is read
from stdin and @FILE from a file; --cbor-hex takes hex of raw CBOR instead.
In the REPL and batch mode a value is the rest of the line, and may continue on
the next lines while brackets are open.

Values print as one line of JSON, or as CBOR diagnostic notation when JSON
cannot show them (byte strings h'..', tags, non-text map keys, undefined, NaN).

Batch mode: every successful write prints OK; a failing command prints one line
`error[NAME]: message` on stderr and the batch goes on (or stops, with --bail);
the exit status is that of the first error. Lines starting with # are comments.";

const EXAMPLES: &str = "\
Examples:
  nook app.nook put user:1 '{\"name\": \"Ada\", \"born\": 1815}'
  nook app.nook get user:1                 # {\"name\":\"Ada\",\"born\":1815}
  nook app.nook get user:1 --format diag   # {\"name\": \"Ada\", \"born\": 1815}
  nook app.nook keys --prefix user:
  echo '[1, 2, 3]' | nook app.nook put list -
  nook app.nook export > dump.jsonl && nook copy.nook import dump.jsonl
  printf 'put a 1\\nput b 2\\ncount\\n' | nook app.nook     # OK, OK, 2
  nook app.nook                            # the REPL
  nook help put                            # help and examples for one command";

/// `nook [OPTIONS] <DB> [COMMAND]`.
#[derive(Debug, Parser)]
#[command(
    name = "nook",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = "Run `nook --help` for formats, batch mode and exit codes; `nook help COMMAND` for a command.",
    after_long_help = long_help_footer(),
    subcommand_value_name = "COMMAND",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// The database file (created if absent) or :memory:
    #[arg(value_name = "DB")]
    pub db: String,

    #[command(flatten)]
    pub options: GlobalOptions,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options that apply to every command, before or after it.
#[derive(Clone, Debug, Default, Args)]
pub struct GlobalOptions {
    /// How values are printed
    #[arg(long, global = true, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Keys are given and printed as hex (for binary keys)
    #[arg(long, global = true)]
    pub hex_key: bool,

    /// Values are given as hex of raw CBOR instead of JSON
    #[arg(long, global = true)]
    pub cbor_hex: bool,

    /// Fail with NOT_FOUND instead of creating a missing database file
    #[arg(long, global = true)]
    pub no_create: bool,

    /// Open the database read-only (writes fail with READ_ONLY)
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Batch mode: stop at the first failing command
    #[arg(long, global = true)]
    pub bail: bool,
}

/// The database commands, the same on the command line, in the REPL and in
/// batch mode.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Print the value of KEY (NOT_FOUND if absent)
    #[command(
        after_help = "Examples:\n  get user:1\n  get user:1 --format pretty\n  get 00ff --hex-key --format hex"
    )]
    Get {
        /// The key: text, or hex with --hex-key
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Store VALUE under KEY, inserting or replacing
    #[command(
        after_help = "VALUE is JSON; on the command line - reads it from stdin and @FILE from a file.\n\
        Examples:\n  put user:1 {\"name\": \"Ada\", \"tags\": [\"math\"]}\n  put counter 18446744073709551615\n  put blob 43010203 --cbor-hex"
    )]
    Put {
        /// The key: text, or hex with --hex-key
        #[arg(allow_hyphen_values = true)]
        key: String,
        /// JSON (hex CBOR with --cbor-hex); on the command line - reads stdin, @FILE a file
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Store VALUE under KEY only if KEY is absent (ALREADY_EXISTS otherwise)
    #[command(after_help = "Examples:\n  insert user:2 {\"name\": \"Grace\"}")]
    Insert {
        /// The key: text, or hex with --hex-key
        #[arg(allow_hyphen_values = true)]
        key: String,
        /// JSON (hex CBOR with --cbor-hex); on the command line - reads stdin, @FILE a file
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Replace the value of KEY only if KEY is present (NOT_FOUND otherwise)
    #[command(after_help = "Examples:\n  update user:2 {\"name\": \"Grace Hopper\"}")]
    Update {
        /// The key: text, or hex with --hex-key
        #[arg(allow_hyphen_values = true)]
        key: String,
        /// JSON (hex CBOR with --cbor-hex); on the command line - reads stdin, @FILE a file
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Remove KEY (NOT_FOUND if absent)
    #[command(after_help = "Examples:\n  delete user:2")]
    Delete {
        /// The key: text, or hex with --hex-key
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Print true if KEY is present, false if not
    #[command(after_help = "Examples:\n  exists user:1")]
    Exists {
        /// The key: text, or hex with --hex-key
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Print the number of keys
    #[command(after_help = "Examples:\n  count\n  nook app.nook count")]
    Count,
    /// Print every key (with --prefix, those starting with P), one per line
    #[command(
        after_help = "Keys print in the engine's order (unspecified; not sorted).\n\
        A key that is not printable UTF-8 prints as h'hex' (use --hex-key for exact bytes).\n\
        Examples:\n  keys\n  keys --prefix user:"
    )]
    Keys {
        /// Only keys that start with P
        #[arg(long, value_name = "P", allow_hyphen_values = true)]
        prefix: Option<String>,
    },
    /// Print every pair as KEY<TAB>VALUE, one per line (with --prefix, keys starting with P)
    #[command(
        after_help = "Pairs print in the engine's order (unspecified; not sorted).\n\
        Examples:\n  scan --prefix user:\n  scan --format diag"
    )]
    Scan {
        /// Only pairs whose key starts with P
        #[arg(long, value_name = "P", allow_hyphen_values = true)]
        prefix: Option<String>,
    },
    /// Load pairs from FILE (- for stdin): JSON lines, or a CBOR sequence with --cbor
    #[command(after_help = "\
JSON lines: one object per line, {\"key\": \"text\", \"value\": JSON}; a binary key is
written \"key_hex\": \"00ff\" and a value JSON cannot hold \"value_hex\": \"<CBOR hex>\".
CBOR sequence (--cbor): one 2-element array per pair, [key (byte or text string), value].
Existing keys are replaced. Rows are committed in transactions of --batch-size rows:
a failure keeps the batches before it and nothing of the failing batch, so no row is
ever half-applied and running the import again is safe.
Examples:\n  import dump.jsonl\n  import dump.cbor --cbor\n  cat dump.jsonl | nook app.nook import -")]
    Import {
        /// The input file, or - for stdin
        #[arg(value_name = "FILE|-")]
        file: String,
        /// The input is a CBOR sequence of [key, value] arrays
        #[arg(long)]
        cbor: bool,
        /// Rows per transaction
        #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
        batch_size: u64,
    },
    /// Write every pair to FILE (default stdout): JSON lines, or a CBOR sequence with --cbor
    #[command(
        after_help = "The format is the one import reads; export then import gives back the same bytes.\n\
        Examples:\n  export > dump.jsonl\n  export dump.cbor --cbor"
    )]
    Export {
        /// The output file, or - for stdout (the default)
        #[arg(value_name = "FILE|-")]
        file: Option<String>,
        /// Write a CBOR sequence of [key, value] arrays
        #[arg(long)]
        cbor: bool,
    },
    /// Verify the whole file (checksums, structure); CORRUPTED names the first bad page
    #[command(
        after_help = "Reads every page; takes a while on a large file (a spinner shows on a terminal).\n\
        Exit status 18 (CORRUPTED) when the file is damaged.\nExamples:\n  nook app.nook check && echo healthy"
    )]
    Check,
    /// Print figures about the database, one `name value` per line
    #[command(after_help = "Examples:\n  nook app.nook stats | grep file_size")]
    Stats,
    /// Rewrite the file without free pages and print the sizes before and after
    #[command(after_help = "Examples:\n  nook app.nook compact")]
    Compact,
    /// Write a consistent copy of the database to DEST
    #[command(after_help = "Examples:\n  backup /backups/app-2026-01-01.nook")]
    Backup {
        /// The file to write
        dest: std::path::PathBuf,
    },
}

/// One line of the REPL or of batch mode.
#[derive(Debug, Parser)]
#[command(
    name = "nook",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true,
    subcommand_value_name = "COMMAND"
)]
pub struct ReplLine {
    #[command(subcommand)]
    pub command: ReplCommand,
}

/// The commands of the REPL and batch mode.
#[derive(Debug, Subcommand)]
pub enum ReplCommand {
    #[command(flatten)]
    Db(Command),
    /// Open a transaction: the next reads and writes go to it until commit or rollback
    #[command(after_help = "`begin read` opens a read-only snapshot instead.\n\
        Examples:\n  begin\n  put a 1\n  put b 2\n  commit")]
    Begin {
        /// write (the default) or read
        #[arg(value_parser = ["write", "read"])]
        mode: Option<String>,
    },
    /// Make the open transaction's writes durable and visible
    #[command(after_help = "Examples:\n  begin\n  put a 1\n  commit")]
    Commit,
    /// Discard the open transaction's writes
    #[command(after_help = "Examples:\n  begin\n  delete a\n  rollback      # a is still there")]
    Rollback,
    /// List the commands, or explain one
    Help {
        /// The command to explain
        command: Option<String>,
    },
    /// Leave (an open transaction is rolled back)
    #[command(alias = "quit")]
    Exit,
    /// Print TEXT (the rest of the line), e.g. to mark places in batch output
    Echo {
        /// The text to print
        #[arg(allow_hyphen_values = true)]
        text: Option<String>,
    },
}

fn long_help_footer() -> String {
    format!(
        "{EXAMPLES}\n\nREPL: Tab completes commands and keys; history is kept in \
         $XDG_DATA_HOME/nook/history (set NOOK_HISTORY to another file, or to empty to keep none);\n\
         Ctrl-C cancels the line, or stops a running command; Ctrl-D exits, rolling back an open transaction.\n\n{}",
        crate::error::exit_help()
    )
}

/// The names of every REPL command, for completion and for "unknown command".
pub fn repl_command_names() -> Vec<String> {
    use clap::CommandFactory;
    let cmd = ReplLine::command();
    let mut names: Vec<String> = cmd
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(str::to_string))
        })
        .collect();
    names.sort();
    names
}

/// The long options of one REPL command (`--prefix`, `--cbor`, ...), for completion.
pub fn repl_options(command: &str) -> Vec<String> {
    use clap::CommandFactory;
    let mut root = ReplLine::command();
    let Some(sub) = root.find_subcommand_mut(command) else {
        return Vec::new();
    };
    sub.get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|long| *long != "help")
        .map(|long| format!("--{long}"))
        .collect()
}

/// The help of one command (`help COMMAND`), or the list of commands.
pub fn repl_help(command: Option<&str>) -> Result<String, String> {
    use clap::CommandFactory;
    let mut root = ReplLine::command();
    match command {
        Some(name) => {
            let sub = root
                .find_subcommand_mut(name)
                .ok_or_else(|| format!("there is no command {name:?}; type help for the list"))?;
            Ok(sub.render_long_help().to_string())
        }
        None => {
            let mut text = String::from("Commands:\n");
            for sub in root.get_subcommands() {
                let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
                text.push_str(&format!("  {:<9} {about}\n", sub.get_name()));
            }
            text.push_str(
                "\nA value is JSON and the rest of the line; it may span lines while brackets are open.\n\
                 Quote keys with spaces: get \"my key\". Type help COMMAND for details and examples.",
            );
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
        ReplLine::command().debug_assert();
    }

    #[test]
    fn every_command_has_help() {
        for name in repl_command_names() {
            assert!(repl_help(Some(&name)).is_ok(), "{name}");
        }
        assert!(repl_help(Some("nope")).is_err());
        assert_eq!(repl_options("import"), ["--cbor", "--batch-size"]);
        assert!(repl_options("nope").is_empty());
        for name in repl_command_names() {
            if ["help", "exit", "quit", "echo"].contains(&name.as_str()) {
                continue;
            }
            let text = repl_help(Some(&name)).unwrap();
            assert!(text.contains("Examples:"), "help {name} has no examples");
        }
        assert!(repl_help(None).unwrap().contains("rollback"));
    }
}
