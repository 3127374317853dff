//! The memory of one slab of frames. On Linux it is mapped directly (so
//! that it is untouched when we advise it) and backed by transparent huge
//! pages where the system allows. Under the model check (`cfg(loom)`) each
//! frame is a loom cell instead, so that loom sees every read and write of a
//! frame and reports one that is not ordered after the accesses before it.
//!
//! Frames are read and written without locks: who may touch a frame when is
//! the cache's protocol (see `cache.rs`), stated as the safety contract of
//! [`SlabMemory::image`] and [`SlabMemory::write`].

/// The alignment of a mapped slab: one x86-64 / AArch64 huge page.
#[cfg(all(target_os = "linux", not(loom)))]
const HUGE_PAGE: usize = 2 << 20;

pub(super) struct SlabMemory {
    page_size: usize,
    frames: usize,
    #[cfg(not(loom))]
    ptr: *mut u8,
    /// What to give back: the mapping (Linux) or the allocation.
    #[cfg(not(loom))]
    base: *mut u8,
    #[cfg(not(loom))]
    base_len: usize,
    #[cfg(loom)]
    cells: Box<[loom::cell::UnsafeCell<Box<[u8]>>]>,
}

impl SlabMemory {
    /// `frames` frames of `page_size` bytes each, or `None` when the memory
    /// cannot be had.
    #[cfg(all(target_os = "linux", not(loom)))]
    pub(super) fn new(frames: usize, page_size: usize) -> Option<SlabMemory> {
        let len = frames.checked_mul(page_size)?;
        // Over-map by one huge page to align the slab to one.
        let base_len = len.checked_add(HUGE_PAGE)?;
        // SAFETY: an anonymous private mapping of fresh memory aliases nothing.
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
        // The offset is below HUGE_PAGE, so `ptr..ptr + len` lies in the mapping.
        let ptr = base.wrapping_add(base.align_offset(HUGE_PAGE));
        if len >= HUGE_PAGE {
            // SAFETY: the range lies in our mapping; the advice changes no
            // contents. Failure (THP disabled) just means small pages.
            unsafe { libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE) };
        }
        Some(SlabMemory {
            page_size,
            frames,
            ptr,
            base,
            base_len,
        })
    }

    #[cfg(all(not(target_os = "linux"), not(loom)))]
    pub(super) fn new(frames: usize, page_size: usize) -> Option<SlabMemory> {
        let len = frames.checked_mul(page_size)?;
        let layout = std::alloc::Layout::from_size_align(len, 4096).ok()?;
        if layout.size() == 0 {
            return None;
        }
        // SAFETY: the layout has a non-zero size (checked above).
        let base = unsafe { std::alloc::alloc(layout) };
        (!base.is_null()).then_some(SlabMemory {
            page_size,
            frames,
            ptr: base,
            base,
            base_len: len,
        })
    }

    #[cfg(loom)]
    pub(super) fn new(frames: usize, page_size: usize) -> Option<SlabMemory> {
        let cells = (0..frames)
            .map(|_| loom::cell::UnsafeCell::new(vec![0; page_size].into_boxed_slice()))
            .collect();
        Some(SlabMemory {
            page_size,
            frames,
            cells,
        })
    }

    /// The image in frame `frame`.
    ///
    /// # Safety
    ///
    /// No [`write`](Self::write) to this frame may start while the returned
    /// slice is alive, and the last write must happen before this call (the
    /// cache publishes a frame with a release store after writing it, and
    /// frees it only through the epoch once every reader that might see it
    /// has left).
    #[inline]
    pub(super) unsafe fn image(&self, frame: usize) -> &[u8] {
        assert!(frame < self.frames, "frame {frame} beyond the slab");
        #[cfg(not(loom))]
        {
            // SAFETY: frame < frames, so the range lies inside the slab's
            // `frames * page_size` bytes; no write overlaps it (the caller's
            // contract).
            unsafe {
                std::slice::from_raw_parts(self.ptr.add(frame * self.page_size), self.page_size)
            }
        }
        #[cfg(loom)]
        {
            // loom records the read here and checks it against the writes.
            let image: *const [u8] = self.cells[frame].with(|cell| {
                // SAFETY: the cell holds a live boxed slice; a reference to
                // its contents outlives this access only under the caller's
                // contract.
                unsafe { &**cell as *const [u8] }
            });
            // SAFETY: as above; the box is only replaced with the slab.
            unsafe { &*image }
        }
    }

    /// Copies `image` into frame `frame`.
    ///
    /// # Safety
    ///
    /// No reader may hold an image of this frame, nor obtain one before this
    /// write is published: the frame is in no table slot, and every guard
    /// that could have seen it in one is gone.
    pub(super) unsafe fn write(&self, frame: usize, image: &[u8]) {
        // A shorter image would be read out of bounds, a longer one written
        // past the frame: checked in release builds too.
        assert_eq!(image.len(), self.page_size, "page image of the wrong size");
        assert!(frame < self.frames, "frame {frame} beyond the slab");
        #[cfg(not(loom))]
        // SAFETY: both ranges are `page_size` bytes long (asserted above),
        // the destination lies inside the slab (frame < frames), and nothing
        // reads or writes it meanwhile (the caller's contract). `image` is a
        // caller's buffer, never a frame, so they do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                image.as_ptr(),
                self.ptr.add(frame * self.page_size),
                self.page_size,
            );
        }
        #[cfg(loom)]
        // SAFETY: loom checks that no access overlaps this one.
        self.cells[frame].with_mut(|cell| unsafe { (*cell).copy_from_slice(image) });
    }
}

#[cfg(not(loom))]
impl Drop for SlabMemory {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        // SAFETY: our own mapping, of this length, unmapped once; the cache
        // drops its slabs only when no reader can hold an image.
        unsafe {
            libc::munmap(self.base.cast(), self.base_len);
        }
        #[cfg(not(target_os = "linux"))]
        // SAFETY: allocated in `new` with this layout (which was valid
        // there), freed once.
        unsafe {
            std::alloc::dealloc(
                self.base,
                std::alloc::Layout::from_size_align_unchecked(self.base_len, 4096),
            );
        }
    }
}
