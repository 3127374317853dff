//! The operating system's error code survives into Nook's errors, so a caller
//! can tell a full disk (ENOSPC) from a permission problem (EACCES) or a
//! failing device (EIO).

mod support;

use nookdb::{Database, ErrorKind, Options, StorageBackend};
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use support::SimDisk;

/// A disk whose writes fail with `write_errno`, and whose syncs fail with
/// `sync_errno`, while they are not 0.
#[derive(Clone, Default)]
struct FailingDisk {
    disk: SimDisk,
    write_errno: Arc<AtomicI32>,
    sync_errno: Arc<AtomicI32>,
}

fn fail(errno: &AtomicI32) -> io::Result<()> {
    match errno.load(Ordering::SeqCst) {
        0 => Ok(()),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

impl StorageBackend for FailingDisk {
    fn len(&self) -> io::Result<u64> {
        self.disk.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.disk.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<()> {
        fail(&self.write_errno)?;
        self.disk.write_at(offset, buf)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        fail(&self.write_errno)?;
        self.disk.set_len(len)
    }
    fn sync_data(&self) -> io::Result<()> {
        fail(&self.sync_errno)?;
        self.disk.sync_data()
    }
}

const ENOSPC: i32 = 28;
const EACCES: i32 = 13;
const EIO: i32 = 5;

#[test]
fn a_failed_write_carries_the_os_error_code() {
    for (errno, kind) in [
        (ENOSPC, ErrorKind::DiskFull),
        (EACCES, ErrorKind::Io),
        (EIO, ErrorKind::Io),
    ] {
        let disk = FailingDisk::default();
        let db = Database::open_backend(Box::new(disk.clone()), &Options::default()).unwrap();
        disk.write_errno.store(errno, Ordering::SeqCst);
        let err = db.put(b"key", &[0xf6]).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(err.raw_os_error(), Some(errno), "{err}");
        assert!(
            err.message().contains(&format!("(os error {errno})")),
            "{err}"
        );
    }
}

#[test]
fn a_failed_commit_reported_again_keeps_the_os_error_code() {
    let disk = FailingDisk::default();
    let db = Database::open_backend(Box::new(disk.clone()), &Options::default()).unwrap();
    disk.sync_errno.store(EIO, Ordering::SeqCst);
    let err = db.put(b"key", &[0xf6]).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(EIO), "{err}");
    // A failed fsync of the commit record leaves the writer refusing writes:
    // each later refusal repeats the operating system's code.
    disk.sync_errno.store(0, Ordering::SeqCst);
    let again = db.put(b"key", &[0xf6]).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Io, "{again}");
    assert_eq!(again.raw_os_error(), Some(EIO), "{again}");
}

#[test]
fn errors_that_are_not_from_the_os_have_no_os_code() {
    let db = Database::memory();
    assert_eq!(db.put(b"", &[0xf6]).unwrap_err().raw_os_error(), None);
    assert_eq!(db.put(b"k", &[0xff]).unwrap_err().raw_os_error(), None);
}
