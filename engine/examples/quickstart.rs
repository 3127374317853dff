//! The Rust quick start of the user guide (docs/guide/src/getting-started/rust.md
//! includes this file, and `bash tests/guide.sh` runs it).
//!
//! Run it with `cargo run -p nookdb --example quickstart`.

// ANCHOR: all
use nookdb::{Database, Durability, ErrorKind, Options};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    born: u16,
}

fn main() -> nookdb::Result<()> {
    let path = std::env::temp_dir().join(format!("quickstart-{}.nook", std::process::id()));

    // Open (and create) a database file. Database::memory() gives one without a file.
    let db = Database::open(&path)?;

    // Values are CBOR: put_value/get_value convert any serde type.
    db.put_value(
        b"user:1",
        &User {
            name: "Ada".into(),
            born: 1815,
        },
    )?;
    let ada: Option<User> = db.get_value(b"user:1")?;
    println!("user:1 = {ada:?}");

    // The raw API takes and returns the CBOR bytes themselves.
    db.put(b"answer", &[0x18, 0x2a])?; // the CBOR integer 42
    assert_eq!(db.get(b"answer")?, Some(vec![0x18, 0x2a]));

    // Every error has a stable kind: insert refuses a key that is present.
    let err = db.insert(b"answer", &[0x01]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    println!("insert: {err}");

    // ANCHOR: write_txn
    // A write transaction: all of it or none of it, durable when commit returns.
    let mut txn = db.begin_write()?;
    txn.put_value(
        b"user:2",
        &User {
            name: "Grace".into(),
            born: 1906,
        },
    )?;
    txn.delete(b"answer")?;
    txn.commit()?;
    // ANCHOR_END: write_txn

    // ANCHOR: snapshot
    // A read transaction sees one snapshot, whatever commits meanwhile.
    let snapshot = db.begin_read()?;
    db.delete(b"user:2")?;
    println!(
        "keys in the snapshot: {}, now: {}",
        snapshot.len(),
        db.len()
    );
    // ANCHOR_END: snapshot

    // Scans come in no particular order (the index is a hash trie).
    let mut names = Vec::new();
    for pair in snapshot.scan_prefix(b"user:") {
        let (_key, value) = pair?;
        names.push(nookdb::typed::from_cbor::<User>(&value)?.name);
    }
    names.sort();
    println!("users: {names:?}");
    drop(snapshot);
    drop(db);

    // Relaxed durability: commits return at once, become durable within
    // about a second, or at sync() or close.
    let db = Database::open_with(&path, &Options::new().durability(Durability::Relaxed))?;
    db.put_value(b"visits", &1u32)?;
    db.sync()?;

    // Maintenance: verify, back up, compact.
    let report = db.check()?;
    println!(
        "checked {} pages, {} keys",
        report.pages_checked, report.keys_checked
    );
    let backup = path.with_extension("backup.nook");
    db.backup(&backup)?;
    let sizes = db.compact()?;
    println!(
        "compacted: {} -> {} bytes",
        sizes.size_before, sizes.size_after
    );

    drop(db);
    for file in [&path, &backup] {
        std::fs::remove_file(file).ok();
    }
    Ok(())
}
// ANCHOR_END: all
