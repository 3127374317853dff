//! The page cache: verified page images of committed pages, each in one
//! fixed-size frame, found by page id through a radix table, bounded by a
//! number of pages with CLOCK eviction.
//!
//! Readers search the images in place (`view.rs`), so a cached lookup touches
//! the table slot and the bytes it needs of one frame per level. Frames live
//! in 2 MiB slabs that Linux may back with transparent huge pages: a random
//! lookup over a large cache then costs cache misses, not TLB misses too.
//!
//! Committed pages are immutable until freed and reused, and a page is only
//! reused when no snapshot can reach it, so a cached image never goes stale
//! for any reader that can ask for it. The writer replaces images at commit.
//!
//! Readers take images without locks or reference counts, inside an epoch
//! (`crossbeam-epoch`): an evicted frame goes back to the free frames only
//! once every reader that might still see it has left its epoch.
//!
//! The protocol, which the model check (`model.rs`, run with
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`) explores:
//! - inserts, evictions and removals hold the clock lock, so a table slot
//!   names frame `f` exactly when frame `f`'s page is that slot's page;
//! - a frame is written only while it is in no slot and no reader can hold
//!   it, then published with a release swap into its slot (readers load the
//!   slot with acquire, so they see the whole image);
//! - an evicted frame leaves its slot first and returns to the free frames
//!   only through `Guard::defer`, once every reader pinned when it could
//!   still see the slot has unpinned.

mod slab;
mod sync;

// Under loom alone, crossbeam-epoch would use std's atomics, which loom
// cannot see: the model would report races the epoch prevents.
#[cfg(all(loom, not(crossbeam_loom)))]
compile_error!(
    "the cache's model check needs crossbeam-epoch's loom build too: \
     RUSTFLAGS=\"--cfg loom --cfg crossbeam_loom\""
);

#[cfg(all(test, loom))]
mod model;

use crate::page::PageId;
use crossbeam_epoch::Guard;
use slab::SlabMemory;
use std::sync::atomic::Ordering;
use sync::{Arc, AtomicPtr, AtomicU32, AtomicU64, Mutex};

/// The model check shrinks the table, the slabs and the minimum sizes so
/// that a cache of two frames covers every path.
#[cfg(not(loom))]
mod size {
    pub const BITS: u32 = 12;
    pub const SLAB_BYTES: usize = 2 << 20;
    pub const MIN_CAPACITY: usize = 16;
    pub const MIN_SLACK: usize = 64;
}
#[cfg(loom)]
mod size {
    pub const BITS: u32 = 2;
    pub const SLAB_BYTES: usize = 8;
    pub const MIN_CAPACITY: usize = 1;
    pub const MIN_SLACK: usize = 1;
}
use size::{BITS, MIN_CAPACITY, MIN_SLACK, SLAB_BYTES};

const FAN: usize = 1 << BITS;
/// Pages at or beyond this id are not cached (256 TiB with 4 KiB pages).
const LIMIT: PageId = 1 << (3 * BITS);
const COUNTERS: usize = 16;
/// The largest cache honoured; a larger setting is treated as this.
const MAX_CACHE_BYTES: u64 = 1 << 40;
const NO_PAGE: u64 = u64::MAX;

/// A table slot: the frame holding the page, plus one (0 when not cached),
/// and the CLOCK reference mark in the top bit. The mark lives in the slot
/// because a lookup reads the slot anyway: a hit touches no other metadata.
type Chunk = [AtomicU32; FAN];
const REFERENCED: u32 = 1 << 31;
const FRAME_MASK: u32 = REFERENCED - 1;
type Directory = [AtomicPtr<Chunk>; FAN];

/// Statistics only, outside the protocol: std's atomics even under the model.
#[repr(align(128))]
struct Counter(std::sync::atomic::AtomicU64);

/// A run of frames in one allocation, with the page each one holds
/// (`NO_PAGE` when free).
struct Slab {
    memory: SlabMemory,
    pages: Box<[AtomicU64]>,
}

pub struct PageCache {
    page_size: usize,
    top: Box<[AtomicPtr<Directory>; FAN]>,
    /// Allocated as the cache fills, never freed before the cache.
    slabs: Box<[AtomicPtr<Slab>]>,
    frames_per_slab: usize,
    /// Frames the slabs may hold in all: the capacity plus some slack.
    max_frames: usize,
    clock: Mutex<Clock>,
    /// Frames with no page, ready for use; evicted frames come back here
    /// through the epoch collector.
    free: Arc<Mutex<Vec<u32>>>,
    capacity: usize,
    hits: Box<[Counter; COUNTERS]>,
    misses: Box<[Counter; COUNTERS]>,
}

struct Clock {
    hand: usize,
    /// Frames allocated so far (slabs are added as the cache fills).
    allocated: usize,
    /// Frames holding a page.
    resident: usize,
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
                // SAFETY: `fresh` came from Box::into_raw above and was never
                // shared: the exchange failed, another thread won the race.
                drop(unsafe { Box::from_raw(fresh) });
                p = existing;
            }
        }
    }
    // SAFETY: `p` is non-null and from Box::into_raw, published with a
    // release exchange (or seen through an acquire load of one); published
    // entries are freed only when the cache is dropped, and the reference
    // borrows `ptr`, which the cache owns.
    unsafe { &*p }
}

/// A stripe of the hit counters per thread, so that two threads reading the
/// same hot pages do not fight over one counter's cache line.
#[inline]
fn stripe() -> usize {
    use std::cell::Cell;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    use std::sync::atomic::AtomicU32;
    thread_local!(static STRIPE: Cell<Option<usize>> = const { Cell::new(None) });
    STRIPE.with(|s| {
        s.get().unwrap_or_else(|| {
            let v = NEXT.fetch_add(1, Ordering::Relaxed) as usize % COUNTERS;
            s.set(Some(v));
            v
        })
    })
}

impl PageCache {
    /// A cache of at most `capacity_pages` pages of `page_size` bytes (at
    /// least `MIN_CAPACITY` (16) pages, at most 1 TiB: frame numbers must fit 31 bits, and the
    /// slab table is sized for the capacity up front).
    pub fn new(capacity_pages: usize, page_size: usize) -> PageCache {
        let most = (MAX_CACHE_BYTES / page_size as u64).min(usize::MAX as u64) as usize;
        let capacity = capacity_pages.clamp(MIN_CAPACITY, most);
        // Evicted frames wait for readers to leave their epoch before reuse;
        // this slack keeps inserts from stalling meanwhile.
        let max_frames = capacity + (capacity / 8).max(MIN_SLACK);
        let frames_per_slab = (SLAB_BYTES / page_size).clamp(1, max_frames);
        let slab_count = max_frames.div_ceil(frames_per_slab);
        PageCache {
            page_size,
            top: new_array(|| AtomicPtr::new(std::ptr::null_mut())),
            slabs: (0..slab_count)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            frames_per_slab,
            max_frames: slab_count * frames_per_slab,
            clock: Mutex::new(Clock {
                hand: 0,
                allocated: 0,
                resident: 0,
            }),
            free: Arc::new(Mutex::new(Vec::new())),
            capacity,
            hits: Box::new(std::array::from_fn(|_| Counter(Default::default()))),
            misses: Box::new(std::array::from_fn(|_| Counter(Default::default()))),
        }
    }

    #[inline]
    fn slot(&self, id: PageId, create: bool) -> Option<&AtomicU32> {
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
            // SAFETY: a non-null pointer here was published by get_or_create
            // (release, seen by this acquire) and is freed only with the cache.
            unsafe { p.as_ref()? }
        };
        let chunk = if create {
            get_or_create(&dir[b], || new_array(|| AtomicU32::new(0)))
        } else {
            let p = dir[b].load(Ordering::Acquire);
            // SAFETY: a non-null pointer here was published by get_or_create
            // (release, seen by this acquire) and is freed only with the cache.
            unsafe { p.as_ref()? }
        };
        Some(&chunk[c])
    }

    /// The slab of frame `frame` and the frame's index in it.
    #[inline]
    fn frame(&self, frame: usize) -> (&Slab, usize) {
        let slab = self.slabs[frame / self.frames_per_slab].load(Ordering::Acquire);
        assert!(!slab.is_null(), "frame {frame} of a slab never allocated");
        // SAFETY: non-null (asserted), so `take_frame` published it with a
        // release store (seen through this acquire load) before handing out
        // any of its frames; slabs are freed only when the cache is dropped.
        let slab = unsafe { &*slab };
        (slab, frame % self.frames_per_slab)
    }

    /// The cached image of page `id`. It stays valid while `guard` is held.
    #[inline]
    pub fn get<'a>(&'a self, id: PageId, guard: &'a Guard) -> Option<&'a [u8]> {
        let found = self
            .slot(id, false)
            .and_then(|slot| self.image_in(slot, guard));
        let counters = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        // A load and a store, not an atomic add: the stripe is this thread's
        // (shared only past 16 threads, where a count may be lost), and these
        // are statistics.
        let counter = &counters[stripe()].0;
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        found
    }

    /// The image published in `slot`, marked as referenced for CLOCK.
    #[inline]
    fn image_in<'a>(&'a self, slot: &AtomicU32, guard: &'a Guard) -> Option<&'a [u8]> {
        let _ = guard;
        let value = slot.load(Ordering::Acquire);
        let frame = (value & FRAME_MASK).checked_sub(1)? as usize;
        if value & REFERENCED == 0 {
            slot.fetch_or(REFERENCED, Ordering::Relaxed);
        }
        let (slab, i) = self.frame(frame);
        // SAFETY: the acquire load of the slot saw the release store that
        // published the frame after its image was written; the frame is
        // written again only after it leaves the slot and every guard pinned
        // before that is gone (`evict` defers its reuse), and the returned
        // image borrows `guard`.
        Some(unsafe { slab.memory.image(i) })
    }

    /// Caches `image` as page `id` and returns the cached copy, or `None`
    /// when no frame is free right now. With `replace`, an older image of
    /// the page is dropped (the writer reused the page); without, an image
    /// another reader cached meanwhile is kept and returned.
    pub fn insert<'a>(
        &'a self,
        id: PageId,
        image: &[u8],
        replace: bool,
        guard: &'a Guard,
    ) -> Option<&'a [u8]> {
        assert_eq!(image.len(), self.page_size, "page image of the wrong size");
        let slot = self.slot(id, true)?;
        let mut clock = self.clock.lock();
        if let Some(old) = (slot.load(Ordering::Acquire) & FRAME_MASK).checked_sub(1) {
            if !replace {
                drop(clock);
                return self.image_in(slot, guard);
            }
            self.evict(&mut clock, old as usize, guard);
        }
        if clock.resident >= self.capacity {
            self.evict_one(&mut clock, guard);
        }
        let frame = self.take_frame(&mut clock, guard)?;
        let (slab, i) = self.frame(frame);
        // SAFETY: a frame from a new slab was never published; one from the
        // free list came back through the epoch after leaving its slot, so
        // no reader holds it, and it is in no slot until the store below.
        unsafe { slab.memory.write(i, image) };
        slab.pages[i].store(id, Ordering::Relaxed);
        // A swap, not a store: see `evict`.
        let replaced = slot.swap((frame as u32 + 1) | REFERENCED, Ordering::Release);
        assert_eq!(replaced & FRAME_MASK, 0, "page {id} published twice");
        clock.resident += 1;
        // SAFETY: written above by this thread, and only freed through the
        // epoch, which `guard` holds back while the image lives.
        Some(unsafe { slab.memory.image(i) })
    }

    /// A frame with no page: a free one, or one from a new slab.
    fn take_frame(&self, clock: &mut Clock, guard: &Guard) -> Option<usize> {
        if let Some(f) = self.free.lock().pop() {
            return Some(f as usize);
        }
        if clock.allocated < self.max_frames {
            let slab = clock.allocated / self.frames_per_slab;
            let memory = SlabMemory::new(self.frames_per_slab, self.page_size)?;
            let pages = (0..self.frames_per_slab)
                .map(|_| AtomicU64::new(NO_PAGE))
                .collect();
            let slab_ptr = Box::into_raw(Box::new(Slab { memory, pages }));
            self.slabs[slab].store(slab_ptr, Ordering::Release);
            let first = slab * self.frames_per_slab;
            let end = first + self.frames_per_slab;
            clock.allocated = end;
            self.free
                .lock()
                .extend((first as u32 + 1..end as u32).rev());
            return Some(first);
        }
        // Every frame is resident or waiting for readers to leave; hurry the
        // collector along and let this page go uncached.
        guard.flush();
        None
    }

    /// Evicts the first unreferenced resident frame after the hand (CLOCK:
    /// a referenced frame loses its mark and gets a second chance).
    fn evict_one(&self, clock: &mut Clock, guard: &Guard) {
        let frames = clock.allocated;
        for _ in 0..2 * frames + 1 {
            let f = clock.hand;
            clock.hand = (clock.hand + 1) % frames.max(1);
            let (slab, i) = self.frame(f);
            let page = slab.pages[i].load(Ordering::Relaxed);
            if page == NO_PAGE {
                continue;
            }
            if let Some(slot) = self.slot(page, false) {
                if slot.fetch_and(!REFERENCED, Ordering::Relaxed) & REFERENCED != 0 {
                    continue;
                }
            }
            self.evict(clock, f, guard);
            return;
        }
    }

    /// Unpublishes frame `frame` and frees it once no reader can see it.
    fn evict(&self, clock: &mut Clock, frame: usize, guard: &Guard) {
        let (slab, i) = self.frame(frame);
        let page = slab.pages[i].swap(NO_PAGE, Ordering::Relaxed);
        if page == NO_PAGE {
            return;
        }
        if let Some(slot) = self.slot(page, false) {
            // Inserts and evictions hold the clock lock, so the slot still
            // names this frame; readers only ever add the mark. Were it
            // another frame, clearing the slot would leave that frame
            // resident with no way to evict it, and this one would be freed
            // while still published: checked in release builds too.
            //
            // A swap rather than a store, here and in `insert`: a reader's
            // mark (`fetch_or`) may race with it, and loom 0.7 lets a plain
            // store fall between the read and the write of a concurrent
            // read-modify-write (tokio-rs/loom#254), which would resurrect
            // the slot in the model though no machine can.
            let replaced = slot.swap(0, Ordering::Release);
            assert_eq!(
                replaced & FRAME_MASK,
                frame as u32 + 1,
                "slot of page {page}"
            );
        }
        clock.resident -= 1;
        let free = self.free.clone();
        let frame = frame as u32;
        guard.defer(move || free.lock().push(frame));
    }

    /// Drops the images of pages `ids` that are cached: ids being reused for
    /// pages the cache does not hold (overflow pages), or pages a commit
    /// stopped using. Always safe: a reader that still wants one reads it
    /// from the disk again.
    pub fn remove(&self, ids: &[PageId], guard: &Guard) {
        let mut clock = None;
        for &id in ids {
            let Some(slot) = self.slot(id, false) else {
                continue;
            };
            if slot.load(Ordering::Acquire) & FRAME_MASK == 0 {
                continue;
            }
            let clock = clock.get_or_insert_with(|| self.clock.lock());
            if let Some(frame) = (slot.load(Ordering::Acquire) & FRAME_MASK).checked_sub(1) {
                self.evict(clock, frame as usize, guard);
            }
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Pages resident now.
    pub fn len(&self) -> usize {
        self.clock.lock().resident
    }

    pub fn hits_and_misses(&self) -> (u64, u64) {
        let sum = |c: &[Counter; COUNTERS]| c.iter().map(|c| c.0.load(Ordering::Relaxed)).sum();
        (sum(&self.hits), sum(&self.misses))
    }

    /// Checks the invariants the clock lock keeps: a slot names frame `f`
    /// exactly when frame `f` holds the slot's page, `resident` counts them,
    /// and a free frame holds no page and is listed once. It walks every
    /// page id, so only the model's tiny table is checked.
    #[cfg(all(test, loom))]
    fn assert_consistent(&self) {
        let clock = self.clock.lock();
        let mut published = 0;
        for id in 0..LIMIT {
            let Some(slot) = self.slot(id, false) else {
                continue;
            };
            if let Some(f) = (slot.load(Ordering::Relaxed) & FRAME_MASK).checked_sub(1) {
                let (slab, i) = self.frame(f as usize);
                assert_eq!(slab.pages[i].load(Ordering::Relaxed), id, "slot of {id}");
                published += 1;
            }
        }
        let mut holding = 0;
        for f in 0..clock.allocated {
            let (slab, i) = self.frame(f);
            holding += usize::from(slab.pages[i].load(Ordering::Relaxed) != NO_PAGE);
        }
        assert_eq!(published, clock.resident, "published slots");
        assert_eq!(holding, clock.resident, "frames holding a page");
        let free = self.free.lock();
        let mut seen = vec![false; clock.allocated];
        for &f in free.iter() {
            let (slab, i) = self.frame(f as usize);
            assert_eq!(
                slab.pages[i].load(Ordering::Relaxed),
                NO_PAGE,
                "free frame {f}"
            );
            assert!(
                !std::mem::replace(&mut seen[f as usize], true),
                "frame {f} freed twice"
            );
        }
    }
}

impl Drop for PageCache {
    fn drop(&mut self) {
        for slab in self.slabs.iter() {
            let p = slab.load(Ordering::Acquire);
            if !p.is_null() {
                // SAFETY: boxed in take_frame and freed only here, once;
                // readers borrow the cache while they hold an image, so none
                // is left.
                drop(unsafe { Box::from_raw(p) });
            }
        }
        for dir in self.top.iter() {
            let d = dir.load(Ordering::Acquire);
            if d.is_null() {
                continue;
            }
            // SAFETY: boxed in get_or_create and freed only here, once: we own
            // the cache, so nothing else can reach these pointers.
            let d = unsafe { Box::from_raw(d) };
            for chunk in d.iter() {
                let c = chunk.load(Ordering::Acquire);
                if !c.is_null() {
                    // SAFETY: boxed in get_or_create and freed only here, once.
                    drop(unsafe { Box::from_raw(c) });
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A page image shorter than a frame would be read out of bounds by the
    /// copy into the frame: refused in release builds too (it was a
    /// `debug_assert`).
    #[test]
    #[should_panic(expected = "page image of the wrong size")]
    fn a_short_image_is_refused_in_every_build() {
        let cache = PageCache::new(16, 4096);
        cache.insert(1, &[0; 100], false, &crossbeam_epoch::pin());
    }

    #[test]
    fn any_capacity_keeps_frame_numbers_below_the_mark_bit() {
        for page_size in [4096, 65536] {
            for pages in [0, 1, 16, 1 << 20, usize::MAX / page_size, usize::MAX] {
                let cache = PageCache::new(pages, page_size);
                assert!(
                    cache.max_frames < FRAME_MASK as usize,
                    "{pages} pages of {page_size}"
                );
                assert!(cache.capacity() >= 16);
            }
        }
    }
}
