//! Every call whose meaning differs between operating systems, in one place,
//! with what it guarantees on each. The durability invariants (`lib.rs`,
//! `docs/durability.md`) rest on exactly these guarantees.
//!
//! ## Positional I/O
//! Pages are read and written at an offset without moving a shared cursor, so
//! readers on many threads share one handle: `pread`/`pwrite` on Unix,
//! `ReadFile`/`WriteFile` with an `OVERLAPPED` offset on Windows (which may
//! return short counts; [`read_exact_at`] and [`write_all_at`] loop).
//!
//! ## Flushing (`fsync`)
//! [`sync_file`] returns once data written before it is on stable storage:
//! `fdatasync` on Linux and the BSDs; `fcntl(F_FULLFSYNC)` on macOS and iOS
//! (Rust's std uses it there: a plain `fsync` on Apple systems only hands the
//! data to the drive, whose cache may reorder or lose it on power loss);
//! `FlushFileBuffers` on Windows (flushes the file's data and metadata and
//! the drive's write cache). The file length is part of what is flushed on
//! every platform (`fdatasync` flushes metadata needed to read the data back).
//!
//! ## Directory entries
//! A new name (a created, renamed or removed file) is durable on Unix only
//! once its directory is fsynced: [`sync_dir`] does it. Windows has no such
//! call for directories (NTFS journals its metadata; a rename is durable once
//! `MoveFileEx`/`SetFileInformationByHandle` returns on a local volume), so
//! there it does nothing.
//!
//! ## Replacing a file by another (compaction)
//! [`rename_over`] moves a file onto an existing name. On Unix `rename(2)` is
//! atomic and works while either file is open: open handles keep the old
//! file (unlinked) readable. On Windows, Rust's std first asks for POSIX
//! semantics (`FileRenameInfoEx` with `FILE_RENAME_FLAG_POSIX_SEMANTICS |
//! REPLACE_IF_EXISTS`, NTFS on Windows 10 1607 or later), which behaves like
//! Unix; elsewhere (FAT/exFAT, network shares, wine, older Windows) a file
//! that is open cannot be replaced and the call fails with "Access denied".
//! Compaction then falls back to two renames, moving the open file aside
//! first (allowed: every handle std opens shares `FILE_SHARE_DELETE`), and
//! `open` repairs a crash between the two (`check::recover_compaction`).
//!
//! ## Locking
//! [`try_lock`] takes an advisory whole-file lock without waiting: `flock(2)`
//! on Unix, `LockFileEx` on Windows (through the `fs4` crate). Both are
//! released when the handle closes, including when the process dies, so a
//! crashed holder never leaves the file locked. The differences that matter:
//! `flock` is advisory (a process that does not ask can still read and write)
//! and belongs to the open file description, so two opens of the same file
//! in one process exclude each other; on NFS it may be emulated with `fcntl`
//! locks or be local only. `LockFileEx` is mandatory for the locked range:
//! other handles cannot write it, and an exclusive lock stops their reads
//! too, so every handle on a database must go through the same lock (the
//! engine's handles do: one instance per file per process, see `open`).
//!
//! ## Memory
//! The page cache maps its slabs with `mmap` and advises transparent huge
//! pages (`madvise(MADV_HUGEPAGE)`) on Linux only, elsewhere it allocates
//! with the global allocator. That code is part of the cache's unsafe
//! protocol and lives in `cache/slab.rs`, the one module allowed `unsafe`.
//!
//! ## Not used
//! No `/proc`, no process ids (temporary names take a random nonce, which
//! WASI and every other target have), no signals, no memory-mapped files.

use std::fs::{self, File};
use std::io;
use std::path::Path;

/// Reads `buf.len()` bytes at `offset`, or fails (`UnexpectedEof` past the end).
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Writes all of `buf` at `offset`.
pub(crate) fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_write(
                file,
                &buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Returns once the file's data (and its length) are on stable storage.
pub(crate) fn sync_file(file: &File) -> io::Result<()> {
    file.sync_data()
}

/// Makes the names created, renamed or removed in `path`'s folder durable
/// (Unix); nothing to do on Windows. Best effort: a folder that cannot be
/// opened or synced (some network file systems) leaves the rename as durable
/// as the file system makes it.
pub(crate) fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Moves `from` onto `to`, replacing it (atomically where the file system
/// can; see the module comment for when an open `to` makes this fail).
pub(crate) fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)
}

/// Which lock [`try_lock`] takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Readers only: any number of shared holders.
    Shared,
    /// One read-write holder.
    Exclusive,
}

/// Takes `lock` on the whole file without waiting; `Ok(false)` when another
/// handle holds a conflicting lock.
pub(crate) fn try_lock(file: &File, lock: Lock) -> io::Result<bool> {
    match lock {
        Lock::Shared => fs4::fs_std::FileExt::try_lock_shared(file),
        Lock::Exclusive => fs4::fs_std::FileExt::try_lock_exclusive(file),
    }
}

/// A fresh random suffix for temporary file names, so that two processes (or
/// two calls) never pick the same name.
pub(crate) fn nonce() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(u64::from_le_bytes(bytes))
}
