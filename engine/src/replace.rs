//! Putting a compacted file in the database's place, and repairing a crash
//! in the middle of it.
//!
//! The compacted copy is written, synced and validated under the name
//! `<file>.compact-new` next to the database. Then:
//! 1. it is renamed over the database, one atomic step where the platform
//!    allows replacing an open file (Unix; NTFS with POSIX semantics);
//! 2. otherwise (Windows on FAT/exFAT, network shares, wine: "Access denied"
//!    because the database is open) in two steps: the database is renamed to
//!    `<file>.compact-old`, then the copy to `<file>`; the old file is
//!    removed once nothing needs it.
//!
//! A crash between the two steps leaves no file at the path, the complete
//! copy at `.compact-new` and the old file at `.compact-old`.
//! [`recover`], run by every open of a path before anything else, finishes
//! the move (the copy holds the same data as the old file, and it was made
//! durable before the old file was moved). So at any instant a crash leaves
//! the old or the compacted database, never none and never a half file.
//! See `platform::rename_over` for what each platform allows.

use crate::error::{Error, ErrorKind, Result};
use crate::platform::{self, Lock};
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// `<file>.<suffix>` in the folder of `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Where compaction writes its copy of the database at `path`.
pub(crate) fn new_path(path: &Path) -> PathBuf {
    sibling(path, ".compact-new")
}

/// Where the two-step move puts the old database.
pub(crate) fn old_path(path: &Path) -> PathBuf {
    sibling(path, ".compact-old")
}

/// Replaces the database at `path` (open, and locked by the caller) by the
/// complete, synced copy at `new_path(path)`.
pub(crate) fn replace(path: &Path) -> Result<()> {
    let new = new_path(path);
    let first = match platform::rename_over(&new, path) {
        Ok(()) => {
            platform::sync_dir(path);
            return Ok(());
        }
        Err(e) => e,
    };
    replace_in_two_steps(path).map_err(|second| {
        Error::io(
            &format!(
                "moving the compacted file into place (replacing it failed: {first}; moving the old file aside then failed)"
            ),
            second,
        )
    })
}

/// The two-step move: old file aside, copy in. Fails with nothing changed,
/// or, if the second rename fails and the first cannot be undone, with the
/// in-between state that [`recover`] repairs.
pub(crate) fn replace_in_two_steps(path: &Path) -> io::Result<()> {
    let new = new_path(path);
    let old = old_path(path);
    // Left by an earlier two-step move whose last reader only now let go.
    if let Err(e) = fs::remove_file(&old) {
        if e.kind() != io::ErrorKind::NotFound {
            return Err(e);
        }
    }
    fs::rename(path, &old)?;
    if let Err(e) = fs::rename(&new, path) {
        let _ = fs::rename(&old, path);
        return Err(e);
    }
    platform::sync_dir(path);
    // Snapshot readers may still read the old file through their handles: on
    // Unix and with POSIX semantics it goes now; otherwise it stays until
    // they close it, and the next compaction or open removes it.
    let _ = fs::remove_file(&old);
    Ok(())
}

/// Repairs what a crash during compaction left next to `path` (see the
/// module comment). Called by `open` before it looks at `path`.
pub(crate) fn recover(path: &Path) -> Result<()> {
    let old = old_path(path);
    if !old.exists() {
        return Ok(());
    }
    if path.exists() {
        // The move finished; the old file is garbage (or still read by
        // snapshot readers elsewhere, in which case removing it waits).
        let _ = fs::remove_file(&old);
        return Ok(());
    }
    let new = new_path(path);
    let shown = path.display();
    let io_err = |e| Error::io(&format!("finishing the compaction of {shown}"), e);
    if new.exists() {
        // The compacting process may still be running, between its renames:
        // it holds the copy locked.
        let file = OpenOptions::new().read(true).open(&new).map_err(io_err)?;
        if !platform::try_lock(&file, Lock::Shared).map_err(io_err)? {
            return Err(Error::new(
                ErrorKind::Locked,
                format!("{shown} is being compacted by another process; open it when that is done"),
            ));
        }
        drop(file); // closes the handle, and with it the lock (Windows renames need that)
        fs::rename(&new, path).map_err(io_err)?;
    } else {
        // The copy is gone (removed by hand?): the old file is the database.
        fs::rename(&old, path).map_err(io_err)?;
    }
    platform::sync_dir(path);
    let _ = fs::remove_file(&old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    /// The two-step move works while the database is open and a snapshot
    /// reader holds the old file: the reader keeps its data, the path gets the
    /// copy, nothing is left over. (On Linux `rename` replaces open files, so
    /// compaction itself never takes this path here; under wine it does.)
    #[test]
    fn the_two_step_move_keeps_old_readers_and_leaves_only_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.nook");
        let db = Database::open(&path).unwrap();
        db.put(b"k", &[0x01]).unwrap();
        let before = db.begin_read().unwrap();
        db.backup(new_path(&path)).unwrap();
        db.put(b"k", &[0x02]).unwrap(); // only in the old file
        replace_in_two_steps(&path).unwrap();
        assert_eq!(before.get(b"k").unwrap(), Some(vec![0x01]));
        assert_eq!(
            db.get(b"k").unwrap(),
            Some(vec![0x02]),
            "the open handle reads the old file"
        );
        drop((before, db));
        assert_eq!(
            Database::open(&path).unwrap().get(b"k").unwrap(),
            Some(vec![0x01])
        );
        let names = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(names, 1, "only the database is left");
    }
}
