//! The decoded forms of the index pages and the free-page queue pages, and
//! their byte layouts (`spec/format.md`, "Inner pages", "Leaf pages",
//! "Free-list pages").
//!
//! Pages are decoded once when they enter the cache and encoded once when a
//! transaction commits; everything in between works on these structs.

use crate::error::{Error, Result};
use crate::page::{
    self, get_u16, get_u32, get_u64, put_u16, put_u32, put_u64, PageId, PageKind, TxId,
    PAGE_HEADER_LEN,
};
use std::sync::Arc;

/// Hash bits an inner node routes by.
pub const ROUTE_BITS: u32 = 9;
/// Slots of an inner node: one per value of its 9 hash bits.
pub const FANOUT: usize = 1 << ROUTE_BITS;
/// Local depth of a child that fills exactly one slot (any inner child).
pub const FULL_DEPTH: u8 = ROUTE_BITS as u8;
/// Deepest inner node level: levels 0..=6 route by 63 bits of the hash.
pub const MAX_LEVEL: u8 = 6;
/// Byte offset of the slots' local depths (after 6-byte child ids).
const DEPTHS_AT: usize = PAGE_HEADER_LEN + FANOUT * 6;
/// Bytes of a leaf entry before its key: hash, key length, flags, value length.
pub const ENTRY_HEADER_LEN: usize = 15;
/// Byte offset of the first free-list id.
const FREE_IDS_AT: usize = PAGE_HEADER_LEN + 16;

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

/// One slot of an inner node: a child page and its local depth. Packed (9
/// bytes): copying an inner node for a write moves 4.6 KB, not 8 KB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Slot {
    pub child: PageId,
    pub depth: u8,
}

impl Slot {
    fn decode(id: &[u8], depth: u8) -> Slot {
        let mut raw = [0u8; 8];
        raw[..6].copy_from_slice(id);
        Slot {
            child: u64::from_le_bytes(raw),
            depth,
        }
    }

    /// The first slot index and the number of slots this child fills, given
    /// one index it fills.
    pub fn range(self, index: usize) -> (usize, usize) {
        let width = 1usize << (FULL_DEPTH - self.depth.min(FULL_DEPTH));
        (index & !(width - 1), width)
    }
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

const FLAG_VALUE_OVERFLOW: u8 = 1;
const FLAG_KEY_OVERFLOW: u8 = 2;

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

    /// The key, when it is stored in the leaf.
    pub fn key(&self) -> Option<&[u8]> {
        self.key_inline.then(|| &self.data[..self.key_len as usize])
    }

    /// The value, when it is stored in the leaf.
    pub fn inline_value(&self) -> Option<&[u8]> {
        match self.overflow {
            None => Some(&self.data[self.key_len as usize..]),
            Some(_) => None,
        }
    }

    /// The overflow record's first page and the value length.
    pub fn overflow(&self) -> Option<(PageId, u32)> {
        self.overflow
    }

    /// Bytes of the overflow record before the value (the key, if not inline).
    pub fn overflow_skip(&self) -> usize {
        if self.key_inline {
            0
        } else {
            self.key_len as usize
        }
    }

    /// Bytes this entry takes in a leaf page.
    pub fn encoded_len(&self) -> usize {
        ENTRY_HEADER_LEN + self.data.len() + if self.overflow.is_some() { 8 } else { 0 }
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

/// How many ids fit in one free-list page.
pub fn free_ids_per_page(page_size: usize) -> usize {
    (page_size - FREE_IDS_AT) / 8
}

impl Node {
    /// Encodes this node as the page image of page `id`, written by `txid`.
    pub fn encode(&self, id: PageId, txid: TxId, page_size: usize) -> Result<Vec<u8>> {
        let mut p;
        match self {
            Node::Inner(inner) => {
                p = page::new_page(page_size, PageKind::Inner, id, txid);
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
                p = page::new_page(page_size, PageKind::Leaf, id, txid);
                put_u16(&mut p, 10, leaf.entries.len() as u16);
                let mut at = PAGE_HEADER_LEN;
                for e in &leaf.entries {
                    let mut flags = 0;
                    if e.overflow.is_some() {
                        flags |= FLAG_VALUE_OVERFLOW;
                    }
                    if !e.key_inline {
                        flags |= FLAG_KEY_OVERFLOW;
                    }
                    put_u64(&mut p, at, e.hash);
                    put_u16(&mut p, at + 8, e.key_len);
                    p[at + 10] = flags;
                    put_u32(&mut p, at + 11, e.value_len() as u32);
                    at += ENTRY_HEADER_LEN;
                    p[at..at + e.data.len()].copy_from_slice(&e.data);
                    at += e.data.len();
                    if let Some((head, _)) = e.overflow {
                        put_u64(&mut p, at, head);
                        at += 8;
                    }
                }
            }
            Node::FreeList(free) => {
                if free.ids.len() > free_ids_per_page(page_size) {
                    return Err(Error::internal("free-list page overfull"));
                }
                p = page::new_page(page_size, PageKind::FreeList, id, txid);
                put_u32(&mut p, 12, free.ids.len() as u32);
                put_u64(&mut p, PAGE_HEADER_LEN, free.next);
                put_u64(&mut p, PAGE_HEADER_LEN + 8, free.freed_txid);
                for (i, pid) in free.ids.iter().enumerate() {
                    put_u64(&mut p, FREE_IDS_AT + i * 8, *pid);
                }
            }
        }
        page::seal(&mut p);
        Ok(p)
    }

    /// Decodes a verified page. Every length is bounds-checked: a hostile page
    /// gives `CORRUPTED`, never a panic or an allocation sized by its fields.
    pub fn decode(p: &[u8], id: PageId, page_count: u64) -> Result<Node> {
        let bad = |what: &str| Error::corrupted(format!("page {id}: {what}"));
        let check_id = |pid: PageId| {
            if pid < page::FIRST_DATA_PAGE || pid >= page_count {
                Err(bad(&format!("refers to page {pid}, outside the database")))
            } else {
                Ok(pid)
            }
        };
        match page::kind_of(p) {
            Some(PageKind::Inner) => {
                let level = p[9];
                if level > MAX_LEVEL {
                    return Err(bad("inner node level out of range"));
                }
                let mut slots = Box::new([Slot { child: 0, depth: 0 }; FANOUT]);
                for (i, slot) in slots.iter_mut().enumerate() {
                    *slot = Slot::decode(
                        &p[PAGE_HEADER_LEN + i * 6..PAGE_HEADER_LEN + i * 6 + 6],
                        p[DEPTHS_AT + i],
                    );
                    check_id(slot.child)?;
                    if slot.depth > FULL_DEPTH {
                        return Err(bad("slot depth out of range"));
                    }
                }
                // Each child must fill exactly its aligned range.
                let mut i = 0;
                while i < FANOUT {
                    let (start, width) = slots[i].range(i);
                    if start != i || slots[i..i + width].iter().any(|s| *s != slots[i]) {
                        return Err(bad("slots do not form aligned ranges"));
                    }
                    i += width;
                }
                Ok(Node::Inner(InnerNode { level, slots }))
            }
            Some(PageKind::Leaf) => {
                let count = get_u16(p, 10) as usize;
                let mut entries = Vec::with_capacity(count.min(p.len() / ENTRY_HEADER_LEN));
                let mut at = PAGE_HEADER_LEN;
                for _ in 0..count {
                    if at + ENTRY_HEADER_LEN > p.len() {
                        return Err(bad("leaf entries run past the page"));
                    }
                    let hash = get_u64(p, at);
                    let key_len = get_u16(p, at + 8);
                    let flags = p[at + 10];
                    let value_len = get_u32(p, at + 11);
                    at += ENTRY_HEADER_LEN;
                    if flags & !(FLAG_VALUE_OVERFLOW | FLAG_KEY_OVERFLOW) != 0
                        || (flags & FLAG_KEY_OVERFLOW != 0 && flags & FLAG_VALUE_OVERFLOW == 0)
                        || key_len == 0
                        || key_len as usize > crate::MAX_KEY_LEN
                        || value_len as usize > crate::MAX_VALUE_LEN
                    {
                        return Err(bad("leaf entry has invalid flags or lengths"));
                    }
                    let key_inline = flags & FLAG_KEY_OVERFLOW == 0;
                    let value_inline = flags & FLAG_VALUE_OVERFLOW == 0;
                    let data_len = if key_inline { key_len as usize } else { 0 }
                        + if value_inline { value_len as usize } else { 0 };
                    let data: Arc<[u8]> = p
                        .get(at..at + data_len)
                        .ok_or_else(|| bad("leaf entry runs past the page"))?
                        .into();
                    at += data_len;
                    let overflow = if value_inline {
                        None
                    } else {
                        let head = p
                            .get(at..at + 8)
                            .ok_or_else(|| bad("leaf overflow ref runs past the page"))?;
                        at += 8;
                        Some((
                            check_id(u64::from_le_bytes(head.try_into().unwrap()))?,
                            value_len,
                        ))
                    };
                    entries.push(LeafEntry {
                        hash,
                        key_len,
                        key_inline,
                        data,
                        overflow,
                    });
                }
                if entries.windows(2).any(|w| w[0].hash > w[1].hash) {
                    return Err(bad("leaf entries are not in hash order"));
                }
                let hashes = entries.iter().map(|e| e.hash).collect();
                Ok(Node::Leaf(LeafNode { hashes, entries }))
            }
            Some(PageKind::FreeList) => {
                let count = get_u32(p, 12) as usize;
                if count > free_ids_per_page(p.len()) {
                    return Err(bad("free-list count too large"));
                }
                let next = check_id(get_u64(p, PAGE_HEADER_LEN))?;
                let freed_txid = get_u64(p, PAGE_HEADER_LEN + 8);
                let ids = (0..count)
                    .map(|i| check_id(get_u64(p, FREE_IDS_AT + i * 8)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Node::FreeList(FreeListNode {
                    next,
                    freed_txid,
                    ids,
                }))
            }
            _ => Err(bad("not an index or free-list page")),
        }
    }
}
