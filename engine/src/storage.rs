//! Where the bytes of a database live: the [`StorageBackend`] trait and its file
//! and memory implementations.
//!
//! All of the engine's I/O goes through this small trait (as in redb), which
//! makes the crash-simulation and I/O-error tests possible: a test backend can
//! drop unsynced writes, tear pages or fail the n-th call.

use parking_lot::RwLock;
use std::fs::File;
use std::io;

/// Positioned I/O on one byte array: a file, memory, or a test double.
///
/// Writes may be buffered until [`StorageBackend::sync_data`]; the engine never
/// assumes anything about the order in which unsynced writes reach the media.
#[allow(clippy::len_without_is_empty)] // a length that can fail to be read
pub trait StorageBackend: Send + Sync + 'static {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Fills `buf` from `offset`; reading past the end is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Writes `buf` at `offset`, extending the storage if needed.
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<()>;
    /// Truncates or extends to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes every completed write (and the length) durable.
    fn sync_data(&self) -> io::Result<()>;
}

/// A database file, with positioned reads and writes (pread/pwrite).
pub struct FileBackend {
    file: File,
}

impl FileBackend {
    /// Wraps an open, already locked file.
    pub fn new(file: File) -> FileBackend {
        FileBackend { file }
    }

    /// The underlying file (for locking).
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl StorageBackend for FileBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        crate::platform::read_exact_at(&self.file, buf, offset)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<()> {
        crate::platform::write_all_at(&self.file, buf, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        crate::platform::sync_file(&self.file)
    }
}

/// Bytes in memory: the backend of in-memory databases (no fsync needed).
#[derive(Default)]
pub struct MemoryBackend {
    bytes: RwLock<Vec<u8>>,
}

impl MemoryBackend {
    /// An empty memory backend.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    /// A memory backend holding `bytes` (e.g. a file image in a test).
    pub fn from_bytes(bytes: Vec<u8>) -> MemoryBackend {
        MemoryBackend {
            bytes: RwLock::new(bytes),
        }
    }

    /// A copy of the current bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.read().clone()
    }
}

impl StorageBackend for MemoryBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.bytes.read().len() as u64)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let bytes = self.bytes.read();
        let start =
            usize::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        let end = start
            .checked_add(buf.len())
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(&bytes[start..end]);
        Ok(())
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let mut bytes = self.bytes.write();
        // `as usize` would wrap past 4 GiB on 32-bit targets and write over
        // the start of the database.
        let end = usize::try_from(offset)
            .ok()
            .and_then(|start| start.checked_add(buf.len()))
            .ok_or_else(too_large)?;
        let start = end - buf.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[start..end].copy_from_slice(buf);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| too_large())?;
        self.bytes.write().resize(len, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A memory database cannot outgrow the address space.
fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        "a memory database cannot grow past the address space",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails before the fix: an offset past the address space panicked on
    /// overflow (64-bit) or wrapped and wrote over the header (32-bit).
    #[test]
    fn a_memory_backend_refuses_offsets_past_the_address_space() {
        let backend = MemoryBackend::from_bytes(vec![9; 16]);
        assert!(backend.write_at(u64::MAX - 1, &[1, 2, 3]).is_err());
        #[cfg(target_pointer_width = "32")]
        {
            assert!(backend.write_at(1 << 32, &[1]).is_err());
            assert!(backend.set_len((1 << 32) + 8).is_err());
        }
        let mut bytes = [0u8; 16];
        backend.read_at(0, &mut bytes).unwrap();
        assert_eq!(bytes, [9; 16], "nothing was overwritten or cut");
    }
}
