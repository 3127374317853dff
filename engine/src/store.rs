//! The pager: reads pages through the backend (verifying every checksum and
//! validating index pages once), keeps their images in the [`PageCache`],
//! writes page images in coalesced runs, and hashes keys with the database's
//! seed.

use crate::cache::PageCache;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::page::{self, FileHeader, PageId, PageKind};
use crate::storage::StorageBackend;
use crate::view::{self, PageView};
use crossbeam_epoch::Guard;
use siphasher::sip::SipHasher13;
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Splits sorted page ids into runs of adjacent ids (at most 256 pages each),
/// as index ranges.
fn runs(ids: &[PageId]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start == ids.len() {
            return None;
        }
        let mut end = start + 1;
        while end < ids.len() && ids[end] == ids[end - 1] + 1 && end - start < 256 {
            end += 1;
        }
        let range = start..end;
        start = end;
        Some(range)
    })
}

/// A validated index or free-list page image: in a cache frame (valid while
/// the guard it was read under is held) or, when the cache had no room, our own.
pub(crate) enum PageRef<'a> {
    Cached(&'a [u8]),
    Owned(Vec<u8>),
}

impl PageRef<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            PageRef::Cached(p) => p,
            PageRef::Owned(p) => p,
        }
    }

    pub fn view(&self) -> PageView<'_> {
        PageView::of(self.bytes())
    }
}

/// One open database file (or memory image): what every transaction reads through.
pub(crate) struct Store {
    backend: Box<dyn StorageBackend>,
    pub page_size: usize,
    pub header: FileHeader,
    pub cache: PageCache,
    /// A length the file is known to have reached (it never shrinks while
    /// open), so that [`Store::ensure_len`] asks the backend only when the
    /// database grew.
    known_len: AtomicU64,
}

impl Store {
    pub fn new(backend: Box<dyn StorageBackend>, header: FileHeader, cache_bytes: usize) -> Store {
        let page_size = header.page_size as usize;
        Store {
            backend,
            page_size,
            header,
            cache: PageCache::new(cache_bytes / page_size, page_size),
            known_len: AtomicU64::new(0),
        }
    }

    /// The keyed 64-bit hash that places `key` in the trie (SipHash-1-3 with
    /// the per-database seed, so hostile keys cannot be aimed at one bucket).
    pub fn hash(&self, key: &[u8]) -> u64 {
        let mut h = SipHasher13::new_with_key(&self.header.seed);
        h.write(key);
        h.finish()
    }

    pub fn backend(&self) -> &dyn StorageBackend {
        &*self.backend
    }

    fn offset(&self, id: PageId) -> u64 {
        id * self.page_size as u64
    }

    /// Reads the bytes of page `id`, unverified.
    fn read_raw(&self, id: PageId) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; self.page_size];
        self.backend
            .read_at(self.offset(id), &mut buf)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => Error::corrupted(format!(
                    "page {id} lies past the end of the file (truncated file)"
                )),
                _ => Error::io(&format!("reading page {id}"), e),
            })?;
        Ok(buf)
    }

    /// Reads page `id` from the backend and verifies checksum, id and kind.
    pub fn read_page(&self, id: PageId, kind: PageKind) -> Result<Vec<u8>> {
        let buf = self.read_raw(id)?;
        page::verify(&buf, id, kind)?;
        Ok(buf)
    }

    /// The image of committed index or free-list page `id`, from the cache
    /// or the disk. `page_count` bounds the page ids it may refer to.
    #[inline]
    pub fn page<'a>(
        &'a self,
        id: PageId,
        page_count: u64,
        guard: &'a Guard,
    ) -> Result<PageRef<'a>> {
        match self.cache.get(id, guard) {
            Some(image) => Ok(PageRef::Cached(image)),
            None => self.load(id, page_count, guard),
        }
    }

    /// Reads, verifies and validates page `id` and caches it.
    #[cold]
    fn load<'a>(&'a self, id: PageId, page_count: u64, guard: &'a Guard) -> Result<PageRef<'a>> {
        if id < page::FIRST_DATA_PAGE || id >= page_count {
            return Err(Error::corrupted(format!(
                "page {id} is outside the database"
            )));
        }
        let buf = self.read_raw(id)?;
        let kind = match page::kind_of(&buf) {
            Some(kind @ (PageKind::Inner | PageKind::Leaf | PageKind::FreeList)) => kind,
            _ => PageKind::Leaf, // verify() reports the mismatch
        };
        page::verify(&buf, id, kind)?;
        view::validate(&buf, id, page_count)?;
        Ok(match self.cache.insert(id, &buf, false, guard) {
            Some(image) => PageRef::Cached(image),
            None => PageRef::Owned(buf),
        })
    }

    /// A decoded copy of committed page `id`, for the writer to change.
    pub fn node(&self, id: PageId, page_count: u64) -> Result<Node> {
        let guard = crossbeam_epoch::pin();
        Ok(Node::decode(self.page(id, page_count, &guard)?.view()))
    }

    /// Writes page images, sorted by id, merging runs of adjacent pages into
    /// one write each.
    pub fn write_pages(&self, pages: &mut [(PageId, Vec<u8>)]) -> Result<()> {
        pages.sort_unstable_by_key(|(id, _)| *id);
        let ids: Vec<PageId> = pages.iter().map(|(id, _)| *id).collect();
        let mut run = Vec::new();
        for range in runs(&ids) {
            let bytes = if range.len() == 1 {
                &pages[range.start].1
            } else {
                run.clear();
                for (_, image) in &pages[range.clone()] {
                    run.extend_from_slice(image);
                }
                &run
            };
            self.write_run(ids[range.start], bytes)?;
        }
        Ok(())
    }

    /// Writes the images in `images` (one per id, back to back) to the pages
    /// `ids`, sorted, with one write per run of adjacent pages.
    pub fn write_sorted(&self, ids: &[PageId], images: &[u8]) -> Result<()> {
        let ps = self.page_size;
        for range in runs(ids) {
            self.write_run(ids[range.start], &images[range.start * ps..range.end * ps])?;
        }
        Ok(())
    }

    fn write_run(&self, first: PageId, bytes: &[u8]) -> Result<()> {
        self.backend
            .write_at(self.offset(first), bytes)
            .map_err(|e| Error::io(&format!("writing page {first}"), e))
    }

    pub fn write_raw(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        self.backend
            .write_at(offset, bytes)
            .map_err(|e| Error::io("writing the database", e))
    }

    pub fn sync(&self) -> Result<()> {
        self.backend
            .sync_data()
            .map_err(|e| Error::io("fsync of the database file", e))
    }

    /// Extends the file to hold `page_count` pages, if it is shorter. A
    /// commit calls this before its meta page is written, so that every
    /// committed state fits its file: open refuses a page count the file
    /// cannot hold (`spec/format.md`, "Meta slots"), which bounds every
    /// allocation and walk sized by it. The pages a commit reserved or freed
    /// without writing them become a hole (zeros, sparse where the file
    /// system allows); nothing reads them before writing them.
    pub fn ensure_len(&self, page_count: u64) -> Result<()> {
        let needed = page_count.saturating_mul(self.page_size as u64);
        if self.known_len.load(Ordering::Relaxed) >= needed {
            return Ok(());
        }
        let len = self.file_len()?;
        if len < needed {
            self.backend
                .set_len(needed)
                .map_err(|e| Error::io("extending the database file", e))?;
        }
        self.known_len.store(len.max(needed), Ordering::Relaxed);
        Ok(())
    }

    pub fn file_len(&self) -> Result<u64> {
        self.backend
            .len()
            .map_err(|e| Error::io("reading the file size", e))
    }
}
