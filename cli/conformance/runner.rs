//! Runs conformance cases through the `nook` binary in batch mode.
//!
//! Each case gets a `nook --hex-key --cbor-hex --format hex DB` process fed
//! one REPL line per step; after each line the runner sends `echo` with a
//! marker and reads the merged stdout/stderr up to it, so it knows exactly
//! which output (or `error[NAME]` line) belongs to the step. `reopen` ends
//! the process and starts another on the same file.
//!
//! The REPL has one transaction at a time, and while it is open every step
//! goes to it; cases that need more (two transactions, a database step beside
//! an open transaction, a step on a finished one, a step after `close`) or
//! that carry the `large` tag are skipped and counted as skipped.

use crate::nkc::{bytes_arg, Case, Step};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// Marks the end of a step's output.
const MARKER: &str = "<<nkc-step-done>>";
/// How long one step may take before the case fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// How a case went.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Why the runner cannot express a case through one REPL session, if it cannot.
pub fn unsupported(case: &Case) -> Option<String> {
    if case.tags.iter().any(|t| t == "large") {
        return Some("tag large: arguments over 1 MiB".into());
    }
    let mut open: Option<&str> = None;
    let mut closed = false;
    for step in &case.steps {
        let line = step.line;
        if closed && !matches!(step.op.as_str(), "reopen" | "open") {
            return Some(format!("line {line}: a step after close"));
        }
        if let Some(name) = &step.txn {
            if open != Some(name.as_str()) {
                return Some(format!(
                    "line {line}: a step on transaction {name}, which is not the open one"
                ));
            }
            continue;
        }
        match step.op.as_str() {
            "begin_read" | "begin_write" if open.is_some() => {
                return Some(format!(
                    "line {line}: a second transaction while one is open"
                ))
            }
            // A begin expected to fail (READ_ONLY) opens nothing.
            "begin_read" | "begin_write" if !step.statuses.iter().any(|s| s == "OK") => {}
            "begin_read" | "begin_write" => open = step.args.first().map(String::as_str),
            "commit" | "rollback" | "end" => {
                if open.is_none() || open != step.args.first().map(String::as_str) {
                    return Some(format!("line {line}: ends a transaction that is not open"));
                }
                open = None;
            }
            _ if open.is_some() => {
                return Some(format!(
                    "line {line}: a database step while a transaction is open"
                ))
            }
            "close" => closed = true,
            "reopen" | "open" => closed = false,
            _ => {}
        }
    }
    None
}

/// A running `nook` in batch mode.
struct Nook {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

/// The reply to one step: its status and output lines.
struct Reply {
    status: String,
    output: Vec<String>,
}

impl Nook {
    fn start(bin: &Path, db: &str, read_only: bool) -> Result<Nook, String> {
        // `sh` merges stderr into stdout, so error lines arrive in order with
        // the output (nook flushes stdout before it writes an error).
        let mut command = Command::new("sh");
        command.args(["-c", "exec \"$0\" \"$@\" 2>&1"]).arg(bin);
        command.args(["--hex-key", "--cbor-hex", "--format", "hex", db]);
        if read_only {
            command.arg("--read-only");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .env("NOOK_HISTORY", "")
            .spawn()
            .map_err(|e| format!("cannot run {} through sh: {e}", bin.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Nook {
            child,
            stdin,
            lines: rx,
        })
    }

    fn send(&mut self, line: &str) -> Result<Reply, String> {
        writeln!(self.stdin, "{line}\necho {MARKER}")
            .and_then(|_| self.stdin.flush())
            .map_err(|e| format!("`{line}`: nook stopped reading ({e})"))?;
        let mut status = "OK".to_string();
        let mut output = Vec::new();
        loop {
            let got = self
                .lines
                .recv_timeout(STEP_TIMEOUT)
                .map_err(|_| {
                    format!("`{line}`: no reply from nook (it hung or exited; status so far {status}, output {output:?})")
                })?;
            if got == MARKER {
                return Ok(Reply { status, output });
            }
            match got.strip_prefix("error[").and_then(|r| r.split_once(']')) {
                Some((name, _)) if status == "OK" => status = name.to_string(),
                Some(_) => {}
                None => output.push(got),
            }
        }
    }

    fn stop(mut self) {
        let _ = writeln!(self.stdin, "exit");
        drop(self.stdin);
        let _ = self.child.wait();
    }
}

/// Runs one case; `dir` holds its temporary database file.
pub fn run_case(bin: &Path, case: &Case, dir: &Path) -> Outcome {
    if let Some(why) = unsupported(case) {
        return Outcome::Skipped(why);
    }
    let path = dir.join(format!("{}.nook", case.name));
    let _ = std::fs::remove_file(&path);
    let mut runner = CaseRunner {
        bin,
        path,
        nook: None,
        db: String::new(),
    };
    let outcome = (|| {
        for step in &case.steps {
            let (status, result) = runner
                .step(step)
                .map_err(|e| format!("line {}: {e}", step.line))?;
            if !step.statuses.contains(&status) {
                return Err(format!(
                    "line {}: `{}` gave {status}, expected {}",
                    step.line,
                    describe(step),
                    step.statuses.join("|")
                ));
            }
            if let (Some(want), "OK") = (&step.result, status.as_str()) {
                let got = result.unwrap_or_default();
                if &got != want {
                    return Err(format!(
                        "line {}: `{}` gave {got:?}, expected {want:?}",
                        step.line,
                        describe(step)
                    ));
                }
            }
        }
        Ok(())
    })();
    if let Some(nook) = runner.nook.take() {
        nook.stop();
    }
    let _ = std::fs::remove_file(&runner.path);
    match outcome {
        Ok(()) => Outcome::Passed,
        Err(e) => Outcome::Failed(e),
    }
}

fn describe(step: &Step) -> String {
    let prefix = step
        .txn
        .as_ref()
        .map(|t| format!("{t}: "))
        .unwrap_or_default();
    format!("{prefix}{} {}", step.op, step.args.join(" "))
        .trim_end()
        .to_string()
}

struct CaseRunner<'a> {
    bin: &'a Path,
    path: PathBuf,
    nook: Option<Nook>,
    db: String,
}

/// A byte-string argument as the REPL takes it with --hex-key/--cbor-hex.
fn hex_arg(arg: &str) -> Result<String, String> {
    let bytes = bytes_arg(arg)?;
    if bytes.is_empty() {
        return Ok("\"\"".into());
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl CaseRunner<'_> {
    fn nook(&mut self) -> Result<&mut Nook, String> {
        self.nook
            .as_mut()
            .ok_or_else(|| "no database is open (the case must start with open)".into())
    }

    fn send(&mut self, line: &str) -> Result<Reply, String> {
        self.nook()?.send(line)
    }

    fn arg(step: &Step, i: usize) -> Result<String, String> {
        hex_arg(
            step.args
                .get(i)
                .ok_or_else(|| format!("{} needs argument {}", step.op, i + 1))?,
        )
    }

    /// Runs one step: (status, result text).
    fn step(&mut self, step: &Step) -> Result<(String, Option<String>), String> {
        let op = step.op.as_str();
        let reply = match op {
            "open" => {
                self.db = match step.args.first().map(String::as_str) {
                    Some("file") => self.path.display().to_string(),
                    _ => ":memory:".into(),
                };
                self.nook = Some(Nook::start(self.bin, &self.db, false)?);
                return Ok(("OK".into(), None));
            }
            "reopen" | "close" => {
                if let Some(nook) = self.nook.take() {
                    nook.stop();
                }
                if op == "reopen" {
                    let read_only = step.args.first().is_some_and(|a| a == "read_only");
                    self.nook = Some(Nook::start(self.bin, &self.db, read_only)?);
                }
                return Ok(("OK".into(), None));
            }
            "get" | "count" | "check" | "compact" | "commit" | "rollback" => {
                let line = match step.args.first() {
                    Some(_) if op == "get" => format!("get {}", Self::arg(step, 0)?),
                    _ => op.to_string(),
                };
                let reply = self.send(&line)?;
                let result = reply.output.first().cloned();
                return Ok((
                    reply.status,
                    result.filter(|_| matches!(op, "get" | "count")),
                ));
            }
            "end" => self.send("rollback")?,
            "begin_read" => self.send("begin read")?,
            "begin_write" => self.send("begin")?,
            "put" | "insert" | "update" => self.send(&format!(
                "{op} {} {}",
                Self::arg(step, 0)?,
                Self::arg(step, 1)?
            ))?,
            "delete" => {
                let reply = self.send(&format!("delete {}", Self::arg(step, 0)?))?;
                return Ok(match reply.status.as_str() {
                    "OK" => ("OK".into(), Some("true".into())),
                    "NOT_FOUND" => ("OK".into(), Some("false".into())),
                    other => (other.to_string(), None),
                });
            }
            "contains" => {
                let reply = self.send(&format!("exists {}", Self::arg(step, 0)?))?;
                let result = reply.output.first().cloned();
                return Ok((reply.status, result));
            }
            "scan" => {
                let line = match step.args.first() {
                    Some(p) => format!("scan --prefix {}", hex_arg(p)?),
                    None => "scan".into(),
                };
                let reply = self.send(&line)?;
                let mut pairs: Vec<(String, String)> = reply
                    .output
                    .iter()
                    .map(|l| {
                        let (k, v) = l.split_once('\t').unwrap_or((l, ""));
                        (k.to_string(), v.to_string())
                    })
                    .collect();
                pairs.sort();
                let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                return Ok((reply.status, Some(text.join(" "))));
            }
            "batch" => return self.batch(step),
            other => return Err(format!("the runner does not know the step {other:?}")),
        };
        Ok((reply.status, None))
    }

    /// `batch put K V delete K ...`, atomic. Outside a transaction: the
    /// REPL's begin, the writes, commit (a failing write rolls back). Inside
    /// one (`t: batch ...`) the writes go to it, and a failing write undoes
    /// the batch's earlier writes from the values read before each of them.
    fn batch(&mut self, step: &Step) -> Result<(String, Option<String>), String> {
        let mut writes = Vec::new();
        let mut args = step.args.iter();
        while let Some(op) = args.next() {
            let mut next = || {
                args.next()
                    .ok_or_else(|| format!("batch: {op} lacks an argument"))
            };
            match op.as_str() {
                "put" => writes.push((hex_arg(next()?)?, Some(hex_arg(next()?)?))),
                "delete" => writes.push((hex_arg(next()?)?, None)),
                other => return Err(format!("batch: unknown operation {other:?}")),
            }
        }
        let in_txn = step.txn.is_some();
        if !in_txn {
            let begin = self.send("begin")?;
            if begin.status != "OK" {
                return Ok((begin.status, None));
            }
        }
        let mut undo: Vec<(String, Option<String>)> = Vec::new();
        for (key, value) in &writes {
            if in_txn {
                let before = self.send(&format!("get {key}"))?;
                undo.push((
                    key.clone(),
                    before
                        .output
                        .first()
                        .cloned()
                        .filter(|_| before.status == "OK"),
                ));
            }
            let reply = match value {
                Some(v) => self.send(&format!("put {key} {v}"))?,
                None => self.send(&format!("delete {key}"))?,
            };
            // A batch delete of an absent key is not an error.
            if reply.status != "OK" && !(value.is_none() && reply.status == "NOT_FOUND") {
                if in_txn {
                    for (key, old) in undo.iter().rev() {
                        match old {
                            Some(old) => self.send(&format!("put {key} {old}"))?,
                            None => self.send(&format!("delete {key}"))?,
                        };
                    }
                } else {
                    self.send("rollback")?;
                }
                return Ok((reply.status, None));
            }
        }
        if in_txn {
            return Ok(("OK".into(), None));
        }
        Ok((self.send("commit")?.status, None))
    }
}

/// Totals of a run.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Runs every `*.nkc` file of `dir` in sorted order; reports failures (and,
/// with `verbose`, skips) on stderr.
pub fn run_dir(bin: &Path, dir: &Path, verbose: bool) -> Result<Totals, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "nkc"))
        .collect();
    files.sort();
    // One scratch directory per run, even for several runs in one process.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let scratch =
        std::env::temp_dir().join(format!("nook-cli-conformance-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let mut totals = Totals::default();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let cases = match crate::nkc::parse(&name, &text) {
            Ok(cases) => cases,
            Err(e) => {
                eprintln!("cli: FAIL {e}");
                totals.failed += 1;
                continue;
            }
        };
        for case in &cases {
            match run_case(bin, case, &scratch) {
                Outcome::Passed => totals.passed += 1,
                Outcome::Failed(why) => {
                    eprintln!("cli: FAIL {} ({}): {why}", case.name, case.place);
                    totals.failed += 1;
                }
                Outcome::Skipped(why) => {
                    if verbose {
                        eprintln!("cli: skip {} ({}): {why}", case.name, case.place);
                    }
                    totals.skipped += 1;
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(totals)
}

/// The summary line: `cli: N passed, M failed[, K skipped]`.
pub fn summary(t: &Totals) -> String {
    let mut line = format!("cli: {} passed, {} failed", t.passed, t.failed);
    if t.skipped > 0 {
        line.push_str(&format!(", {} skipped", t.skipped));
    }
    line
}
