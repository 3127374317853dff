//! The CLI's errors and exit codes: one place that maps every failure to its
//! NAME (printed as `error[NAME]: message`) and its stable exit status.
//!
//! Engine errors exit with 10 + their stable code from `spec/errors.toml`
//! (NOT_FOUND is code 1, so exit 11), which keeps every code distinct, stable
//! and below 100. The CLI adds two names of its own: USAGE (exit 2, as every
//! Unix tool) and ABORTED (exit 3).

use nookdb::ErrorKind;

/// What kind of failure, which fixes the NAME and the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An error of the engine's table (including CLI-side checks that mean the
    /// same thing, such as malformed JSON being INVALID_VALUE).
    Engine(ErrorKind),
    /// The command line or a REPL line is wrong: unknown command, missing argument.
    Usage,
    /// Work was abandoned: the input ended inside a transaction, which was
    /// rolled back, or Ctrl-C stopped a REPL command.
    Aborted,
}

/// Exit status for a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status for ABORTED.
pub const EXIT_ABORTED: i32 = 3;
/// Engine errors exit with this plus their stable code.
pub const ENGINE_EXIT_BASE: i32 = 10;

impl Kind {
    /// The stable NAME, as in `spec/errors.toml` for engine errors.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Engine(kind) => kind.name(),
            Kind::Usage => "USAGE",
            Kind::Aborted => "ABORTED",
        }
    }

    /// The process exit status for this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Engine(kind) => ENGINE_EXIT_BASE + kind.code(),
            Kind::Usage => EXIT_USAGE,
            Kind::Aborted => EXIT_ABORTED,
        }
    }
}

/// A failure of one command: its kind, a message saying what to do, and the
/// operating system's error code when the OS reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
    /// errno (the Win32 code on Windows) behind an IO or DISK_FULL failure.
    pub os_code: Option<i32>,
}

/// `Result` with [`CliError`].
pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// An error of the engine kind `kind`.
    pub fn engine(kind: ErrorKind, message: impl Into<String>) -> CliError {
        CliError {
            kind: Kind::Engine(kind),
            message: message.into(),
            os_code: None,
        }
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            kind: Kind::Usage,
            message: message.into(),
            os_code: None,
        }
    }

    /// Work abandoned (ABORTED).
    pub fn aborted(message: impl Into<String>) -> CliError {
        CliError {
            kind: Kind::Aborted,
            message: message.into(),
            os_code: None,
        }
    }

    /// A malformed value (bad JSON, bad CBOR hex).
    pub fn invalid_value(message: impl Into<String>) -> CliError {
        CliError::engine(ErrorKind::InvalidValue, message)
    }

    /// A malformed argument (bad hex key, bad option).
    pub fn invalid_argument(message: impl Into<String>) -> CliError {
        CliError::engine(ErrorKind::InvalidArgument, message)
    }

    /// An I/O error on a file the CLI reads or writes itself (not the database).
    pub fn io(what: impl std::fmt::Display, err: std::io::Error) -> CliError {
        let kind = if err.raw_os_error() == Some(28) {
            ErrorKind::DiskFull
        } else {
            ErrorKind::Io
        };
        CliError {
            os_code: err.raw_os_error(),
            ..CliError::engine(kind, format!("{what}: {err}"))
        }
    }

    /// The message with a prefix saying where it happened.
    pub fn context(mut self, prefix: impl std::fmt::Display) -> CliError {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// The message with more text after it.
    pub fn suffix(mut self, suffix: impl AsRef<str>) -> CliError {
        self.message.push_str(suffix.as_ref());
        self
    }

    /// The one line printed on stderr: `error[NAME]: message`, ending with
    /// `(os error N)` when the operating system reported the failure (the
    /// message of an OS error usually names it already; then it is not
    /// repeated).
    pub fn line(&self) -> String {
        let line = format!("error[{}]: {}", self.kind.name(), self.message);
        match self.os_code {
            Some(code) if !self.message.contains(&format!("(os error {code})")) => {
                format!("{line} (os error {code})")
            }
            _ => line,
        }
    }
}

impl From<nookdb::Error> for CliError {
    fn from(e: nookdb::Error) -> CliError {
        CliError {
            os_code: e.raw_os_error(),
            ..CliError::engine(e.kind(), e.message())
        }
    }
}

/// Every exit status with its NAME and meaning, in order: the source of the
/// EXIT STATUS section of `nook --help` and of the table in `cli/README.md`.
pub fn exit_table() -> Vec<(i32, &'static str, &'static str)> {
    let mut rows = vec![
        (0, "OK", "success"),
        (
            EXIT_USAGE,
            "USAGE",
            "bad command line or REPL line: unknown command, missing or extra argument",
        ),
        (
            EXIT_ABORTED,
            "ABORTED",
            "work abandoned: input ended inside a transaction (rolled back), or Ctrl-C",
        ),
    ];
    rows.extend(
        ErrorKind::ALL
            .iter()
            .map(|&k| (Kind::Engine(k).exit_code(), k.name(), meaning(k))),
    );
    rows
}

fn meaning(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "the key (or, with --no-create, the database file) does not exist",
        ErrorKind::AlreadyExists => "insert found the key already present",
        ErrorKind::InvalidArgument => "a malformed argument: empty key, bad hex, bad option",
        ErrorKind::InvalidValue => "a malformed value: bad JSON, bad CBOR",
        ErrorKind::KeyTooLarge => "the key is over 4096 bytes",
        ErrorKind::ValueTooLarge => "the value is over 64 MiB",
        ErrorKind::Locked => "another process has the database open",
        ErrorKind::Corrupted => "the file is damaged or not a Nook database",
        ErrorKind::Io => "the operating system reported an I/O error",
        ErrorKind::ReadOnly => "a write on a database opened with --read-only",
        ErrorKind::Busy => "another write transaction is open",
        ErrorKind::Closed => "the database or transaction was already closed",
        ErrorKind::Incompatible => "the file was written by an incompatible version",
        ErrorKind::DiskFull => "the disk is full; nothing was committed",
        ErrorKind::Internal => "a bug in Nook; please report it",
        _ => "see spec/errors.toml",
    }
}

/// The EXIT STATUS section of `nook --help`.
pub fn exit_help() -> String {
    let mut text = String::from("Exit status:\n");
    for (code, name, meaning) in exit_table() {
        text.push_str(&format!("  {code:>3}  {name:<17} {meaning}\n"));
    }
    text.push_str(
        "  Engine errors exit with 10 + their code in spec/errors.toml; the numbers never change.",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_os_error_once() {
        let full = CliError::io("writing out.json", std::io::Error::from_raw_os_error(28));
        assert_eq!(full.kind, Kind::Engine(ErrorKind::DiskFull));
        assert_eq!(full.os_code, Some(28));
        assert_eq!(
            full.line().matches("(os error 28)").count(),
            1,
            "{}",
            full.line()
        );
        // A message that does not name the code gets it appended.
        let bare = CliError {
            os_code: Some(13),
            ..CliError::engine(ErrorKind::Io, "opening db.nook: denied")
        };
        assert_eq!(
            bare.line(),
            "error[IO]: opening db.nook: denied (os error 13)"
        );
        assert_eq!(
            CliError::usage("no such command").line(),
            "error[USAGE]: no such command"
        );
    }

    #[test]
    fn exit_codes_are_distinct_stable_and_below_100() {
        let table = exit_table();
        let mut codes: Vec<i32> = table.iter().map(|r| r.0).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), table.len());
        assert!(codes.iter().all(|&c| (0..100).contains(&c)));
        assert_eq!(Kind::Engine(ErrorKind::NotFound).exit_code(), 11);
        assert_eq!(Kind::Engine(ErrorKind::AlreadyExists).exit_code(), 12);
        assert_eq!(Kind::Engine(ErrorKind::InvalidValue).exit_code(), 14);
        assert_eq!(Kind::Engine(ErrorKind::Locked).exit_code(), 17);
        assert_eq!(Kind::Engine(ErrorKind::Corrupted).exit_code(), 18);
        assert_eq!(Kind::Engine(ErrorKind::Io).exit_code(), 19);
    }

    /// The README's exit status table must list exactly what the binary uses.
    #[test]
    fn readme_documents_every_exit_code() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        for (code, name, _) in exit_table() {
            let row = format!("| {code} | `{name}` |");
            assert!(readme.contains(&row), "cli/README.md lacks the row {row:?}");
        }
    }
}
