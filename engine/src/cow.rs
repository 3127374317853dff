//! The write transaction's changes to the trie: copy-on-write of the path
//! from the root to a leaf, leaf entries (inline or in overflow records),
//! splits when a leaf fills and merges when it empties (`spec/format.md`,
//! "Split", "Merge").

use crate::error::{Error, ErrorKind, Result};
use crate::node::{
    InnerNode, LeafEntry, Node, Slot, ENTRY_OVERHEAD, FANOUT, FULL_DEPTH, MAX_LEVEL,
};
use crate::overflow;
use crate::page::{PageId, PAGE_HEADER_LEN};
use crate::trie::{self, IndexNode, LeafRef, NodeSource};
use crate::txn::WriteTxn;

impl WriteTxn {
    /// Builds the leaf entry for a pair, writing an overflow record if the
    /// pair is too large to sit in a leaf (more than a quarter of a page).
    pub(crate) fn make_entry(&mut self, hash: u64, key: &[u8], value: &[u8]) -> Result<LeafEntry> {
        let max_inline = (self.store.page_size - PAGE_HEADER_LEN) / 4;
        if ENTRY_OVERHEAD + key.len() + value.len() <= max_inline {
            return Ok(LeafEntry::inline(hash, key, value));
        }
        let key_inline = ENTRY_OVERHEAD + key.len() + 8 <= max_inline;
        let parts: &[&[u8]] = if key_inline { &[value] } else { &[key, value] };
        let store = self.store.clone();
        let alloc = &mut self.alloc;
        let head = overflow::write(
            &store,
            self.txid,
            parts,
            || alloc.alloc(&store),
            &mut self.overflow_written,
        )?;
        Ok(LeafEntry::in_overflow(
            hash,
            key,
            key_inline,
            head,
            value.len() as u32,
        ))
    }

    /// Frees the overflow record of an entry that left the trie.
    pub(crate) fn free_entry(&mut self, entry: &LeafEntry) -> Result<()> {
        let entry = entry.view();
        if let Some((head, value_len)) = entry.overflow {
            let len = entry.overflow_skip() + value_len as usize;
            for p in overflow::pages(&self.store, head, len, self.alloc.page_count)? {
                self.alloc.free(p);
            }
        }
        Ok(())
    }

    /// Makes page `id` writable in this transaction: a page already written by
    /// it is used as is; a committed page is copied to a newly allocated page.
    fn cow(&mut self, id: PageId) -> Result<PageId> {
        if self.dirty.contains_key(&id) {
            return Ok(id);
        }
        let node = self.store.node(id, self.alloc.page_count)?;
        let new_id = self.alloc.alloc(&self.store)?;
        self.alloc.free(id);
        self.dirty.insert(new_id, node);
        Ok(new_id)
    }

    fn inner_mut(&mut self, id: PageId) -> Result<&mut InnerNode> {
        match self.dirty.get_mut(&id) {
            Some(Node::Inner(n)) => Ok(n),
            _ => Err(Error::corrupted(format!(
                "page {id}: expected an inner node of the index"
            ))),
        }
    }

    /// Copies the path from the root to the leaf of `hash` into this
    /// transaction. Returns the (inner page, slot index) pairs and the leaf.
    pub(crate) fn cow_path(&mut self, hash: u64) -> Result<(Vec<(PageId, usize)>, PageId)> {
        self.root = self.cow(self.root)?;
        let mut path = Vec::new();
        let mut cur = self.root;
        loop {
            let (level, index, slot) = match self.dirty.get(&cur) {
                Some(Node::Inner(n)) => {
                    let i = trie::route(hash, n.level);
                    (n.level, i, n.slots[i])
                }
                Some(Node::Leaf(_)) => return Ok((path, cur)),
                _ => return Err(Error::corrupted(format!("page {cur}: not an index page"))),
            };
            let child = self.cow(slot.child)?;
            match self.dirty.get(&child) {
                Some(Node::Inner(c)) if c.level == level + 1 && slot.depth == FULL_DEPTH => {}
                Some(Node::Leaf(_)) => {}
                _ => {
                    let old = slot.child;
                    return Err(Error::corrupted(format!(
                        "page {old}: misplaced in the index"
                    )));
                }
            }
            if child != slot.child {
                let (start, width) = slot.range(index);
                for s in &mut self.inner_mut(cur)?.slots[start..start + width] {
                    s.child = child;
                }
            }
            path.push((cur, index));
            cur = child;
        }
    }

    /// Puts `entry` in its leaf, splitting leaves until it fits. Returns
    /// whether it replaced an entry with the same key.
    pub(crate) fn set_entry(&mut self, hash: u64, key: &[u8], entry: LeafEntry) -> Result<bool> {
        let page_size = self.store.page_size;
        loop {
            let (path, leaf_id) = self.cow_path(hash)?;
            let Some(Node::Leaf(leaf)) = self.dirty.get(&leaf_id) else {
                return Err(Error::internal("cow_path did not end at a leaf"));
            };
            let position = trie::find_in_leaf(self, LeafRef::Node(leaf), hash, key)?;
            let old_len = match position {
                Ok(i) => leaf.entries()[i].encoded_len(),
                Err(_) => 0,
            };
            if leaf.encoded_len() - old_len + entry.encoded_len() <= page_size {
                let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
                    unreachable!()
                };
                return match position {
                    Ok(i) => {
                        let old = leaf.replace(i, entry);
                        self.free_entry(&old)?;
                        Ok(true)
                    }
                    Err(i) => {
                        leaf.insert(i, entry);
                        Ok(false)
                    }
                };
            }
            let &(parent, index) = path
                .last()
                .ok_or_else(|| Error::internal("a leaf without a parent"))?;
            self.split(parent, index, leaf_id)?;
        }
    }

    /// Splits the full leaf at `parent.slots[index]` in two by the next bit of
    /// the hash, or pushes it one level down when it already fills one slot.
    fn split(&mut self, parent: PageId, index: usize, leaf_id: PageId) -> Result<()> {
        let inner = self.inner_mut(parent)?;
        let (level, slot) = (inner.level, inner.slots[index]);
        if slot.depth >= FULL_DEPTH {
            if level == MAX_LEVEL {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "too many keys share the top 63 bits of one keyed hash (odds below 2^-200 for honest keys); this leaf cannot split",
                ));
            }
            let child = InnerNode {
                level: level + 1,
                slots: Box::new(
                    [Slot {
                        child: leaf_id,
                        depth: 0,
                    }; FANOUT],
                ),
            };
            let child_id = self.alloc.alloc(&self.store)?;
            self.dirty.insert(child_id, Node::Inner(child));
            self.inner_mut(parent)?.slots[index] = Slot {
                child: child_id,
                depth: FULL_DEPTH,
            };
            return Ok(());
        }
        let (start, width) = slot.range(index);
        let mid = start + width / 2;
        let right_id = self.alloc.alloc(&self.store)?;
        let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
            return Err(Error::internal("split of a non-leaf"));
        };
        let cut = leaf
            .entries()
            .partition_point(|e| trie::route(e.hash, level) < mid);
        let right = leaf.split_off(cut);
        self.dirty.insert(right_id, Node::Leaf(right));
        let depth = slot.depth + 1;
        let slots = &mut self.inner_mut(parent)?.slots;
        for s in &mut slots[start..mid] {
            *s = Slot {
                child: leaf_id,
                depth,
            };
        }
        for s in &mut slots[mid..start + width] {
            *s = Slot {
                child: right_id,
                depth,
            };
        }
        Ok(())
    }

    /// After a delete, merges the leaf with its buddy while both fit in three
    /// quarters of a page (the slack avoids split/merge ping-pong), and folds
    /// an inner node that is down to one leaf back into its parent.
    pub(crate) fn merge_after_delete(
        &mut self,
        path: &[(PageId, usize)],
        leaf_id: PageId,
    ) -> Result<()> {
        let budget = self.store.page_size * 3 / 4;
        let mut level_index = path.len();
        while level_index > 0 {
            let (parent, index) = path[level_index - 1];
            let slot = self.inner_mut(parent)?.slots[index];
            if slot.depth == 0 {
                // The leaf fills its parent alone: replace the parent by the leaf.
                if level_index < 2 {
                    return Ok(());
                }
                let (grand, gindex) = path[level_index - 2];
                self.inner_mut(grand)?.slots[gindex] = Slot {
                    child: leaf_id,
                    depth: FULL_DEPTH,
                };
                self.dirty.remove(&parent);
                self.alloc.free(parent);
                level_index -= 1;
                continue;
            }
            let (start, width) = slot.range(index);
            let buddy_start = start ^ width;
            let buddy = self.inner_mut(parent)?.slots[buddy_start];
            if buddy.depth != slot.depth {
                return Ok(());
            }
            let buddy_id = buddy.child;
            let Some(Node::Leaf(leaf)) = self.dirty.get(&leaf_id) else {
                return Err(Error::internal("merge of a non-leaf"));
            };
            let leaf_len = leaf.encoded_len();
            // Size the buddy in place: most buddies are not merged, so
            // decoding each one would be wasted.
            let fits = {
                let guard = crossbeam_epoch::pin();
                let node = self.node(buddy_id, &guard)?;
                match node.index(buddy_id)? {
                    IndexNode::Leaf(b) => leaf_len + b.encoded_len() - PAGE_HEADER_LEN <= budget,
                    IndexNode::Inner(_) => return Ok(()),
                }
            };
            if !fits {
                return Ok(());
            }
            let buddy_leaf = match self.dirty.get(&buddy_id) {
                Some(Node::Leaf(n)) => n.clone(),
                _ => match self.store.node(buddy_id, self.alloc.page_count)? {
                    Node::Leaf(n) => n,
                    _ => return Err(Error::internal("a buddy leaf changed kind")),
                },
            };
            let Some(Node::Leaf(leaf)) = self.dirty.get_mut(&leaf_id) else {
                unreachable!()
            };
            leaf.join(&buddy_leaf, buddy_start < start);
            self.dirty.remove(&buddy_id);
            self.alloc.free(buddy.child);
            let lo = start.min(buddy_start);
            let depth = slot.depth - 1;
            for s in &mut self.inner_mut(parent)?.slots[lo..lo + 2 * width] {
                *s = Slot {
                    child: leaf_id,
                    depth,
                };
            }
        }
        Ok(())
    }
}
