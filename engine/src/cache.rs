//! The page cache: decoded nodes of committed pages, keyed by page id, in
//! shards with CLOCK eviction, bounded by a number of pages.
//!
//! Committed pages are immutable until freed and reused, and a page is only
//! reused when no snapshot can reach it, so a cached node never goes stale for
//! any reader that can ask for it. The writer replaces entries at commit.

use crate::node::Node;
use crate::page::PageId;
use hashbrown::HashMap;
use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

const SHARDS: usize = 64;

pub struct PageCache {
    shards: Box<[Shard]>,
    per_shard: usize,
}

#[repr(align(128))] // one shard per cache line pair: no false sharing between readers
struct Shard {
    inner: RwLock<ShardInner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Entry {
    node: Arc<Node>,
    referenced: AtomicBool,
    ring_pos: usize,
}

#[derive(Default)]
struct ShardInner {
    map: HashMap<PageId, Entry>,
    ring: Vec<PageId>,
    hand: usize,
}

impl PageCache {
    /// A cache of at most `capacity_pages` nodes (at least a few per shard).
    pub fn new(capacity_pages: usize) -> PageCache {
        let per_shard = capacity_pages.div_ceil(SHARDS).max(4);
        let shards = (0..SHARDS)
            .map(|_| Shard {
                inner: RwLock::new(ShardInner::default()),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            })
            .collect();
        PageCache { shards, per_shard }
    }

    fn shard(&self, id: PageId) -> &Shard {
        // Fibonacci hashing spreads sequential page ids over the shards.
        &self.shards[(id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % SHARDS]
    }

    pub fn get(&self, id: PageId) -> Option<Arc<Node>> {
        let shard = self.shard(id);
        let found = shard.inner.read().map.get(&id).map(|e| {
            if !e.referenced.load(Ordering::Relaxed) {
                e.referenced.store(true, Ordering::Relaxed);
            }
            e.node.clone()
        });
        let counter = if found.is_some() {
            &shard.hits
        } else {
            &shard.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn insert(&self, id: PageId, node: Arc<Node>) {
        let mut inner = self.shard(id).inner.write();
        if let Some(e) = inner.map.get_mut(&id) {
            e.node = node;
            return;
        }
        let ring_pos = if inner.ring.len() < self.per_shard {
            inner.ring.push(id);
            inner.ring.len() - 1
        } else {
            // CLOCK: give referenced entries a second chance.
            loop {
                let pos = inner.hand;
                inner.hand = (inner.hand + 1) % inner.ring.len();
                let victim = inner.ring[pos];
                let second_chance = inner
                    .map
                    .get(&victim)
                    .is_some_and(|e| e.referenced.swap(false, Ordering::Relaxed));
                if !second_chance {
                    inner.map.remove(&victim);
                    inner.ring[pos] = id;
                    break pos;
                }
            }
        };
        inner.map.insert(
            id,
            Entry {
                node,
                referenced: AtomicBool::new(false),
                ring_pos,
            },
        );
        debug_assert_eq!(inner.ring[inner.map[&id].ring_pos], id);
    }

    pub fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.inner.read().map.len()).sum()
    }

    pub fn hits_and_misses(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(h, m), s| {
            (
                h + s.hits.load(Ordering::Relaxed),
                m + s.misses.load(Ordering::Relaxed),
            )
        })
    }
}
