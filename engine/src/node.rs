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

/// Slots of an inner node: one per value of one byte of the key hash.
pub const FANOUT: usize = 256;
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

/// A directory node of the hash trie. It routes by byte `level` of the hash.
///
/// A leaf child of local depth `d` (0..=8) fills the 2^(8-d) consecutive slots
/// that share the top `d` bits of that byte; an inner child fills one slot
/// (depth 8). Slot order is hash order, so a walk of the trie visits keys in
/// ascending hash order.
#[derive(Clone, Debug)]
pub struct InnerNode {
    pub level: u8,
    pub slots: Box<[Slot; FANOUT]>,
}

/// One slot of an inner node: a child page and its local depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub child: PageId,
    pub depth: u8,
}

impl Slot {
    fn encode(self) -> u64 {
        self.child | (self.depth as u64) << 48
    }

    fn decode(raw: u64) -> Slot {
        Slot {
            child: raw & page::MAX_PAGE_ID,
            depth: (raw >> 48) as u8,
        }
    }

    /// The first slot index and the number of slots this child fills, given
    /// one index it fills.
    pub fn range(self, index: usize) -> (usize, usize) {
        let width = 1usize << (8 - self.depth.min(8));
        (index & !(width - 1), width)
    }
}

/// A bucket of the hash trie: entries sorted by (hash, key).
#[derive(Clone, Debug, Default)]
pub struct LeafNode {
    pub entries: Vec<LeafEntry>,
}

/// One key-value pair in a leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafEntry {
    pub hash: u64,
    /// `None` when the key is long and stored at the start of the overflow record.
    pub key: Option<Box<[u8]>>,
    pub key_len: u16,
    pub value: EntryValue,
}

/// Where a value lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryValue {
    Inline(Box<[u8]>),
    /// An overflow record (`overflow.rs`): the key if it is not inline, then the value.
    Overflow {
        head: PageId,
        value_len: u32,
    },
}

const FLAG_VALUE_OVERFLOW: u8 = 1;
const FLAG_KEY_OVERFLOW: u8 = 2;

impl LeafEntry {
    /// Bytes this entry takes in a leaf page.
    pub fn encoded_len(&self) -> usize {
        ENTRY_HEADER_LEN
            + self.key.as_ref().map_or(0, |k| k.len())
            + match &self.value {
                EntryValue::Inline(v) => v.len(),
                EntryValue::Overflow { .. } => 8,
            }
    }

    pub fn value_len(&self) -> usize {
        match &self.value {
            EntryValue::Inline(v) => v.len(),
            EntryValue::Overflow { value_len, .. } => *value_len as usize,
        }
    }
}

impl LeafNode {
    pub fn encoded_len(&self) -> usize {
        PAGE_HEADER_LEN
            + self
                .entries
                .iter()
                .map(LeafEntry::encoded_len)
                .sum::<usize>()
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
                    put_u64(&mut p, PAGE_HEADER_LEN + i * 8, slot.encode());
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
                    if let EntryValue::Overflow { .. } = e.value {
                        flags |= FLAG_VALUE_OVERFLOW;
                    }
                    if e.key.is_none() {
                        flags |= FLAG_KEY_OVERFLOW;
                    }
                    put_u64(&mut p, at, e.hash);
                    put_u16(&mut p, at + 8, e.key_len);
                    p[at + 10] = flags;
                    put_u32(&mut p, at + 11, e.value_len() as u32);
                    at += ENTRY_HEADER_LEN;
                    if let Some(k) = &e.key {
                        p[at..at + k.len()].copy_from_slice(k);
                        at += k.len();
                    }
                    match &e.value {
                        EntryValue::Inline(v) => {
                            p[at..at + v.len()].copy_from_slice(v);
                            at += v.len();
                        }
                        EntryValue::Overflow { head, .. } => {
                            put_u64(&mut p, at, *head);
                            at += 8;
                        }
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
                if level >= 8 {
                    return Err(bad("inner node level out of range"));
                }
                let mut slots = Box::new([Slot { child: 0, depth: 0 }; FANOUT]);
                for (i, slot) in slots.iter_mut().enumerate() {
                    *slot = Slot::decode(get_u64(p, PAGE_HEADER_LEN + i * 8));
                    check_id(slot.child)?;
                    if slot.depth > 8 {
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
                    let key = if flags & FLAG_KEY_OVERFLOW == 0 {
                        let end = at + key_len as usize;
                        let k = p
                            .get(at..end)
                            .ok_or_else(|| bad("leaf key runs past the page"))?;
                        at = end;
                        Some(k.into())
                    } else {
                        None
                    };
                    let value = if flags & FLAG_VALUE_OVERFLOW == 0 {
                        let end = at + value_len as usize;
                        let v = p
                            .get(at..end)
                            .ok_or_else(|| bad("leaf value runs past the page"))?;
                        at = end;
                        EntryValue::Inline(v.into())
                    } else {
                        let head = p
                            .get(at..at + 8)
                            .ok_or_else(|| bad("leaf overflow ref runs past the page"))?;
                        at += 8;
                        EntryValue::Overflow {
                            head: check_id(u64::from_le_bytes(head.try_into().unwrap()))?,
                            value_len,
                        }
                    };
                    entries.push(LeafEntry {
                        hash,
                        key,
                        key_len,
                        value,
                    });
                }
                if entries.windows(2).any(|w| w[0].hash > w[1].hash) {
                    return Err(bad("leaf entries are not in hash order"));
                }
                Ok(Node::Leaf(LeafNode { entries }))
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
