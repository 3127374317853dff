//! Page allocation for one write transaction, over the persistent free-page
//! queue (`spec/format.md`, "Free-page queue").
//!
//! The queue is a singly linked chain of free-list pages in commit order,
//! oldest first. Each commit appends the pages it stopped using as new queue
//! pages written at the reserved tail, and allocations take ids from the head
//! once no snapshot can still see them. Both ends move by whole pages, so a
//! commit writes O(pages it changed) queue pages whatever the file size.

use crate::error::{Error, Result};
use crate::page::{MetaPage, PageId, TxId, MAX_PAGE_ID};
use crate::store::Store;
use crate::view::PageView;
use hashbrown::HashSet;

pub(crate) struct Allocator {
    pub page_count: u64,
    pub free_head: PageId,
    pub free_tail: PageId,
    pub free_head_skip: u32,
    pub free_count: u64,
    /// Queue pages freed by transactions up to this one may be reused: every
    /// live snapshot and the durable state are at least this new.
    reuse_limit: TxId,
    /// Pages allocated by this transaction (their old contents matter to no one).
    fresh: HashSet<PageId>,
    /// Fresh pages this transaction allocated and then stopped using.
    txn_free: Vec<PageId>,
    /// Committed pages this transaction stopped using; queued at commit.
    pub freed: Vec<PageId>,
    /// Queue pages this transaction used up: the queue is a chain, so meeting
    /// one again means a (forged) loop.
    used_up: HashSet<PageId>,
}

impl Allocator {
    pub fn new(meta: &MetaPage, reuse_limit: TxId) -> Allocator {
        Allocator {
            page_count: meta.page_count,
            free_head: meta.free_head,
            free_tail: meta.free_tail,
            free_head_skip: meta.free_head_skip,
            free_count: meta.free_count,
            reuse_limit,
            fresh: HashSet::new(),
            txn_free: Vec::new(),
            freed: Vec::new(),
            used_up: HashSet::new(),
        }
    }

    /// A page this transaction may write: one it freed itself, one from the
    /// head of the queue, or a new one at the end of the file.
    pub fn alloc(&mut self, store: &Store) -> Result<PageId> {
        let id = match self.txn_free.pop() {
            Some(id) => id,
            None => match self.pop_queue(store)? {
                Some(id) => id,
                None => {
                    if self.page_count > MAX_PAGE_ID {
                        return Err(Error::new(
                            crate::ErrorKind::DiskFull,
                            "the database reached its maximum of 2^48 pages",
                        ));
                    }
                    self.page_count += 1;
                    self.page_count - 1
                }
            },
        };
        self.fresh.insert(id);
        Ok(id)
    }

    fn pop_queue(&mut self, store: &Store) -> Result<Option<PageId>> {
        // Each turn returns or uses up a queue page never used up before, so
        // the walk ends within `page_count` turns (which open bounds by the
        // file), even in a forged queue that links back on itself.
        loop {
            if self.free_head == self.free_tail {
                return Ok(None);
            }
            let guard = crossbeam_epoch::pin();
            let page = store.page(self.free_head, self.page_count, &guard)?;
            let PageView::FreeList(head) = page.view() else {
                return Err(Error::corrupted(format!(
                    "page {}: the free-page queue refers to a page that is not a free-list page",
                    self.free_head
                )));
            };
            if head.freed_txid() > self.reuse_limit {
                return Ok(None);
            }
            let skip = self.free_head_skip as usize;
            if skip < head.len() {
                self.free_head_skip += 1;
                self.free_count = self.free_count.saturating_sub(1);
                return Ok(Some(head.id(skip)));
            }
            // The head page is used up: it is free too, from this transaction on.
            if !self.used_up.insert(self.free_head) {
                return Err(Error::corrupted(format!(
                    "page {}: the free-page queue loops back to it",
                    self.free_head
                )));
            }
            self.freed.push(self.free_head);
            self.free_head = head.next();
            self.free_head_skip = 0;
        }
    }

    /// Marks `id` as no longer used by the new state.
    pub fn free(&mut self, id: PageId) {
        if self.fresh.remove(&id) {
            self.txn_free.push(id);
        } else {
            self.freed.push(id);
        }
    }

    /// Whether this transaction allocated `id` and still uses it.
    pub fn is_fresh(&self, id: PageId) -> bool {
        self.fresh.contains(&id)
    }

    /// How many pages this transaction allocated and then stopped using.
    pub fn unused_fresh(&self) -> usize {
        self.txn_free.len()
    }

    /// Takes the pages this transaction allocated and then stopped using (at
    /// commit they join the queue like any freed page).
    pub fn take_unused_fresh(&mut self) -> Vec<PageId> {
        std::mem::take(&mut self.txn_free)
    }
}
