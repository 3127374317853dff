//! How a database is opened: [`Options`] and [`Durability`].

use std::time::Duration;

/// When a commit reaches the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// A commit returns only after its pages and its meta page are fsynced.
    #[default]
    Immediate,
    /// Commits are applied and visible at once but only made durable by the
    /// next [`crate::Database::sync`], by closing the database, or about a second
    /// after the last durable one (by the next commit, or, for a file database,
    /// by a background flush thread when no commit comes; in-memory and custom
    /// backends have no thread). A crash (a killed process too) loses at most
    /// the commits since the last durable one and never corrupts the file:
    /// pages that the durable state still uses are not reused, and its commit
    /// slot is not written, until a newer state is durable. `docs/durability.md`
    /// states each mode's promises and the tests that prove them.
    Relaxed,
}

/// Options for [`crate::Database::open_with`].
///
/// ```
/// let opts = nookdb::Options::new().cache_size(16 << 20).durability(nookdb::Durability::Relaxed);
/// assert_eq!(opts.cache_size, 16 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Create the file if it does not exist (default `true`).
    pub create: bool,
    /// Open read-only: every write fails with `READ_ONLY`, and the file is
    /// locked shared so other read-only processes may open it too.
    pub read_only: bool,
    /// When commits become durable.
    pub durability: Durability,
    /// Bytes of page cache (default 64 MiB; at least 16 pages and at most
    /// 1 TiB are used). Resident memory stays near this whatever the file size.
    pub cache_size: usize,
    /// How long a write waits for the single writer slot while another
    /// write transaction holds it (default 5 s): `begin_write`, auto-commit
    /// writes, `sync` and `compact` give `BUSY` after it, so a thread that
    /// writes through the database while it holds a write transaction gets an
    /// error instead of waiting for itself. `Duration::ZERO` fails at once;
    /// `Duration::MAX` waits forever. Each handle keeps the timeout it was
    /// opened with.
    pub busy_timeout: Duration,
    /// Page size of a newly created file: a power of two from 4096 to 65536
    /// (default 4096). An existing file keeps the page size it was created with.
    pub page_size: u32,
    /// Test seam: the clock relaxed durability reads instead of the system's
    /// (the crash simulation moves it to reach the timed durable points).
    #[doc(hidden)]
    pub clock: Option<crate::clock::ManualClock>,
}

/// Default page cache size: 64 MiB.
pub const DEFAULT_CACHE_SIZE: usize = 64 << 20;
/// Default busy timeout: 5 seconds.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Default page size: 4 KiB.
pub const DEFAULT_PAGE_SIZE: u32 = 4096;

impl Default for Options {
    fn default() -> Options {
        Options {
            create: true,
            read_only: false,
            durability: Durability::Immediate,
            cache_size: DEFAULT_CACHE_SIZE,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            page_size: DEFAULT_PAGE_SIZE,
            clock: None,
        }
    }
}

impl Options {
    /// The defaults: create if absent, read-write, immediate durability, 64 MiB cache.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets [`Options::create`].
    pub fn create(mut self, create: bool) -> Options {
        self.create = create;
        self
    }

    /// Sets [`Options::read_only`].
    pub fn read_only(mut self, read_only: bool) -> Options {
        self.read_only = read_only;
        self
    }

    /// Sets [`Options::durability`].
    pub fn durability(mut self, durability: Durability) -> Options {
        self.durability = durability;
        self
    }

    /// Sets [`Options::cache_size`] in bytes (at least 16 pages and at most
    /// 1 TiB are used, whatever is asked).
    pub fn cache_size(mut self, bytes: usize) -> Options {
        self.cache_size = bytes;
        self
    }

    /// Sets [`Options::busy_timeout`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Options {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`Options::page_size`] for a new file.
    pub fn page_size(mut self, bytes: u32) -> Options {
        self.page_size = bytes;
        self
    }

    /// Test seam: relaxed durability reads `clock` instead of the system clock.
    #[doc(hidden)]
    pub fn manual_clock(mut self, clock: crate::clock::ManualClock) -> Options {
        self.clock = Some(clock);
        self
    }
}
