//! Helpers shared by the integration tests: run the `nook` binary and look at
//! what it did.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The path of the binary under test.
pub const NOOK: &str = env!("CARGO_BIN_EXE_nook");

/// What one run of `nook` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts success and returns stdout without its last newline.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "nook failed: {self:?}");
        self.stdout.strip_suffix('\n').unwrap_or(&self.stdout)
    }

    /// Asserts failure with `code` and an `error[NAME]` line on stderr.
    pub fn fails(&self, code: i32, name: &str) -> &Self {
        assert_eq!(self.code, code, "wrong exit status: {self:?}");
        assert!(
            self.stderr.contains(&format!("error[{name}]: ")),
            "no error[{name}] on stderr: {self:?}"
        );
        self
    }
}

/// A `nook` command with no history file and no terminal.
pub fn command() -> Command {
    let mut cmd = Command::new(NOOK);
    cmd.env("NOOK_HISTORY", "").env_remove("XDG_DATA_HOME");
    cmd
}

/// Runs `nook ARGS` with `stdin` as input.
pub fn run_with(args: &[&str], stdin: &str) -> Run {
    run_bytes(args, stdin.as_bytes())
}

/// Runs `nook ARGS` with the bytes `stdin` as input.
pub fn run_bytes(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nook");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for nook");
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `nook ARGS` with empty stdin.
pub fn run(args: &[&str]) -> Run {
    run_with(args, "")
}

/// A temporary directory with a database path in it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A path in the directory, as a string.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The database path used by most tests.
    pub fn db(&self) -> String {
        self.path("test.nook")
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// Writes `text` to `path`.
pub fn write(path: impl AsRef<Path>, text: impl AsRef<[u8]>) {
    std::fs::write(path, text).unwrap();
}

/// The sorted lines of `text`.
pub fn sorted(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}
