//! The pager: reads pages through the backend (verifying every checksum), keeps
//! decoded index pages in the [`PageCache`], writes page images in coalesced
//! runs, and hashes keys with the database's seed.

use crate::cache::PageCache;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::page::{self, FileHeader, PageId, PageKind};
use crate::storage::StorageBackend;
use crate::trie::NodeRef;
use siphasher::sip::SipHasher13;
use std::hash::Hasher;
use std::sync::Arc;

/// One open database file (or memory image): what every transaction reads through.
pub(crate) struct Store {
    backend: Box<dyn StorageBackend>,
    pub page_size: usize,
    pub header: FileHeader,
    pub cache: PageCache,
}

impl Store {
    pub fn new(backend: Box<dyn StorageBackend>, header: FileHeader, cache_bytes: usize) -> Store {
        let page_size = header.page_size as usize;
        Store {
            backend,
            page_size,
            header,
            cache: PageCache::new(cache_bytes / page_size),
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

    /// The decoded node of committed page `id`, from the cache or the disk.
    /// `page_count` bounds the page ids the node may refer to.
    pub fn node(&self, id: PageId, page_count: u64) -> Result<NodeRef<'static>> {
        if let Some(node) = self.cache.get(id) {
            return Ok(NodeRef::Cached(node));
        }
        if id < page::FIRST_DATA_PAGE || id >= page_count {
            return Err(Error::corrupted(format!(
                "page {id} is outside the database"
            )));
        }
        let buf = self.read_raw(id)?;
        let kind = page::kind_of(&buf).unwrap_or(PageKind::Leaf);
        let kind = match kind {
            PageKind::Inner | PageKind::Leaf | PageKind::FreeList => kind,
            _ => PageKind::Leaf, // verify() reports the mismatch
        };
        page::verify(&buf, id, kind)?;
        let node = Arc::new(Node::decode(&buf, id, page_count)?);
        self.cache.insert(id, node.clone());
        Ok(NodeRef::Shared(node))
    }

    /// Writes page images, sorted by id, merging runs of adjacent pages into
    /// one write each.
    pub fn write_pages(&self, pages: &mut [(PageId, Vec<u8>)]) -> Result<()> {
        pages.sort_unstable_by_key(|(id, _)| *id);
        let mut i = 0;
        let mut run = Vec::new();
        while i < pages.len() {
            let start = pages[i].0;
            let mut j = i;
            while j + 1 < pages.len() && pages[j + 1].0 == pages[j].0 + 1 && j - i < 255 {
                j += 1;
            }
            let result = if i == j {
                self.backend.write_at(self.offset(start), &pages[i].1)
            } else {
                run.clear();
                for (_, image) in &pages[i..=j] {
                    run.extend_from_slice(image);
                }
                self.backend.write_at(self.offset(start), &run)
            };
            result.map_err(|e| Error::io(&format!("writing page {start}"), e))?;
            i = j + 1;
        }
        Ok(())
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

    pub fn file_len(&self) -> Result<u64> {
        self.backend
            .len()
            .map_err(|e| Error::io("reading the file size", e))
    }
}
