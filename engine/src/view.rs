//! Read-only views of verified index and free-list page images (`spec/format.md`,
//! "Inner pages", "Leaf pages", "Free-page queue"): the one place that parses
//! those layouts.
//!
//! A page is validated once, when it is read from the disk ([`validate`]);
//! from then on readers search the image in place — a binary search over the
//! leaf's hash array, one record — instead of decoding it. Every accessor is
//! still bounds-checked, so a page that skipped validation could give a wrong
//! answer but never undefined behaviour.

use crate::error::{Error, Result};
use crate::page::{self, get_u16, get_u32, get_u64, PageId, PageKind, PAGE_HEADER_LEN};

/// Hash bits an inner node routes by.
pub const ROUTE_BITS: u32 = 9;
/// Slots of an inner node: one per value of its 9 hash bits.
pub const FANOUT: usize = 1 << ROUTE_BITS;
/// Local depth of a child that fills exactly one slot (any inner child).
pub const FULL_DEPTH: u8 = ROUTE_BITS as u8;
/// Deepest inner node level: levels 0..=6 route by 63 bits of the hash.
pub const MAX_LEVEL: u8 = 6;
/// Byte offset of an inner page's slot depths (after 6-byte child ids).
pub(crate) const DEPTHS_AT: usize = PAGE_HEADER_LEN + FANOUT * 6;
/// Bytes of a leaf record before its key: key length, flags, value length.
pub(crate) const RECORD_HEADER_LEN: usize = 7;
/// Bytes a leaf entry costs besides its key and value: its hash, its offset
/// and its record header.
pub const ENTRY_OVERHEAD: usize = 8 + 2 + RECORD_HEADER_LEN;
/// Byte offset of the first id of a free-list page.
pub(crate) const FREE_IDS_AT: usize = PAGE_HEADER_LEN + 16;

pub(crate) const FLAG_VALUE_OVERFLOW: u8 = 1;
pub(crate) const FLAG_KEY_OVERFLOW: u8 = 2;

/// One slot of an inner node: a child page and its local depth. Packed (9
/// bytes): copying an inner node for a write moves 4.6 KB, not 8 KB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Slot {
    pub child: PageId,
    pub depth: u8,
}

impl Slot {
    /// The first slot index and the number of slots this child fills, given
    /// one index it fills.
    pub fn range(self, index: usize) -> (usize, usize) {
        let width = 1usize << (FULL_DEPTH - self.depth.min(FULL_DEPTH));
        (index & !(width - 1), width)
    }
}

/// One key-value pair as stored in a leaf, borrowed from a page image or a
/// decoded leaf.
#[derive(Clone, Copy, Debug)]
pub struct EntryView<'a> {
    pub hash: u64,
    pub key_len: u16,
    /// The key, when it is stored in the leaf.
    pub key: Option<&'a [u8]>,
    /// The value, when it is stored in the leaf.
    pub value: Option<&'a [u8]>,
    /// The overflow record's first page and the value length, when the value
    /// is not inline (the record holds the key too when it is not inline).
    pub overflow: Option<(PageId, u32)>,
}

impl EntryView<'_> {
    /// Bytes this entry takes in a leaf page: its overhead, the inline key,
    /// and the inline value or the overflow record's page id.
    pub fn encoded_len(&self) -> usize {
        ENTRY_OVERHEAD + self.key.map_or(0, <[u8]>::len) + self.value.map_or(8, <[u8]>::len)
    }

    /// Bytes of the overflow record before the value (the key, if not inline).
    pub fn overflow_skip(&self) -> usize {
        if self.key.is_some() {
            0
        } else {
            self.key_len as usize
        }
    }
}

/// An inner page image.
#[derive(Clone, Copy)]
pub struct InnerView<'a>(&'a [u8]);

impl<'a> InnerView<'a> {
    pub fn level(&self) -> u8 {
        self.0[9]
    }

    /// The child page of slot `i` (without its depth: what a lookup needs).
    #[inline]
    pub fn child(&self, i: usize) -> PageId {
        let at = PAGE_HEADER_LEN + i * 6;
        let mut raw = [0u8; 8];
        raw[..6].copy_from_slice(&self.0[at..at + 6]);
        u64::from_le_bytes(raw)
    }

    pub fn slot(&self, i: usize) -> Slot {
        Slot {
            child: self.child(i),
            depth: self.0[DEPTHS_AT + i],
        }
    }
}

/// A leaf page image: the hashes, then the record offsets, then the records.
#[derive(Clone, Copy)]
pub struct LeafView<'a>(&'a [u8]);

impl<'a> LeafView<'a> {
    pub fn len(&self) -> usize {
        get_u16(self.0, 10) as usize
    }

    pub fn hash(&self, i: usize) -> u64 {
        get_u64(self.0, PAGE_HEADER_LEN + 8 * i)
    }

    /// Index of the first entry whose hash is not below `hash`.
    #[inline]
    pub fn first_at_or_after(&self, hash: u64) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.hash(mid) < hash {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn record_at(&self, i: usize) -> usize {
        get_u16(self.0, PAGE_HEADER_LEN + 8 * self.len() + 2 * i) as usize
    }

    #[inline]
    pub fn entry(&self, i: usize) -> EntryView<'a> {
        let p = self.0;
        let at = self.record_at(i);
        let key_len = get_u16(p, at);
        let flags = p[at + 2];
        let value_len = get_u32(p, at + 3);
        let mut at = at + RECORD_HEADER_LEN;
        let key = (flags & FLAG_KEY_OVERFLOW == 0).then(|| {
            let k = &p[at..at + key_len as usize];
            at += key_len as usize;
            k
        });
        if flags & FLAG_VALUE_OVERFLOW == 0 {
            EntryView {
                hash: self.hash(i),
                key_len,
                key,
                value: Some(&p[at..at + value_len as usize]),
                overflow: None,
            }
        } else {
            EntryView {
                hash: self.hash(i),
                key_len,
                key,
                value: None,
                overflow: Some((get_u64(p, at), value_len)),
            }
        }
    }

    /// Bytes the page's header and entries take (what the writer calls the
    /// leaf's encoded length).
    pub fn used_bytes(&self) -> usize {
        PAGE_HEADER_LEN + self.entries().map(|e| e.encoded_len()).sum::<usize>()
    }

    pub fn entries(&self) -> impl Iterator<Item = EntryView<'a>> + '_ {
        (0..self.len()).map(|i| self.entry(i))
    }
}

/// A free-list page image: ids freed by one transaction.
#[derive(Clone, Copy)]
pub struct FreeListView<'a>(&'a [u8]);

impl FreeListView<'_> {
    pub fn len(&self) -> usize {
        get_u32(self.0, 12) as usize
    }
    pub fn next(&self) -> PageId {
        get_u64(self.0, PAGE_HEADER_LEN)
    }
    pub fn freed_txid(&self) -> u64 {
        get_u64(self.0, PAGE_HEADER_LEN + 8)
    }
    pub fn id(&self, i: usize) -> PageId {
        get_u64(self.0, FREE_IDS_AT + 8 * i)
    }
}

/// A validated index or free-list page image.
#[derive(Clone, Copy)]
pub enum PageView<'a> {
    Inner(InnerView<'a>),
    Leaf(LeafView<'a>),
    FreeList(FreeListView<'a>),
}

impl<'a> PageView<'a> {
    /// Views an image that passed [`validate`] (or that we encoded).
    pub fn of(image: &'a [u8]) -> PageView<'a> {
        match page::kind_of(image) {
            Some(PageKind::Inner) => PageView::Inner(InnerView(image)),
            Some(PageKind::FreeList) => PageView::FreeList(FreeListView(image)),
            _ => PageView::Leaf(LeafView(image)),
        }
    }
}

/// How many ids fit in one free-list page.
pub fn free_ids_per_page(page_size: usize) -> usize {
    (page_size - FREE_IDS_AT) / 8
}

/// Checks the structure of a verified index or free-list page, so that
/// readers can trust its counts, offsets and lengths: every child and
/// overflow id inside the database (below `page_count`), slot ranges
/// aligned, records inside the page, hashes in order.
pub fn validate(p: &[u8], id: PageId, page_count: u64) -> Result<()> {
    let bad = |what: &str| Error::corrupted(format!("page {id}: {what}"));
    let check_id = |pid: PageId| {
        if pid < page::FIRST_DATA_PAGE || pid >= page_count {
            Err(bad(&format!("refers to page {pid}, outside the database")))
        } else {
            Ok(())
        }
    };
    match page::kind_of(p) {
        Some(PageKind::Inner) => {
            let view = InnerView(p);
            if view.level() > MAX_LEVEL {
                return Err(bad("inner node level out of range"));
            }
            // Each child must fill exactly its aligned range.
            let mut i = 0;
            while i < FANOUT {
                let slot = view.slot(i);
                check_id(slot.child)?;
                if slot.depth > FULL_DEPTH {
                    return Err(bad("slot depth out of range"));
                }
                let (start, width) = slot.range(i);
                if start != i || (i..i + width).any(|j| view.slot(j) != slot) {
                    return Err(bad("slots do not form aligned ranges"));
                }
                i += width;
            }
            Ok(())
        }
        Some(PageKind::Leaf) => {
            let count = get_u16(p, 10) as usize;
            let records_at = PAGE_HEADER_LEN + 10 * count;
            if records_at > p.len() {
                return Err(bad("leaf entry count too large"));
            }
            let view = LeafView(p);
            let mut previous = 0;
            for i in 0..count {
                let hash = view.hash(i);
                if hash < previous {
                    return Err(bad("leaf entries are not in hash order"));
                }
                previous = hash;
                let at = view.record_at(i);
                if at < records_at || at + RECORD_HEADER_LEN > p.len() {
                    return Err(bad("leaf record offset outside the record area"));
                }
                let key_len = get_u16(p, at);
                let flags = p[at + 2];
                let value_len = get_u32(p, at + 3);
                if flags & !(FLAG_VALUE_OVERFLOW | FLAG_KEY_OVERFLOW) != 0
                    || (flags & FLAG_KEY_OVERFLOW != 0 && flags & FLAG_VALUE_OVERFLOW == 0)
                    || key_len == 0
                    || key_len as usize > crate::MAX_KEY_LEN
                    || value_len as usize > crate::MAX_VALUE_LEN
                {
                    return Err(bad("leaf entry has invalid flags or lengths"));
                }
                let key_bytes = if flags & FLAG_KEY_OVERFLOW == 0 {
                    key_len as usize
                } else {
                    0
                };
                let value_bytes = if flags & FLAG_VALUE_OVERFLOW == 0 {
                    value_len as usize
                } else {
                    8
                };
                let end = at + RECORD_HEADER_LEN + key_bytes + value_bytes;
                if end > p.len() {
                    return Err(bad("leaf entry runs past the page"));
                }
                if flags & FLAG_VALUE_OVERFLOW != 0 {
                    check_id(get_u64(p, end - 8))?;
                }
            }
            Ok(())
        }
        Some(PageKind::FreeList) => {
            let view = FreeListView(p);
            if view.len() > free_ids_per_page(p.len()) {
                return Err(bad("free-list count too large"));
            }
            check_id(view.next())?;
            (0..view.len()).try_for_each(|i| check_id(view.id(i)))
        }
        _ => Err(bad("not an index or free-list page")),
    }
}
