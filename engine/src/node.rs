//! The decoded forms of the index pages and the free-page queue pages that a
//! write transaction changes, and their encoding (`spec/format.md`, "Inner
//! pages", "Leaf pages", "Free-list pages"; `view.rs` reads the same layouts).
//!
//! Readers search committed page images in place. The writer decodes a page
//! when it copies it (copy-on-write), changes the struct, and encodes it once
//! at commit.

use crate::error::{Error, Result};
use crate::page::{self, put_u16, put_u32, put_u64, PageId, PageKind, TxId, PAGE_HEADER_LEN};
use std::sync::Arc;

pub use crate::view::{
    free_ids_per_page, Slot, ENTRY_OVERHEAD, FANOUT, FULL_DEPTH, MAX_LEVEL, ROUTE_BITS,
};
use crate::view::{
    EntryView, PageView, DEPTHS_AT, FLAG_KEY_OVERFLOW, FLAG_VALUE_OVERFLOW, FREE_IDS_AT,
    RECORD_HEADER_LEN,
};

/// A decoded page of the index or of the free-page queue.
#[derive(Clone, Debug)]
pub enum Node {
    Inner(InnerNode),
    Leaf(LeafNode),
    FreeList(FreeListNode),
}

/// A directory node of the hash trie. It routes by 9 bits of the hash per level.
///
/// A leaf child of local depth `d` (0..=9) fills the 2^(9-d) consecutive slots
/// that share the top `d` of the 9 routing bits; an inner child fills one slot
/// (depth 9). Slot order is hash order, so a walk of the trie visits keys in
/// ascending hash order.
#[derive(Clone, Debug)]
pub struct InnerNode {
    pub level: u8,
    pub slots: Box<[Slot; FANOUT]>,
}

/// A bucket of the hash trie: entries sorted by (hash, key).
///
/// The hashes are also kept in their own array: a lookup binary-searches 8
/// bytes per entry in one or two cache lines, then touches one entry.
#[derive(Clone, Debug, Default)]
pub struct LeafNode {
    hashes: Vec<u64>,
    entries: Vec<LeafEntry>,
}

impl LeafNode {
    pub fn entries(&self) -> &[LeafEntry] {
        &self.entries
    }

    /// Index of the first entry whose hash is not below `hash`.
    pub fn first_at_or_after(&self, hash: u64) -> usize {
        self.hashes.partition_point(|&h| h < hash)
    }

    pub fn insert(&mut self, index: usize, entry: LeafEntry) {
        self.hashes.insert(index, entry.hash);
        self.entries.insert(index, entry);
    }

    pub fn remove(&mut self, index: usize) -> LeafEntry {
        self.hashes.remove(index);
        self.entries.remove(index)
    }

    pub fn replace(&mut self, index: usize, entry: LeafEntry) -> LeafEntry {
        self.hashes[index] = entry.hash;
        std::mem::replace(&mut self.entries[index], entry)
    }

    /// Moves the entries from `at` on into a new leaf.
    pub fn split_off(&mut self, at: usize) -> LeafNode {
        LeafNode {
            hashes: self.hashes.split_off(at),
            entries: self.entries.split_off(at),
        }
    }

    /// Adds the entries of `other`, which all sort before (`front`) or after ours.
    pub fn join(&mut self, other: &LeafNode, front: bool) {
        if front {
            let mut joined = other.clone();
            joined.hashes.append(&mut self.hashes);
            joined.entries.append(&mut self.entries);
            *self = joined;
        } else {
            self.hashes.extend_from_slice(&other.hashes);
            self.entries.extend_from_slice(&other.entries);
        }
    }

    pub fn encoded_len(&self) -> usize {
        PAGE_HEADER_LEN
            + self
                .entries
                .iter()
                .map(LeafEntry::encoded_len)
                .sum::<usize>()
    }
}

/// One key-value pair in a leaf. The inline key and inline value share one
/// allocation, so reading a pair touches one more cache line, not two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafEntry {
    pub hash: u64,
    pub key_len: u16,
    key_inline: bool,
    /// The key (when inline), then the value (when inline).
    data: Arc<[u8]>,
    /// The overflow record's first page and the value length, when the value
    /// is not inline (the record holds the key too when it is not inline).
    overflow: Option<(PageId, u32)>,
}

impl LeafEntry {
    /// A pair stored wholly in the leaf.
    pub fn inline(hash: u64, key: &[u8], value: &[u8]) -> LeafEntry {
        let mut data = Vec::with_capacity(key.len() + value.len());
        data.extend_from_slice(key);
        data.extend_from_slice(value);
        LeafEntry {
            hash,
            key_len: key.len() as u16,
            key_inline: true,
            data: Arc::from(data),
            overflow: None,
        }
    }

    /// A copy of an entry of a page image.
    pub fn from_view(e: EntryView<'_>) -> LeafEntry {
        let mut data =
            Vec::with_capacity(e.key.map_or(0, <[u8]>::len) + e.value.map_or(0, <[u8]>::len));
        data.extend_from_slice(e.key.unwrap_or_default());
        data.extend_from_slice(e.value.unwrap_or_default());
        LeafEntry {
            hash: e.hash,
            key_len: e.key_len,
            key_inline: e.key.is_some(),
            data: Arc::from(data),
            overflow: e.overflow,
        }
    }

    /// A pair whose value (and, unless `key_inline`, key) is in the overflow
    /// record at `head`.
    pub fn in_overflow(
        hash: u64,
        key: &[u8],
        key_inline: bool,
        head: PageId,
        value_len: u32,
    ) -> LeafEntry {
        let data = if key_inline {
            key.into()
        } else {
            Arc::from(&[][..])
        };
        LeafEntry {
            hash,
            key_len: key.len() as u16,
            key_inline,
            data,
            overflow: Some((head, value_len)),
        }
    }

    /// This entry as readers see entries of page images.
    pub fn view(&self) -> EntryView<'_> {
        let key_len = self.key_len as usize;
        EntryView {
            hash: self.hash,
            key_len: self.key_len,
            key: self.key_inline.then(|| &self.data[..key_len]),
            value: match self.overflow {
                None => Some(&self.data[key_len..]),
                Some(_) => None,
            },
            overflow: self.overflow,
        }
    }

    /// Bytes this entry takes in a leaf page.
    pub fn encoded_len(&self) -> usize {
        self.view().encoded_len()
    }

    pub fn value_len(&self) -> usize {
        match self.overflow {
            Some((_, len)) => len as usize,
            None => self.data.len() - self.key_len as usize,
        }
    }
}

/// A page of the free-page queue: ids freed by transaction `freed_txid`.
#[derive(Clone, Debug, Default)]
pub struct FreeListNode {
    pub next: PageId,
    pub freed_txid: TxId,
    pub ids: Vec<PageId>,
}

impl Node {
    /// Encodes this node as the page image of page `id`, written by `txid`.
    pub fn encode(&self, id: PageId, txid: TxId, page_size: usize) -> Result<Vec<u8>> {
        let mut p = vec![0; page_size];
        self.encode_into(id, txid, &mut p)?;
        Ok(p)
    }

    /// Encodes this node into `p`, a page-sized buffer.
    pub fn encode_into(&self, id: PageId, txid: TxId, p: &mut [u8]) -> Result<()> {
        let page_size = p.len();
        match self {
            Node::Inner(inner) => {
                page::init_page(p, PageKind::Inner, id, txid);
                p[9] = inner.level;
                for (i, slot) in inner.slots.iter().enumerate() {
                    p[PAGE_HEADER_LEN + i * 6..PAGE_HEADER_LEN + i * 6 + 6]
                        .copy_from_slice(&slot.child.to_le_bytes()[..6]);
                    p[DEPTHS_AT + i] = slot.depth;
                }
            }
            Node::Leaf(leaf) => {
                if leaf.encoded_len() > page_size {
                    return Err(Error::internal(format!("leaf {id} overfull at commit")));
                }
                page::init_page(p, PageKind::Leaf, id, txid);
                let count = leaf.entries.len();
                put_u16(p, 10, count as u16);
                let offsets_at = PAGE_HEADER_LEN + 8 * count;
                let mut at = offsets_at + 2 * count;
                for (i, e) in leaf.entries.iter().enumerate() {
                    let mut flags = 0;
                    if e.overflow.is_some() {
                        flags |= FLAG_VALUE_OVERFLOW;
                    }
                    if !e.key_inline {
                        flags |= FLAG_KEY_OVERFLOW;
                    }
                    put_u64(p, PAGE_HEADER_LEN + 8 * i, e.hash);
                    put_u16(p, offsets_at + 2 * i, at as u16);
                    put_u16(p, at, e.key_len);
                    p[at + 2] = flags;
                    put_u32(p, at + 3, e.value_len() as u32);
                    at += RECORD_HEADER_LEN;
                    p[at..at + e.data.len()].copy_from_slice(&e.data);
                    at += e.data.len();
                    if let Some((head, _)) = e.overflow {
                        put_u64(p, at, head);
                        at += 8;
                    }
                }
            }
            Node::FreeList(free) => {
                if free.ids.len() > free_ids_per_page(page_size) {
                    return Err(Error::internal("free-list page overfull"));
                }
                page::init_page(p, PageKind::FreeList, id, txid);
                put_u32(p, 12, free.ids.len() as u32);
                put_u64(p, PAGE_HEADER_LEN, free.next);
                put_u64(p, PAGE_HEADER_LEN + 8, free.freed_txid);
                for (i, pid) in free.ids.iter().enumerate() {
                    put_u64(p, FREE_IDS_AT + i * 8, *pid);
                }
            }
        }
        page::seal(p);
        Ok(())
    }

    /// Decodes a page image that passed [`crate::view::validate`] into a
    /// node the writer can change.
    pub fn decode(view: PageView<'_>) -> Node {
        match view {
            PageView::Inner(inner) => {
                let mut slots = Box::new([Slot { child: 0, depth: 0 }; FANOUT]);
                for (i, slot) in slots.iter_mut().enumerate() {
                    *slot = inner.slot(i);
                }
                Node::Inner(InnerNode {
                    level: inner.level(),
                    slots,
                })
            }
            PageView::Leaf(leaf) => {
                let entries: Vec<LeafEntry> = leaf.entries().map(LeafEntry::from_view).collect();
                let hashes = entries.iter().map(|e| e.hash).collect();
                Node::Leaf(LeafNode { hashes, entries })
            }
            PageView::FreeList(free) => Node::FreeList(FreeListNode {
                next: free.next(),
                freed_txid: free.freed_txid(),
                ids: (0..free.len()).map(|i| free.id(i)).collect(),
            }),
        }
    }
}
