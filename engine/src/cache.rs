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

use crate::page::PageId;
use crossbeam_epoch::Guard;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

const BITS: u32 = 12;
const FAN: usize = 1 << BITS;
/// Pages at or beyond this id are not cached (256 TiB with 4 KiB pages).
const LIMIT: PageId = 1 << (3 * BITS);
const COUNTERS: usize = 16;
const SLAB_BYTES: usize = 2 << 20;
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

#[repr(align(128))]
struct Counter(AtomicU64);

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
                // SAFETY: `fresh` was never shared; another thread won the race.
                drop(unsafe { Box::from_raw(fresh) });
                p = existing;
            }
        }
    }
    // SAFETY: published pointers are never freed before the cache is dropped.
    unsafe { &*p }
}

/// A stripe of the hit counters per thread, so that two threads reading the
/// same hot pages do not fight over one counter's cache line.
#[inline]
fn stripe() -> usize {
    use std::cell::Cell;
    static NEXT: AtomicU32 = AtomicU32::new(0);
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
    /// least 16 pages, at most 1 TiB: frame numbers must fit 31 bits, and the
    /// slab table is sized for the capacity up front).
    pub fn new(capacity_pages: usize, page_size: usize) -> PageCache {
        let most = (MAX_CACHE_BYTES / page_size as u64).min(usize::MAX as u64) as usize;
        let capacity = capacity_pages.clamp(16, most);
        // Evicted frames wait for readers to leave their epoch before reuse;
        // this slack keeps inserts from stalling meanwhile.
        let max_frames = capacity + (capacity / 8).max(64);
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
            hits: Box::new(std::array::from_fn(|_| Counter(AtomicU64::new(0)))),
            misses: Box::new(std::array::from_fn(|_| Counter(AtomicU64::new(0)))),
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
            // SAFETY: see get_or_create.
            unsafe { p.as_ref()? }
        };
        let chunk = if create {
            get_or_create(&dir[b], || new_array(|| AtomicU32::new(0)))
        } else {
            let p = dir[b].load(Ordering::Acquire);
            // SAFETY: see get_or_create.
            unsafe { p.as_ref()? }
        };
        Some(&chunk[c])
    }

    /// The address of frame `frame` and the page it holds; its slab exists.
    #[inline]
    fn frame(&self, frame: usize) -> (*mut u8, &AtomicU64) {
        let slab = self.slabs[frame / self.frames_per_slab].load(Ordering::Acquire);
        // SAFETY: a frame number is only handed out once its slab is
        // published, and slabs live as long as the cache.
        let slab = unsafe { &*slab };
        let i = frame % self.frames_per_slab;
        // SAFETY: the offset stays inside the slab.
        (
            unsafe { slab.memory.ptr.add(i * self.page_size) },
            &slab.pages[i],
        )
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
        let (ptr, _) = self.frame(frame);
        // SAFETY: a frame published in a slot holds that page's image and is
        // not written again before every guard that could see the slot is
        // gone (eviction defers its reuse through the epoch).
        Some(unsafe { std::slice::from_raw_parts(ptr, self.page_size) })
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
        debug_assert_eq!(image.len(), self.page_size);
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
        let (ptr, page) = self.frame(frame);
        // SAFETY: a frame from the free list or a new slab is not published in
        // any slot and no reader holds it, so we have it to ourselves.
        unsafe { std::ptr::copy_nonoverlapping(image.as_ptr(), ptr, self.page_size) };
        page.store(id, Ordering::Relaxed);
        slot.store((frame as u32 + 1) | REFERENCED, Ordering::Release);
        clock.resident += 1;
        // SAFETY: as in `get`.
        Some(unsafe { std::slice::from_raw_parts(ptr, self.page_size) })
    }

    /// A frame with no page: a free one, or one from a new slab.
    fn take_frame(&self, clock: &mut Clock, guard: &Guard) -> Option<usize> {
        if let Some(f) = self.free.lock().pop() {
            return Some(f as usize);
        }
        if clock.allocated < self.max_frames {
            let slab = clock.allocated / self.frames_per_slab;
            let memory = SlabMemory::new(self.frames_per_slab * self.page_size)?;
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
            let page = self.frame(f).1.load(Ordering::Relaxed);
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
        let page = self.frame(frame).1.swap(NO_PAGE, Ordering::Relaxed);
        if page == NO_PAGE {
            return;
        }
        if let Some(slot) = self.slot(page, false) {
            // Inserts and evictions hold the clock lock, so the slot still
            // names this frame; readers only ever add the mark.
            debug_assert_eq!(slot.load(Ordering::Relaxed) & FRAME_MASK, frame as u32 + 1);
            slot.store(0, Ordering::Release);
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
}

/// The memory of one slab. On Linux it is mapped directly (so that it is
/// untouched when we advise it) and backed by transparent huge pages where
/// the system allows.
struct SlabMemory {
    ptr: *mut u8,
    len: usize,
    /// What to give back: the mapping (Linux) or the allocation.
    base: *mut u8,
    base_len: usize,
}

impl SlabMemory {
    #[cfg(target_os = "linux")]
    fn new(len: usize) -> Option<SlabMemory> {
        // Over-map by one huge page to align the slab to one.
        let base_len = len + SLAB_BYTES;
        // SAFETY: an anonymous private mapping of fresh memory.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                base_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        let base = base.cast::<u8>();
        let ptr = base.wrapping_add(base.align_offset(SLAB_BYTES));
        if len >= SLAB_BYTES {
            // SAFETY: the range lies in our mapping; the advice changes no
            // contents. Failure (THP disabled) just means small pages.
            unsafe { libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE) };
        }
        Some(SlabMemory {
            ptr,
            len,
            base,
            base_len,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn new(len: usize) -> Option<SlabMemory> {
        let layout = std::alloc::Layout::from_size_align(len, 4096).ok()?;
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { std::alloc::alloc(layout) };
        (!base.is_null()).then_some(SlabMemory {
            ptr: base,
            len,
            base,
            base_len: len,
        })
    }
}

impl Drop for SlabMemory {
    fn drop(&mut self) {
        debug_assert!(self.len <= self.base_len);
        #[cfg(target_os = "linux")]
        // SAFETY: our own mapping, unmapped once.
        unsafe {
            libc::munmap(self.base.cast(), self.base_len);
        }
        #[cfg(not(target_os = "linux"))]
        // SAFETY: allocated in `new` with this layout.
        unsafe {
            std::alloc::dealloc(
                self.base,
                std::alloc::Layout::from_size_align_unchecked(self.base_len, 4096),
            );
        }
    }
}

impl Drop for PageCache {
    fn drop(&mut self) {
        for slab in self.slabs.iter() {
            let p = slab.load(Ordering::Acquire);
            if !p.is_null() {
                // SAFETY: boxed in take_frame; readers hold the store (and so
                // the cache) while they read.
                drop(unsafe { Box::from_raw(p) });
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
