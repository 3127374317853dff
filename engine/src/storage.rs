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
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
        }
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < buf.len() {
                let n = std::os::windows::fs::FileExt::seek_read(
                    &self.file,
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

    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<()> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::write_all_at(&self.file, buf, offset)
        }
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < buf.len() {
                done += std::os::windows::fs::FileExt::seek_write(
                    &self.file,
                    &buf[done..],
                    offset + done as u64,
                )?;
            }
            Ok(())
        }
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
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
        let start = offset as usize;
        let end = start + buf.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[start..end].copy_from_slice(buf);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.bytes.write().resize(len as usize, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }
}
