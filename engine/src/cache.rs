//! The page cache: decoded nodes of committed pages, found by page id through a
//! radix table (no hashing, one cache line per hit), bounded by a number of
//! pages with CLOCK eviction.
//!
//! Committed pages are immutable until freed and reused, and a page is only
//! reused when no snapshot can reach it, so a cached node never goes stale for
//! any reader that can ask for it. The writer replaces entries at commit.
//!
//! Each slot is an `ArcSwapOption`: readers take a node without a lock, and an
//! evicted node is freed only when its last reader lets go of it.

use crate::node::Node;
use crate::page::PageId;
use arc_swap::ArcSwapOption;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

/// A node read from the cache; dereferences to the node.
pub struct CachedNode(arc_swap::Guard<Option<Arc<Node>>>);

impl std::ops::Deref for CachedNode {
    type Target = Node;
    fn deref(&self) -> &Node {
        self.0
            .as_deref()
            .expect("a cache guard is only made for a present node")
    }
}

const BITS: u32 = 12;
const FAN: usize = 1 << BITS;
/// Pages at or beyond this id are not cached (256 TiB with 4 KiB pages).
const LIMIT: PageId = 1 << (3 * BITS);
const COUNTERS: usize = 16;

struct Slot {
    node: ArcSwapOption<Node>,
    referenced: AtomicBool,
}

type Chunk = [Slot; FAN];
type Directory = [AtomicPtr<Chunk>; FAN];

#[repr(align(128))]
struct Counter(AtomicU64);

pub struct PageCache {
    top: Box<[AtomicPtr<Directory>; FAN]>,
    /// Resident page ids, in CLOCK order.
    ring: Mutex<Ring>,
    capacity: usize,
    hits: Box<[Counter; COUNTERS]>,
    misses: Box<[Counter; COUNTERS]>,
}

#[derive(Default)]
struct Ring {
    ids: Vec<PageId>,
    hand: usize,
}

fn new_array<T>(f: impl Fn() -> T) -> Box<[T; FAN]> {
    let v: Vec<T> = (0..FAN).map(|_| f()).collect();
    v.into_boxed_slice()
        .try_into()
        .unwrap_or_else(|_| unreachable!())
}

/// Returns the entry behind `ptr`, creating it with `make` if it is missing.
fn get_or_create<T>(ptr: &AtomicPtr<T>, make: impl FnOnce() -> Box<T>) -> &T {
    let mut p = ptr.load(Ordering::Acquire);
    if p.is_null() {
        let fresh = Box::into_raw(make());
        match ptr.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => p = fresh,
            Err(existing) => {
                // SAFETY: `fresh` was never shared; another thread won the race.
                drop(unsafe { Box::from_raw(fresh) });
                p = existing;
            }
        }
    }
    // SAFETY: published pointers are never freed before the cache is dropped.
    unsafe { &*p }
}

impl PageCache {
    /// A cache of at most `capacity_pages` nodes.
    pub fn new(capacity_pages: usize) -> PageCache {
        PageCache {
            top: new_array(|| AtomicPtr::new(std::ptr::null_mut())),
            ring: Mutex::new(Ring::default()),
            capacity: capacity_pages.max(16),
            hits: Box::new(std::array::from_fn(|_| Counter(AtomicU64::new(0)))),
            misses: Box::new(std::array::from_fn(|_| Counter(AtomicU64::new(0)))),
        }
    }

    fn slot(&self, id: PageId, create: bool) -> Option<&Slot> {
        if id >= LIMIT {
            return None;
        }
        let (a, b, c) = (
            (id >> (2 * BITS)) as usize,
            (id >> BITS) as usize % FAN,
            id as usize % FAN,
        );
        let dir = if create {
            get_or_create(&self.top[a], || {
                new_array(|| AtomicPtr::new(std::ptr::null_mut()))
            })
        } else {
            let p = self.top[a].load(Ordering::Acquire);
            // SAFETY: see get_or_create.
            unsafe { p.as_ref()? }
        };
        let chunk = if create {
            get_or_create(&dir[b], || {
                new_array(|| Slot {
                    node: ArcSwapOption::empty(),
                    referenced: AtomicBool::new(false),
                })
            })
        } else {
            let p = dir[b].load(Ordering::Acquire);
            // SAFETY: see get_or_create.
            unsafe { p.as_ref()? }
        };
        Some(&chunk[c])
    }

    /// The cached node of page `id`. The guard keeps it alive without
    /// touching its reference count, which readers on other threads share.
    pub fn get(&self, id: PageId) -> Option<CachedNode> {
        let found = self.slot(id, false).and_then(|slot| {
            let node = slot.node.load();
            node.as_ref()?;
            if !slot.referenced.load(Ordering::Relaxed) {
                slot.referenced.store(true, Ordering::Relaxed);
            }
            Some(CachedNode(node))
        });
        let counters = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counters[id as usize % COUNTERS]
            .0
            .fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn insert(&self, id: PageId, node: Arc<Node>) {
        let Some(slot) = self.slot(id, true) else {
            return;
        };
        if slot.node.swap(Some(node)).is_some() {
            return; // replaced a resident page: the ring already has it
        }
        let mut ring = self.ring.lock();
        if ring.ids.len() < self.capacity {
            ring.ids.push(id);
            return;
        }
        // CLOCK: give referenced pages a second chance.
        loop {
            let pos = ring.hand;
            ring.hand = (ring.hand + 1) % ring.ids.len();
            let victim = ring.ids[pos];
            let Some(vslot) = self.slot(victim, false) else {
                ring.ids[pos] = id;
                return;
            };
            if victim != id && vslot.referenced.swap(false, Ordering::Relaxed) {
                continue;
            }
            if victim != id {
                vslot.node.store(None);
            }
            ring.ids[pos] = id;
            return;
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.ring.lock().ids.len()
    }

    pub fn hits_and_misses(&self) -> (u64, u64) {
        let sum = |c: &[Counter; COUNTERS]| c.iter().map(|c| c.0.load(Ordering::Relaxed)).sum();
        (sum(&self.hits), sum(&self.misses))
    }
}

impl Drop for PageCache {
    fn drop(&mut self) {
        for dir in self.top.iter() {
            let d = dir.load(Ordering::Acquire);
            if d.is_null() {
                continue;
            }
            // SAFETY: we own the cache; nothing else can reach these pointers.
            let d = unsafe { Box::from_raw(d) };
            for chunk in d.iter() {
                let c = chunk.load(Ordering::Acquire);
                if !c.is_null() {
                    drop(unsafe { Box::from_raw(c) });
                }
            }
        }
    }
}
