//! The database commands, run against a [`Session`]: an open database plus
//! the REPL's open transaction, if any. Every front end (a single command,
//! batch mode, the REPL) goes through [`Session::run`], so a command behaves
//! the same everywhere.
//!
//! Inside a transaction (`begin` in the REPL) reads and writes go to it;
//! otherwise each write is its own auto-committed transaction.

use crate::args::{Command, GlobalOptions};
use crate::error::{CliError, CliResult};
use crate::output::Codec;
use crate::progress::Progress;
use crate::transfer::{self, CborSequence, JsonLines, Records};
use nookdb::{Cursor, Database, ErrorKind, Options, ReadTxn, WriteTxn};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};

/// Where commands come from; it decides `OK` lines and what `-` may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One command from the command line: writes print nothing.
    Single,
    /// Commands from stdin, one per line.
    Batch,
    /// The interactive REPL.
    Repl,
}

/// The REPL's open transaction.
enum Txn {
    Write(Box<WriteTxn>),
    Read(ReadTxn),
}

/// An open database and the state of the session around it.
pub struct Session {
    db: Database,
    txn: Option<Txn>,
    /// How keys and values are parsed and printed.
    pub codec: Codec,
    mode: Mode,
    /// The database as named on the command line, for the prompt.
    pub label: String,
}

impl Session {
    /// Opens `db` (a path or `:memory:`) as the options say.
    pub fn open(db: &str, options: &GlobalOptions, mode: Mode) -> CliResult<Session> {
        let opts = Options::new()
            .create(!options.no_create)
            .read_only(options.read_only);
        let database = if db == ":memory:" {
            Database::memory_with(&opts)?
        } else {
            Database::open_with(db, &opts).map_err(|e| match e.kind() {
                ErrorKind::NotFound => CliError::engine(
                    ErrorKind::NotFound,
                    format!("{db}: no such database file; check the path, or drop --no-create to create it"),
                ),
                _ => CliError::from(e).context(format!("cannot open {db}")),
            })?
        };
        Ok(Session {
            db: database,
            txn: None,
            codec: Codec {
                format: options.format,
                hex_key: options.hex_key,
                cbor_hex: options.cbor_hex,
            },
            mode,
            label: match options.read_only {
                true => format!("{db} (read-only)"),
                false => db.to_string(),
            },
        })
    }

    /// The database handle (for completion, which reads committed keys).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// `Some("txn")` or `Some("read txn")` while a transaction is open.
    pub fn open_transaction(&self) -> Option<&'static str> {
        match self.txn {
            Some(Txn::Write(_)) => Some("txn"),
            Some(Txn::Read(_)) => Some("read txn"),
            None => None,
        }
    }

    /// What reads see now.
    fn view(&self) -> CliResult<View<'_>> {
        Ok(match &self.txn {
            Some(Txn::Write(t)) => View::Write(t),
            Some(Txn::Read(t)) => View::Read(t),
            None => View::Fresh(self.db.begin_read()?),
        })
    }

    fn ok(&self, out: &mut dyn Write) -> CliResult {
        if self.mode != Mode::Single {
            writeln!(out, "OK").map_err(stdout_error)?;
        }
        Ok(())
    }

    /// Runs one database command, printing its output to `out`.
    pub fn run(&mut self, command: &Command, out: &mut dyn Write) -> CliResult {
        match command {
            Command::Get { key } => {
                let key = self.codec.parse_key(key)?;
                let value = self.view()?.get(&key)?;
                let value = value.ok_or_else(|| {
                    CliError::engine(ErrorKind::NotFound, "the key does not exist")
                })?;
                print_line(out, &self.codec.render_value(&value))
            }
            Command::Put { key, value } => self.write_pair(
                key,
                value,
                out,
                |t, k, v| t.put(k, v),
                |db, k, v| db.put(k, v),
            ),
            Command::Insert { key, value } => self.write_pair(
                key,
                value,
                out,
                |t, k, v| t.insert(k, v),
                |db, k, v| db.insert(k, v),
            ),
            Command::Update { key, value } => self.write_pair(
                key,
                value,
                out,
                |t, k, v| t.update(k, v),
                |db, k, v| db.update(k, v),
            ),
            Command::Delete { key } => {
                let key = self.codec.parse_key(key)?;
                let existed = match self.writer()? {
                    Some(t) => t.delete(&key)?,
                    None => self.db.delete(&key)?,
                };
                if !existed {
                    return Err(CliError::engine(
                        ErrorKind::NotFound,
                        "the key does not exist; nothing was deleted",
                    ));
                }
                self.ok(out)
            }
            Command::Exists { key } => {
                let key = self.codec.parse_key(key)?;
                let found = self.view()?.contains(&key)?;
                print_line(out, if found { "true" } else { "false" })
            }
            Command::Count => {
                let n = self.view()?.len();
                print_line(out, &n.to_string())
            }
            Command::Keys { prefix } => {
                let prefix = self.prefix(prefix)?;
                let codec = self.codec;
                self.each_pair(&prefix, &mut |k, _| print_line(out, &codec.render_key(k)))
            }
            Command::Scan { prefix } => {
                let prefix = self.prefix(prefix)?;
                let codec = self.codec;
                self.each_pair(&prefix, &mut |k, v| {
                    print_line(
                        out,
                        &format!("{}\t{}", codec.render_key(k), codec.render_value(v)),
                    )
                })
            }
            Command::Import {
                file,
                cbor,
                batch_size,
            } => self.import(file, *cbor, *batch_size, out),
            Command::Export { file, cbor } => self.export(file.as_deref(), *cbor, out),
            Command::Check => {
                self.outside_transaction("check")?;
                let progress = Progress::spinner("checking");
                let report = self.db.check()?;
                progress.finish();
                print_line(
                    out,
                    &format!(
                        "ok: {} keys, {} pages checked",
                        report.keys_checked, report.pages_checked
                    ),
                )
            }
            Command::Stats => {
                // Figures of the last committed state, also inside a transaction.
                let s = self.db.stats()?;
                let rows = [
                    ("key_count", s.key_count),
                    ("txid", s.txid),
                    ("page_size", s.page_size as u64),
                    ("page_count", s.page_count),
                    ("free_pages", s.free_pages),
                    ("file_size", s.file_size),
                    ("tree_depth", s.tree_depth as u64),
                    ("inner_pages", s.inner_pages),
                    ("leaf_pages", s.leaf_pages),
                    ("overflow_pages", s.overflow_pages),
                    ("cache_capacity", s.cache_capacity),
                    ("cache_used", s.cache_used),
                    ("cache_hits", s.cache_hits),
                    ("cache_misses", s.cache_misses),
                ];
                rows.iter()
                    .try_for_each(|(name, value)| print_line(out, &format!("{name} {value}")))
            }
            Command::Compact => {
                self.outside_transaction("compact")?;
                let progress = Progress::spinner("compacting");
                let report = self.db.compact()?;
                progress.finish();
                print_line(
                    out,
                    &format!(
                        "compacted: {} bytes before, {} bytes after",
                        report.size_before, report.size_after
                    ),
                )
            }
            Command::Backup { dest } => {
                self.outside_transaction("backup")?;
                self.db.backup(dest)?;
                self.ok(out)
            }
        }
    }

    /// The open write transaction, `None` outside one, READ_ONLY in a read one.
    fn writer(&mut self) -> CliResult<Option<&mut WriteTxn>> {
        match &mut self.txn {
            Some(Txn::Write(t)) => Ok(Some(t)),
            Some(Txn::Read(_)) => Err(CliError::engine(
                ErrorKind::ReadOnly,
                "the open transaction is read-only (begin read); end it with rollback, then write",
            )),
            None => Ok(None),
        }
    }

    fn write_pair(
        &mut self,
        key: &str,
        value: &str,
        out: &mut dyn Write,
        in_txn: impl FnOnce(&mut WriteTxn, &[u8], &[u8]) -> nookdb::Result<()>,
        auto: impl FnOnce(&Database, &[u8], &[u8]) -> nookdb::Result<()>,
    ) -> CliResult {
        let key = self.codec.parse_key(key)?;
        let value = self.value_bytes(value)?;
        match self.writer()? {
            Some(t) => in_txn(t, &key, &value)?,
            None => auto(&self.db, &key, &value)?,
        }
        self.ok(out)
    }

    /// The CBOR bytes of a VALUE argument: `-` (stdin, command line only),
    /// `@FILE`, or the text itself.
    fn value_bytes(&self, arg: &str) -> CliResult<Vec<u8>> {
        let text = if arg == "-" {
            if self.mode != Mode::Single {
                return Err(CliError::usage(
                    "a value of - reads stdin, which only works for one command on the command line; write the value itself, or @FILE",
                ));
            }
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::io("reading the value from stdin", e))?;
            text
        } else if let Some(path) = arg.strip_prefix('@') {
            std::fs::read_to_string(path)
                .map_err(|e| CliError::io(format!("reading the value from {path}"), e))?
        } else {
            return self.codec.parse_value(arg);
        };
        self.codec.parse_value(&text)
    }

    fn prefix(&self, prefix: &Option<String>) -> CliResult<Vec<u8>> {
        prefix
            .as_deref()
            .map_or(Ok(Vec::new()), |p| self.codec.parse_key(p))
    }

    /// Calls `f` for every pair whose key starts with `prefix`, in the
    /// engine's order, from the open transaction or a fresh snapshot.
    pub fn each_pair(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> CliResult,
    ) -> CliResult {
        let view = self.view()?;
        // Small batches: values may be up to 64 MiB each.
        const PAIRS_PER_BATCH: usize = 64;
        let mut cursor = Cursor::new(prefix);
        let mut batch = Vec::new();
        while !cursor.is_done() {
            batch.clear();
            view.next_batch(&mut cursor, PAIRS_PER_BATCH, &mut batch)?;
            crate::interrupt::check()?;
            for (k, v) in &batch {
                f(k, v)?;
            }
        }
        Ok(())
    }

    fn outside_transaction(&self, command: &str) -> CliResult {
        match self.txn {
            Some(_) => Err(CliError::usage(format!(
                "{command} cannot run inside a transaction; commit or rollback first"
            ))),
            None => Ok(()),
        }
    }

    fn import(
        &mut self,
        file: &str,
        cbor: bool,
        batch_size: u64,
        out: &mut dyn Write,
    ) -> CliResult {
        self.outside_transaction("import")?;
        let (input, size): (Box<dyn Read>, Option<u64>) = if file == "-" {
            if self.mode != Mode::Single {
                return Err(CliError::usage(
                    "import - reads stdin, which holds the commands here; import a file, or run `nook DB import -` from the shell",
                ));
            }
            (Box::new(std::io::stdin().lock()), None)
        } else {
            let f = File::open(file).map_err(|e| CliError::io(format!("cannot open {file}"), e))?;
            let size = f.metadata().ok().map(|m| m.len());
            (Box::new(f), size)
        };
        let progress = match size {
            Some(total) => Progress::bytes(total, "importing"),
            None => Progress::spinner("importing"),
        };
        let reader = BufReader::with_capacity(1 << 16, input);
        let mut records: Box<dyn Records> = if cbor {
            Box::new(CborSequence::new(reader))
        } else {
            Box::new(JsonLines::new(reader))
        };
        let report = transfer::import(&self.db, records.as_mut(), batch_size, &progress)?;
        progress.finish();
        let plural = if report.batches == 1 { "" } else { "s" };
        eprintln!(
            "imported {} rows in {} transaction{plural}",
            report.rows, report.batches
        );
        self.ok(out)
    }

    fn export(&mut self, file: Option<&str>, cbor: bool, out: &mut dyn Write) -> CliResult {
        let to_file = file.filter(|f| *f != "-");
        let mut sink: Box<dyn Write + '_> = match to_file {
            Some(path) => Box::new(BufWriter::new(
                File::create(path).map_err(|e| CliError::io(format!("cannot create {path}"), e))?,
            )),
            None => Box::new(BufWriter::new(&mut *out)),
        };
        let total = self.view()?.len();
        let progress = Progress::items(total, "exporting");
        let mut done = 0u64;
        let write_error = |e: std::io::Error| match to_file {
            Some(path) => CliError::io(format!("writing {path}"), e),
            None => stdout_error(e),
        };
        self.each_pair(&[], &mut |k, v| {
            transfer::write_record(&mut sink, k, v, cbor).map_err(write_error)?;
            done += 1;
            if done % 1024 == 0 {
                progress.set(done);
            }
            Ok(())
        })?;
        sink.flush().map_err(write_error)?;
        drop(sink);
        progress.finish();
        if to_file.is_some() {
            eprintln!("exported {done} pairs");
            self.ok(out)?;
        }
        Ok(())
    }

    /// `begin` / `begin read`.
    pub fn begin(&mut self, read: bool, out: &mut dyn Write) -> CliResult {
        if let Some(kind) = self.open_transaction() {
            return Err(CliError::usage(format!(
                "a {kind} is already open; commit or rollback it first (transactions do not nest)"
            )));
        }
        self.txn = Some(if read {
            Txn::Read(self.db.begin_read()?)
        } else {
            Txn::Write(Box::new(self.db.begin_write()?))
        });
        self.ok(out)
    }

    /// `commit`: makes the writes durable (for a read transaction, just ends it).
    pub fn commit(&mut self, out: &mut dyn Write) -> CliResult {
        match self.txn.take() {
            Some(Txn::Write(t)) => t.commit()?,
            Some(Txn::Read(_)) => {}
            None => return Err(no_transaction("commit")),
        }
        self.ok(out)
    }

    /// `rollback`: discards the writes.
    pub fn rollback(&mut self, out: &mut dyn Write) -> CliResult {
        match self.txn.take() {
            Some(Txn::Write(t)) => t.rollback(),
            Some(Txn::Read(_)) => {}
            None => return Err(no_transaction("rollback")),
        }
        self.ok(out)
    }

    /// Ends an open transaction on the way out, rolling back a write
    /// transaction; says which kind there was.
    pub fn abandon_transaction(&mut self) -> Option<&'static str> {
        let kind = self.open_transaction();
        if let Some(Txn::Write(t)) = self.txn.take() {
            t.rollback();
        }
        kind
    }
}

/// What reads see: the open transaction, or a fresh snapshot outside one.
enum View<'a> {
    Write(&'a WriteTxn),
    Read(&'a ReadTxn),
    Fresh(ReadTxn),
}

impl View<'_> {
    fn get(&self, key: &[u8]) -> nookdb::Result<Option<Vec<u8>>> {
        match self {
            View::Write(t) => t.get(key),
            View::Read(t) => t.get(key),
            View::Fresh(t) => t.get(key),
        }
    }

    fn contains(&self, key: &[u8]) -> nookdb::Result<bool> {
        match self {
            View::Write(t) => t.contains(key),
            View::Read(t) => t.contains(key),
            View::Fresh(t) => t.contains(key),
        }
    }

    fn len(&self) -> u64 {
        match self {
            View::Write(t) => t.len(),
            View::Read(t) => t.len(),
            View::Fresh(t) => t.len(),
        }
    }

    fn next_batch(
        &self,
        cursor: &mut Cursor,
        max: usize,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> nookdb::Result<()> {
        match self {
            View::Write(t) => t.next_batch(cursor, max, out),
            View::Read(t) => t.next_batch(cursor, max, out),
            View::Fresh(t) => t.next_batch(cursor, max, out),
        }
    }
}

fn no_transaction(command: &str) -> CliError {
    CliError::usage(format!(
        "{command}: no transaction is open (start one with begin)"
    ))
}

/// Prints one line of output.
pub fn print_line(out: &mut dyn Write, line: &str) -> CliResult {
    writeln!(out, "{line}").map_err(stdout_error)
}

/// A failed write to stdout. A closed pipe (`nook db keys | head`) is not an
/// error worth a message: the reader has what it wanted, so exit quietly.
pub fn stdout_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    CliError::io("writing the output", e)
}
