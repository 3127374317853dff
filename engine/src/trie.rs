//! Reading the hash trie: node access and point lookups over any
//! [`NodeSource`] (a committed snapshot, or a write transaction's own view);
//! `scan.rs` walks it for scans.
//!
//! Keys are placed by their 64-bit keyed hash: inner node at level `L` routes
//! by the 9 bits `L` of the hash (most significant first), leaves keep entries sorted by
//! (hash, key). A walk of the trie is therefore in ascending (hash, key)
//! order, which is what makes a scan resumable from its last key.

use crate::error::{Error, Result};
use crate::node::{InnerNode, LeafNode, Node, FANOUT, ROUTE_BITS};
use crate::overflow;
use crate::page::{PageId, PAGE_HEADER_LEN};
use crate::store::{PageRef, Store};
use crate::view::{EntryView, InnerView, LeafView, PageView, Slot};
use crossbeam_epoch::Guard;
use std::borrow::Cow;
use std::cmp::Ordering;

/// Where index nodes come from.
pub(crate) trait NodeSource {
    /// Node `id`; a cached page stays valid while `guard` is held.
    fn node<'a>(&'a self, id: PageId, guard: &'a Guard) -> Result<NodeRef<'a>>;
    fn store(&self) -> &Store;
    fn page_count(&self) -> u64;
}

/// A committed page image, or a node a write transaction changed.
pub(crate) enum NodeRef<'a> {
    Page(PageRef<'a>),
    Dirty(&'a Node),
}

/// An index node as readers see it, whichever form it is in.
pub(crate) enum IndexNode<'n> {
    Inner(InnerRef<'n>),
    Leaf(LeafRef<'n>),
}

impl NodeRef<'_> {
    /// This node as an index node reached from a parent at `parent_level`
    /// (`None` for the root): a leaf, or an inner node one level down.
    #[inline]
    pub fn index_under(&self, id: PageId, parent_level: Option<u8>) -> Result<IndexNode<'_>> {
        let index = self.index(id)?;
        match parent_level {
            Some(level) if !child_level_ok(level, &index) => Err(not_a_leaf_or_inner(id)),
            _ => Ok(index),
        }
    }

    /// This node as an index node; `CORRUPTED` for a free-list page.
    #[inline]
    pub fn index(&self, id: PageId) -> Result<IndexNode<'_>> {
        Ok(match self {
            NodeRef::Page(p) => match p.view() {
                PageView::Inner(v) => IndexNode::Inner(InnerRef::Page(v)),
                PageView::Leaf(v) => IndexNode::Leaf(LeafRef::Page(v)),
                PageView::FreeList(_) => return Err(not_a_leaf_or_inner(id)),
            },
            NodeRef::Dirty(Node::Inner(n)) => IndexNode::Inner(InnerRef::Node(n)),
            NodeRef::Dirty(Node::Leaf(n)) => IndexNode::Leaf(LeafRef::Node(n)),
            NodeRef::Dirty(Node::FreeList(_)) => return Err(not_a_leaf_or_inner(id)),
        })
    }
}

/// An inner node: a page image or a decoded node.
#[derive(Clone, Copy)]
pub(crate) enum InnerRef<'n> {
    Page(InnerView<'n>),
    Node(&'n InnerNode),
}

impl InnerRef<'_> {
    pub fn level(&self) -> u8 {
        match self {
            InnerRef::Page(v) => v.level(),
            InnerRef::Node(n) => n.level,
        }
    }

    pub fn slot(&self, i: usize) -> Slot {
        match self {
            InnerRef::Page(v) => v.slot(i),
            InnerRef::Node(n) => n.slots[i],
        }
    }

    #[inline]
    pub fn child(&self, i: usize) -> PageId {
        match self {
            InnerRef::Page(v) => v.child(i),
            InnerRef::Node(n) => n.slots[i].child,
        }
    }
}

/// A leaf: a page image or a decoded node.
#[derive(Clone, Copy)]
pub(crate) enum LeafRef<'n> {
    Page(LeafView<'n>),
    Node(&'n LeafNode),
}

impl<'n> LeafRef<'n> {
    pub fn len(&self) -> usize {
        match self {
            LeafRef::Page(v) => v.len(),
            LeafRef::Node(n) => n.entries().len(),
        }
    }

    /// Index of the first entry whose hash is not below `hash`.
    #[inline]
    pub fn first_at_or_after(&self, hash: u64) -> usize {
        match self {
            LeafRef::Page(v) => v.first_at_or_after(hash),
            LeafRef::Node(n) => n.first_at_or_after(hash),
        }
    }

    /// The hash of entry `i`.
    #[inline]
    pub fn hash(&self, i: usize) -> u64 {
        match self {
            LeafRef::Page(v) => v.hash(i),
            LeafRef::Node(n) => n.entries()[i].hash,
        }
    }

    #[inline]
    pub fn entry(&self, i: usize) -> EntryView<'n> {
        match self {
            LeafRef::Page(v) => v.entry(i),
            LeafRef::Node(n) => n.entries()[i].view(),
        }
    }

    /// Bytes this leaf takes in a page.
    pub fn encoded_len(&self) -> usize {
        match self {
            LeafRef::Page(v) => v.used_bytes(),
            LeafRef::Node(n) => n.encoded_len(),
        }
    }
}

/// The 9 bits of `hash` that route at `level` (most significant first).
pub(crate) fn route(hash: u64, level: u8) -> usize {
    (hash >> level_shift(level)) as usize & (FANOUT - 1)
}

/// How far the routing bits of `level` are from the low end of the hash.
pub(crate) fn level_shift(level: u8) -> u32 {
    64 - ROUTE_BITS * (level as u32 + 1)
}

fn not_a_leaf_or_inner(id: PageId) -> Error {
    Error::corrupted(format!(
        "page {id}: the index refers to a page that is not an index page"
    ))
}

/// Checks that a child fits under a parent at `parent_level`: a leaf, or an
/// inner node one level down.
fn child_level_ok(parent_level: u8, child: &IndexNode<'_>) -> bool {
    match child {
        IndexNode::Inner(c) => c.level() == parent_level + 1,
        IndexNode::Leaf(_) => true,
    }
}

/// The key of an entry, loading it from its overflow record if it is long.
pub(crate) fn entry_key<'e, S: NodeSource + ?Sized>(
    src: &S,
    e: &EntryView<'e>,
) -> Result<Cow<'e, [u8]>> {
    if let Some(k) = e.key {
        return Ok(Cow::Borrowed(k));
    }
    let (head, value_len) = e
        .overflow
        .ok_or_else(|| Error::corrupted("a leaf entry has neither key nor overflow record"))?;
    let len = e.key_len as usize + value_len as usize;
    overflow::read(
        src.store(),
        head,
        len,
        0,
        e.key_len as usize,
        src.page_count(),
    )
    .map(Cow::Owned)
}

/// The value of an entry, loading it from its overflow record if it is large.
pub(crate) fn entry_value<'e, S: NodeSource + ?Sized>(
    src: &S,
    e: &EntryView<'e>,
) -> Result<Cow<'e, [u8]>> {
    match (e.value, e.overflow) {
        (Some(v), _) => Ok(Cow::Borrowed(v)),
        (None, Some((head, value_len))) => {
            let skip = e.overflow_skip();
            overflow::read(
                src.store(),
                head,
                skip + value_len as usize,
                skip,
                value_len as usize,
                src.page_count(),
            )
            .map(Cow::Owned)
        }
        (None, None) => Err(Error::internal("a leaf entry without a value")),
    }
}

/// Orders two keys as byte strings, by a byte loop: keys are short, and on
/// the machines we measured a `memcmp` call cost more than the loop.
#[inline]
pub(crate) fn compare_keys(a: &[u8], b: &[u8]) -> Ordering {
    match a.iter().zip(b).find(|(x, y)| x != y) {
        Some((x, y)) => x.cmp(y),
        None => a.len().cmp(&b.len()),
    }
}

/// Finds `key` in a leaf: `Ok(index)` if present, else `Err(insert position)`.
pub(crate) fn find_in_leaf<S: NodeSource + ?Sized>(
    src: &S,
    leaf: LeafRef<'_>,
    hash: u64,
    key: &[u8],
) -> Result<std::result::Result<usize, usize>> {
    let mut i = leaf.first_at_or_after(hash);
    while i < leaf.len() {
        let e = leaf.entry(i);
        if e.hash != hash {
            break;
        }
        match compare_keys(&entry_key(src, &e)?, key) {
            Ordering::Equal => return Ok(Ok(i)),
            Ordering::Greater => return Ok(Err(i)),
            Ordering::Less => i += 1,
        }
    }
    Ok(Err(i))
}

/// Asks the CPU to load, in parallel, the lines of a page image a lookup
/// will read: the header and the front of a leaf (hashes and offsets, which a
/// binary search would otherwise fetch one dependent miss at a time), and the
/// slot this hash routes to if the page is an inner node at `level`.
#[inline]
fn prefetch_for_lookup(image: &[u8], hash: u64, level: u8) {
    const LINE: usize = 64;
    let slot_at = PAGE_HEADER_LEN + 6 * route(hash, level.min(crate::node::MAX_LEVEL));
    for at in [0, LINE, 2 * LINE, 3 * LINE, slot_at] {
        if let Some(byte) = image.get(at) {
            prefetch(byte);
        }
    }
}

#[inline(always)]
#[allow(unsafe_code)]
fn prefetch(byte: &u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((byte as *const u8).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = byte;
}

/// Looks `key` up from `root` and hands its value (or `None`) to `f`.
pub(crate) fn lookup<S: NodeSource + ?Sized, R>(
    src: &S,
    root: PageId,
    hash: u64,
    key: &[u8],
    f: impl FnOnce(Option<&[u8]>) -> R,
) -> Result<R> {
    lookup_entry(src, root, hash, key, |entry| match entry {
        Some(e) => {
            let value = entry_value(src, e)?;
            Ok(f(Some(&value)))
        }
        None => Ok(f(None)),
    })
}

/// Whether `key` is present, learnt from its leaf entry alone: a value in an
/// overflow record is never read (a key kept there is, to compare it), so
/// the cost does not grow with the value.
pub(crate) fn contains<S: NodeSource + ?Sized>(
    src: &S,
    root: PageId,
    hash: u64,
    key: &[u8],
) -> Result<bool> {
    lookup_entry(src, root, hash, key, |entry| Ok(entry.is_some()))
}

/// Walks from `root` to the leaf of `hash` and hands the entry of `key` (or
/// `None`) to `f`: the walk shared by value lookups and presence checks.
#[inline]
fn lookup_entry<S: NodeSource + ?Sized, R>(
    src: &S,
    root: PageId,
    hash: u64,
    key: &[u8],
    f: impl FnOnce(Option<&EntryView<'_>>) -> Result<R>,
) -> Result<R> {
    let guard = crossbeam_epoch::pin();
    let mut id = root;
    let mut parent_level = None;
    loop {
        let node = src.node(id, &guard)?;
        if let NodeRef::Page(page) = &node {
            prefetch_for_lookup(page.bytes(), hash, parent_level.map_or(0, |l| l + 1));
        }
        match node.index_under(id, parent_level)? {
            IndexNode::Inner(inner) => {
                let level = inner.level();
                id = inner.child(route(hash, level));
                parent_level = Some(level);
            }
            IndexNode::Leaf(leaf) => {
                return match find_in_leaf(src, leaf, hash, key)? {
                    Ok(i) => f(Some(&leaf.entry(i))),
                    Err(_) => f(None),
                };
            }
        }
    }
}
