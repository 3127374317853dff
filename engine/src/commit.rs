//! The commit protocol (`spec/format.md`, "Commit and recovery"):
//!
//! 1. queue the pages this transaction stopped using (free-list pages at the
//!    reserved tail of the free-page queue);
//! 2. write every dirty page at its own, previously unused location;
//! 3. fsync; 4. write the meta page into the commit slot that does not hold
//!    the last durable commit; 5. fsync.
//!
//! A commit of at most 250 pages (4 KiB pages) whose predecessor is durable
//! skips step 3: its meta page lists the pages it wrote with their checksums,
//! and open accepts the slot only if every one of them is on disk as written.
//! (After relaxed commits the new tree also reaches their unsynced pages,
//! which no manifest lists, so such a commit takes both fsyncs.)
//!
//! Nothing the last durable commit can reach is ever overwritten, and its
//! slot is not written until a newer commit is durable in the other one, so a
//! crash at any instant leaves it or the new commit valid, and open picks the
//! valid slot with the highest txid: no recovery scan.

use crate::error::Result;
use crate::node::{free_ids_per_page, FreeListNode, Node};
use crate::page::{self, MetaPage, PageId};
use crate::txn::{Snapshot, WriteTxn};
use crate::Durability;
use std::sync::Arc;
use std::time::Duration;

/// In relaxed mode, a commit is made durable anyway when the last durable
/// one is older than this (by the next commit, or by the flush thread).
pub(crate) const RELAXED_SYNC_INTERVAL: Duration = Duration::from_secs(1);

impl WriteTxn {
    /// Makes every change of this transaction visible and (by default) durable.
    /// On error nothing of it is visible, and the database still holds the
    /// state before it. A poisoned transaction (see [`WriteTxn`]) is refused
    /// with the error that poisoned it.
    pub fn commit(mut self) -> Result<()> {
        // A poisoned transaction may be half-applied: never commit it.
        self.check_not_poisoned()?;
        if !self.changed {
            return Ok(());
        }
        if let Some(e) = &self.state.poisoned {
            return Err(e.reworded(format!("{}; close and reopen the database", e.message())));
        }
        let queue_pages = self.queue_freed_pages()?;
        let ps = self.store.page_size;
        let meta = MetaPage {
            txid: self.txid,
            root: self.root,
            key_count: self.key_count,
            page_count: self.alloc.page_count,
            free_head: self.alloc.free_head,
            free_tail: self.alloc.free_tail,
            free_head_skip: self.alloc.free_head_skip,
            free_count: self.alloc.free_count,
        };
        let durable =
            self.shared.options.durability == Durability::Immediate || self.state.durability_due();
        // Every page of the new tree is either written by this commit or was
        // synced by the last durable one, only if no relaxed commit came since.
        let predecessor_durable = self.state.durable_txid == self.state.meta.txid;

        // Failures before the meta write leave the committed state untouched:
        // every page written so far was free in it.
        let mut manifest = self.write_nodes(queue_pages)?;
        self.store.ensure_len(meta.page_count)?;
        // The pages of the new state: the nodes just written and the overflow
        // records written earlier (unless their page was freed or rewritten).
        let in_images: hashbrown::HashSet<PageId> = manifest.iter().map(|(id, _)| *id).collect();
        let mut overflow: hashbrown::HashMap<PageId, u64> = hashbrown::HashMap::new();
        for &(id, sum) in &self.overflow_written {
            overflow.insert(id, sum); // a page rewritten later: the last image counts
        }
        // The reserved queue tail is allocated but holds nothing yet (it may
        // have held an overflow page earlier in this transaction).
        let tail = self.alloc.free_tail;
        manifest.extend(
            overflow.into_iter().filter(|(id, _)| {
                self.alloc.is_fresh(*id) && !in_images.contains(id) && *id != tail
            }),
        );
        let single_sync =
            durable && predecessor_durable && manifest.len() <= page::manifest_capacity(ps);
        if durable {
            // Two ways to durability. A small commit writes its meta page at
            // once, listing the pages it wrote with their checksums, and fsyncs
            // once: open trusts the slot only if every listed page is on disk
            // as written. A large one fsyncs its pages first, then the meta page.
            if !single_sync {
                self.store.sync()?;
                manifest.clear();
            }
            // From here on the disk may or may not hold the new state, so a
            // failure poisons the writer rather than risk reusing its pages.
            let slot = MetaPage::other_slot(self.state.durable_slot);
            let meta_image = meta.encode(ps, slot, &manifest);
            let written = self
                .store
                .write_raw(slot * ps as u64, &meta_image)
                .and_then(|()| self.store.sync());
            if let Err(e) = written {
                self.state.poisoned = Some(e.clone());
                return Err(e);
            }
            self.state.made_durable(meta.txid, slot);
        }

        // Publish the new state.
        let snapshot = Arc::new(Snapshot::new(meta, self.store.clone()));
        self.state.meta = meta;
        self.state.live.push(Arc::downgrade(&snapshot));
        self.shared.current.store(snapshot);
        Ok(())
    }

    /// Encodes and writes every dirty node and the new queue pages, a chunk
    /// at a time (so a large commit needs no second copy of its pages in
    /// memory), and puts the images in the cache. Returns each page's
    /// checksum for the manifest.
    ///
    /// Caching before the commit is durable is safe: every page written here
    /// was free in every state a reader can see, so no reader asks for it
    /// until the new state is published; if the commit fails, its ids are
    /// free again and the next writer of each id replaces its image.
    fn write_nodes(&mut self, queue_pages: Vec<(PageId, Node)>) -> Result<Vec<(PageId, u64)>> {
        const CHUNK: usize = 256;
        let ps = self.store.page_size;
        let mut nodes: Vec<(PageId, Node)> = self.dirty.drain().chain(queue_pages).collect();
        nodes.sort_unstable_by_key(|(id, _)| *id);
        {
            // An overflow page of this transaction may sit where an older
            // index page is still cached.
            let guard = crossbeam_epoch::pin();
            let ids: Vec<PageId> = self.overflow_written.iter().map(|(id, _)| *id).collect();
            self.store.cache.remove(&ids, &guard);
        }
        let mut manifest = Vec::with_capacity(nodes.len());
        let mut buf = vec![0u8; CHUNK.min(nodes.len()) * ps];
        let mut ids = Vec::with_capacity(CHUNK);
        for chunk in nodes.chunks(CHUNK) {
            ids.clear();
            for ((id, node), image) in chunk.iter().zip(buf.chunks_mut(ps)) {
                node.encode_into(*id, self.txid, image)?;
                manifest.push((*id, page::checksum_of(image)));
                ids.push(*id);
            }
            let images = &buf[..chunk.len() * ps];
            self.store.write_sorted(&ids, images)?;
            let guard = crossbeam_epoch::pin();
            for (id, image) in ids.iter().zip(images.chunks(ps)) {
                self.store.cache.insert(*id, image, true, &guard);
            }
        }
        Ok(manifest)
    }

    /// Writes the ids of every page this transaction stopped using into new
    /// free-list pages chained at the queue's reserved tail, and reserves a
    /// new tail. Returns the queue pages to write.
    fn queue_freed_pages(&mut self) -> Result<Vec<(PageId, Node)>> {
        let per_page = free_ids_per_page(self.store.page_size);
        let mut chain = vec![self.alloc.free_tail];
        // Allocating chain pages can itself free a used-up queue head page, so
        // iterate until the chain holds every id.
        loop {
            let pending = self.alloc.freed.len() + self.alloc.unused_fresh();
            if pending == 0 && chain.len() == 1 {
                return Ok(Vec::new());
            }
            if chain.len() > pending.div_ceil(per_page) {
                break;
            }
            chain.push(self.alloc.alloc(&self.store)?);
        }
        let mut ids = std::mem::take(&mut self.alloc.freed);
        ids.extend(self.alloc.take_unused_fresh());
        // The old versions of the pages this commit copied are of use only
        // to older snapshots, which can read them from the disk: give their
        // frames to live pages rather than let the cache fill with garbage.
        self.store.cache.remove(&ids, &crossbeam_epoch::pin());
        self.alloc.free_count += ids.len() as u64;
        let mut chunks = ids.chunks(per_page);
        let pages = chain
            .windows(2)
            .map(|w| {
                let node = FreeListNode {
                    next: w[1],
                    freed_txid: self.txid,
                    ids: chunks.next().unwrap_or(&[]).to_vec(),
                };
                (w[0], Node::FreeList(node))
            })
            .collect();
        self.alloc.free_tail = *chain.last().unwrap();
        Ok(pages)
    }
}
