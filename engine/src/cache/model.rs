//! The model check of the page cache: loom runs each scenario below under
//! every interleaving of the cache's atomics, locks and epoch operations
//! (crossbeam-epoch's own loom build), and sees every read and write of a
//! frame. It fails if a reader can see a torn image or another page's, if a
//! frame is written while a reader may still hold it (freed without the
//! epoch, or published without release/acquire), or if the table and the
//! frames disagree afterwards.
//!
//! Run: `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test -p nookdb
//! --lib --release cache_model` (in `tests/all.sh`, with its own target
//! directory). `LOOM_MAX_PREEMPTIONS` bounds the search: the default here,
//! 2 preemptions per execution, takes seconds and already catches a frame
//! freed without the epoch and a slot published without release; 3 explores
//! far more (about three CPU-minutes) and passes too.

use super::*;
use crossbeam_epoch::Collector;
use loom::sync::Arc;
use loom::thread;

/// One frame per slab (`SLAB_BYTES` is 8 under loom): every new frame
/// publishes a slab, so that publication is explored too.
const PAGE: usize = 8;

/// Version `version` of page `page`: every byte says which.
fn image(page: PageId, version: u8) -> [u8; PAGE] {
    [(page as u8) << 4 | version; PAGE]
}

/// A reader must see a whole image of the page it asked for.
fn assert_image_of(page: PageId, image: &[u8]) {
    assert_eq!(image.len(), PAGE);
    assert!(image.iter().all(|&b| b == image[0]), "torn image {image:?}");
    assert_eq!(
        PageId::from(image[0] >> 4),
        page,
        "the image of another page"
    );
}

fn model(scenario: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(scenario);
}

/// A reader of page `page` as `Store::page` reads: the cached image, or on
/// a miss the image from "disk" cached without replacing another.
fn spawn_reader(
    cache: &Arc<PageCache>,
    collector: &Collector,
    page: PageId,
) -> thread::JoinHandle<()> {
    let (cache, collector) = (cache.clone(), collector.clone());
    thread::spawn(move || {
        let handle = collector.register();
        let guard = handle.pin();
        let cached = match cache.get(page, &guard) {
            Some(image) => Some(image),
            None => cache.insert(page, &image(page, 0), false, &guard),
        };
        if let Some(cached) = cached {
            assert_image_of(page, cached);
        }
    })
}

/// Lets the epoch move on twice, so that frames evicted before are back in
/// the free list unless a reader still holds its guard.
fn advance(handle: &crossbeam_epoch::LocalHandle) {
    for _ in 0..2 {
        handle.pin().flush();
    }
}

#[test]
fn cache_model_eviction_waits_for_readers() {
    model(|| {
        let collector = Collector::new();
        // Capacity 1: two frames, so the frame page 1 leaves is the next one
        // taken once the epoch lets it go.
        let cache = Arc::new(PageCache::new(1, PAGE));
        let handle = collector.register();
        cache.insert(1, &image(1, 0), false, &handle.pin());

        let reader = spawn_reader(&cache, &collector, 1);
        // CLOCK evicts page 1 for page 2, then page 2 for page 3, which
        // takes page 1's frame back if no reader holds it.
        cache.insert(2, &image(2, 0), false, &handle.pin());
        advance(&handle);
        cache.insert(3, &image(3, 0), false, &handle.pin());
        reader.join().unwrap();
        cache.assert_consistent();
    });
}

#[test]
fn cache_model_replace_and_remove_wait_for_readers() {
    model(|| {
        let collector = Collector::new();
        let cache = Arc::new(PageCache::new(1, PAGE));
        let handle = collector.register();
        cache.insert(1, &image(1, 0), false, &handle.pin());

        let reader = spawn_reader(&cache, &collector, 1);
        // The writer reuses page 1 (a new image replaces the old), then
        // frees it (removed), and page 2 takes a frame back.
        cache.insert(1, &image(1, 1), true, &handle.pin());
        cache.remove(&[1], &handle.pin());
        advance(&handle);
        let guard = handle.pin();
        if let Some(cached) = cache.insert(2, &image(2, 0), false, &guard) {
            assert_image_of(2, cached);
        }
        drop(guard);
        reader.join().unwrap();
        cache.assert_consistent();
    });
}

#[test]
fn cache_model_readers_cache_the_same_page_at_once() {
    model(|| {
        let collector = Collector::new();
        let cache = Arc::new(PageCache::new(1, PAGE));
        let readers = [
            spawn_reader(&cache, &collector, 1),
            spawn_reader(&cache, &collector, 1),
        ];
        for reader in readers {
            reader.join().unwrap();
        }
        cache.assert_consistent();
        assert_eq!(cache.len(), 1, "one copy of page 1");
    });
}
