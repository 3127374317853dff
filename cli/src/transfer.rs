//! `import` and `export`: JSON lines or CBOR sequences of (key, value) pairs.
//!
//! JSON lines: `{"key": "text", "value": JSON}` per line; `"key_hex"` replaces
//! `"key"` for a key that is not UTF-8, and `"value_hex"` (the stored CBOR as
//! hex) replaces `"value"` when JSON would not give back the same bytes.
//! CBOR sequence: one `[key, value]` array per pair, the key a byte string.
//! So an export always imports back to the same bytes.
//!
//! An import commits one write transaction per batch of rows: the batches
//! before a failure stay, and nothing of the failing batch does.

use crate::error::{CliError, CliResult};
use crate::json;
use crate::progress::Progress;
use crate::value::{self, DecodeError, Reader, Value};
use nookdb::Database;
use std::io::{BufRead, Read, Write};

/// One pair read from the input, and where it was.
#[derive(Debug)]
pub struct Record {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// "line 12" or "record 12", for messages.
    pub place: String,
}

/// A source of records: JSON lines or a CBOR sequence.
pub trait Records {
    /// The next record, `None` at the end of the input.
    fn next_record(&mut self) -> CliResult<Option<Record>>;
    /// Bytes of input consumed so far (for the progress bar).
    fn bytes_read(&self) -> u64;
}

/// Reads JSON lines.
pub struct JsonLines<R> {
    reader: R,
    line_no: u64,
    bytes: u64,
    line: String,
}

impl<R: BufRead> JsonLines<R> {
    pub fn new(reader: R) -> Self {
        JsonLines {
            reader,
            line_no: 0,
            bytes: 0,
            line: String::new(),
        }
    }
}

impl<R: BufRead> Records for JsonLines<R> {
    fn next_record(&mut self) -> CliResult<Option<Record>> {
        loop {
            self.line.clear();
            let n = self
                .reader
                .read_line(&mut self.line)
                .map_err(|e| CliError::io(format!("reading line {}", self.line_no + 1), e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            self.bytes += n as u64;
            if self.line.trim().is_empty() {
                continue;
            }
            let place = format!("line {}", self.line_no);
            let (key, value) = json_record(&self.line).map_err(|e| e.context(&place))?;
            return Ok(Some(Record { key, value, place }));
        }
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

/// The key and value bytes of one JSON lines row.
fn json_record(line: &str) -> CliResult<(Vec<u8>, Vec<u8>)> {
    let shape = "each line must be {\"key\": \"...\", \"value\": JSON} (or key_hex / value_hex)";
    let Value::Map { entries, .. } = json::parse(line).map_err(CliError::invalid_value)? else {
        return Err(CliError::invalid_value(shape));
    };
    let (mut key, mut value) = (None, None);
    for (name, field) in entries {
        let name = name.as_text().unwrap_or_default();
        let text = || {
            field
                .as_text()
                .ok_or_else(|| CliError::invalid_value(format!("{name} must be a string; {shape}")))
        };
        let hex = |t: String| {
            value::from_hex(&t).map_err(|e| CliError::invalid_value(format!("{name}: {e}")))
        };
        let slot = match name.as_str() {
            "key" => (&mut key, text()?.into_bytes()),
            "key_hex" => (&mut key, hex(text()?)?),
            "value" => (&mut value, field.to_cbor()),
            "value_hex" => {
                let bytes = hex(text()?)?;
                value::decode(&bytes)
                    .map_err(|e| CliError::invalid_value(format!("value_hex: {e}")))?;
                (&mut value, bytes)
            }
            other => {
                return Err(CliError::invalid_value(format!(
                    "unknown field {other:?}; {shape}"
                )))
            }
        };
        if slot.0.replace(slot.1).is_some() {
            return Err(CliError::invalid_value(format!(
                "the key or value is given twice; {shape}"
            )));
        }
    }
    match (key, value) {
        (Some(k), Some(v)) => Ok((k, v)),
        _ => Err(CliError::invalid_value(format!(
            "a key or a value is missing; {shape}"
        ))),
    }
}

/// Reads a CBOR sequence of `[key, value]` arrays, without holding the whole input.
pub struct CborSequence<R> {
    reader: R,
    /// Read but not yet decoded input is `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    record_no: u64,
    consumed: u64,
}

impl<R: Read> CborSequence<R> {
    pub fn new(reader: R) -> Self {
        CborSequence {
            reader,
            buf: Vec::new(),
            start: 0,
            eof: false,
            record_no: 0,
            consumed: 0,
        }
    }

    /// Reads at least `want` more bytes, or to the end of the input.
    fn fill(&mut self, want: usize) -> CliResult<()> {
        // Drop decoded bytes only here, once per refill, not once per record.
        self.buf.drain(..self.start);
        self.start = 0;
        let target = self.buf.len() + want;
        let mut chunk = vec![0; 64 << 10];
        while self.buf.len() < target && !self.eof {
            let n = self
                .reader
                .read(&mut chunk)
                .map_err(|e| CliError::io("reading the CBOR sequence", e))?;
            if n == 0 {
                self.eof = true;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok(())
    }
}

impl<R: Read> Records for CborSequence<R> {
    fn next_record(&mut self) -> CliResult<Option<Record>> {
        if self.start == self.buf.len() {
            self.fill(1)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
        }
        self.record_no += 1;
        let place = format!("record {} (byte {})", self.record_no, self.consumed);
        loop {
            match cbor_record(&self.buf[self.start..]) {
                Ok((key, value, used)) => {
                    self.start += used;
                    self.consumed += used as u64;
                    return Ok(Some(Record { key, value, place }));
                }
                // Read as much again as is buffered, so a long item costs O(n).
                Err(e) if e.truncated && !self.eof => {
                    self.fill((self.buf.len() - self.start).max(64 << 10))?
                }
                Err(e) => return Err(CliError::invalid_value(e.to_string()).context(&place)),
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.consumed
    }
}

/// Decodes one `[key, value]` record at the start of `bytes`: the key, the
/// value's exact bytes and the record's length.
fn cbor_record(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>, usize), DecodeError> {
    let shape = || DecodeError {
        offset: 0,
        what: "each item must be a 2-element array [key, value] with a byte or text string key"
            .into(),
        truncated: false,
    };
    if bytes[0] != 0x82 {
        return Err(shape());
    }
    let mut reader = Reader::new(bytes);
    reader.pos = 1;
    let key = match reader.item()? {
        Value::Bytes(b) => b,
        Value::Text(t) => t.into_bytes(),
        _ => return Err(shape()),
    };
    let start = reader.pos;
    reader.item()?;
    Ok((key, bytes[start..reader.pos].to_vec(), reader.pos))
}

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    pub rows: u64,
    pub batches: u64,
}

/// Imports every record, committing one transaction per `batch_size` rows.
pub fn import(
    db: &Database,
    records: &mut dyn Records,
    batch_size: u64,
    progress: &Progress,
) -> CliResult<ImportReport> {
    let mut report = ImportReport {
        rows: 0,
        batches: 0,
    };
    let mut batch: Vec<Record> = Vec::new();
    let stopped = |e: CliError, report: &ImportReport| {
        let next = match e.kind {
            crate::error::Kind::Aborted => "Run the same import again to finish it",
            _ => "Fix the input and run the import again",
        };
        e.context("import stopped").suffix(format!(
            "; {} rows were imported before it, in {} whole batches of up to {batch_size}; no row of the failing batch \
             was kept. {next} (it replaces existing keys, so that is safe)",
            report.rows, report.batches
        ))
    };
    loop {
        crate::interrupt::check().map_err(|e| stopped(e, &report))?;
        let record = records.next_record().map_err(|e| stopped(e, &report))?;
        let end = record.is_none();
        batch.extend(record);
        if batch.len() as u64 >= batch_size || (end && !batch.is_empty()) {
            commit_batch(db, &batch).map_err(|e| stopped(e, &report))?;
            report.rows += batch.len() as u64;
            report.batches += 1;
            batch.clear();
            progress.set(records.bytes_read());
        }
        if end {
            return Ok(report);
        }
    }
}

fn commit_batch(db: &Database, batch: &[Record]) -> CliResult {
    let mut txn = db.begin_write()?;
    for record in batch {
        txn.put(&record.key, &record.value)
            .map_err(|e| CliError::from(e).context(&record.place))?;
    }
    txn.commit()?;
    Ok(())
}

/// Writes one pair of an export.
pub fn write_record(
    out: &mut dyn Write,
    key: &[u8],
    stored: &[u8],
    cbor: bool,
) -> std::io::Result<()> {
    if cbor {
        let mut record = vec![0x82];
        Value::Bytes(key.to_vec()).encode(&mut record);
        record.extend_from_slice(stored);
        return out.write_all(&record);
    }
    let mut line = String::from("{");
    match std::str::from_utf8(key) {
        Ok(text) => {
            line.push_str("\"key\":");
            json::write_string(&mut line, text);
        }
        Err(_) => line.push_str(&format!("\"key_hex\":\"{}\"", value::to_hex(key))),
    }
    // JSON only when importing it gives back exactly the stored bytes.
    let as_json = value::decode(stored)
        .ok()
        .filter(Value::is_json)
        .map(|v| json::print(&v, false))
        .filter(|text| json::parse(text).is_ok_and(|v| v.to_cbor() == stored));
    match as_json {
        Some(text) => {
            line.push_str(",\"value\":");
            line.push_str(&text);
        }
        None => line.push_str(&format!(",\"value_hex\":\"{}\"", value::to_hex(stored))),
    }
    line.push_str("}\n");
    out.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut r = JsonLines::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((rec.key, rec.value));
        }
        out
    }

    #[test]
    fn json_lines_round_trip_every_value_exactly() {
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"a".to_vec(), vec![0x18, 0x2a]),
            (vec![0xff, 0x00], vec![0x43, 1, 2, 3]),
            (b"f".to_vec(), vec![0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]), // 1.5 as f64: not preferred
            (b"m".to_vec(), vec![0xa1, 0x61, 0x78, 0xf6]),
            (b"i".to_vec(), vec![0x9f, 0x01, 0xff]), // indefinite length: JSON would lose it
        ];
        let mut out = Vec::new();
        for (k, v) in &pairs {
            write_record(&mut out, k, v, false).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("{\"key\":\"a\",\"value\":42}"), "{text}");
        assert!(text.contains("\"key_hex\":\"ff00\""), "{text}");
        assert!(
            text.contains("\"value_hex\":\"fb3ff8000000000000\""),
            "{text}"
        );
        assert_eq!(rows(&text), pairs);
    }

    #[test]
    fn cbor_sequences_round_trip_and_stream() {
        let mut out = Vec::new();
        write_record(&mut out, b"k1", &[0x01], true).unwrap();
        write_record(&mut out, b"k2", &[0x9f, 0x01, 0xff], true).unwrap();
        // A reader that hands out one byte at a time exercises refilling.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut seq = CborSequence::new(Slow(&out));
        let a = seq.next_record().unwrap().unwrap();
        assert_eq!((a.key, a.value), (b"k1".to_vec(), vec![0x01]));
        let b = seq.next_record().unwrap().unwrap();
        assert_eq!((b.key, b.value), (b"k2".to_vec(), vec![0x9f, 0x01, 0xff]));
        assert!(seq.next_record().unwrap().is_none());
        let mut bad = CborSequence::new(&[0x82, 0x41][..]);
        assert!(bad.next_record().unwrap_err().message.contains("record 1"));
    }

    #[test]
    fn bad_rows_name_their_line() {
        for (text, needle) in [
            ("{\"key\":\"a\"}\n", "missing"),
            (
                "\n\n{\"key\":\"a\",\"value\":1,\"x\":2}\n",
                "line 3: unknown field",
            ),
            ("[1]\n", "each line must be"),
            ("{\"key\":1,\"value\":1}\n", "must be a string"),
            ("{\"key\":\"a\",\"value\":}\n", "malformed JSON"),
            ("{\"key\":\"a\",\"value_hex\":\"18\"}\n", "value_hex"),
        ] {
            let mut r = JsonLines::new(text.as_bytes());
            let err = r.next_record().unwrap_err();
            assert!(err.message.contains(needle), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn a_failing_batch_leaves_only_whole_batches() {
        let db = Database::memory();
        let mut text = String::new();
        for i in 0..25 {
            text.push_str(&format!("{{\"key\":\"k{i:02}\",\"value\":{i}}}\n"));
        }
        text.push_str("{\"key\":\"\",\"value\":1}\n"); // empty key: refused by the engine
        let err = import(
            &db,
            &mut JsonLines::new(text.as_bytes()),
            10,
            &Progress::spinner(""),
        )
        .unwrap_err();
        assert_eq!(
            err.kind,
            crate::error::Kind::Engine(nookdb::ErrorKind::InvalidArgument)
        );
        assert!(err.message.contains("line 26"), "{}", err.message);
        assert!(
            err.message.contains("20 rows were imported"),
            "{}",
            err.message
        );
        assert_eq!(db.len(), 20);
    }
}
