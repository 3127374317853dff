//! Scans: resumable walks of the hash trie in (hash, key) order, which is
//! what lets a [`Cursor`] resume from the last pair it returned.
//!
//! A scan hands each pair, borrowed from the page image, to a [`ScanSink`];
//! the sink decides from the lengths whether it takes the pair, so a caller
//! can pack pairs straight into its own buffer (the C ABI's cursors do) and
//! a large overflow value is not read only to be refused.

use crate::error::{Error, Result};
use crate::node::FANOUT;
use crate::page::PageId;
use crate::trie::{self, IndexNode, NodeSource};
use crossbeam_epoch::Guard;

/// A resumable position in a scan of all pairs, or of the pairs whose key
/// starts with a prefix. Scans are in hash order (unordered for the user) and
/// see the snapshot (or transaction) they run in.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    prefix: Vec<u8>,
    /// The hash and key of the last pair taken.
    after: Option<(u64, Vec<u8>)>,
    done: bool,
}

impl Cursor {
    /// A cursor over every pair.
    pub fn all() -> Cursor {
        Cursor::default()
    }

    /// A cursor over the pairs whose key starts with `prefix`.
    pub fn new(prefix: &[u8]) -> Cursor {
        Cursor {
            prefix: prefix.to_vec(),
            ..Cursor::default()
        }
    }

    /// The key prefix this cursor is limited to.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// Whether the scan has returned every pair.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Where a scan puts the pairs it finds.
///
/// ```
/// # let db = nookdb::Database::memory();
/// # db.put(b"k", &[0x01]).unwrap();
/// /// Counts pairs and value bytes without copying anything.
/// struct Totals(usize, usize);
/// impl nookdb::ScanSink for Totals {
///     fn fits(&mut self, _key_len: usize, _value_len: usize) -> bool {
///         true
///     }
///     fn take(&mut self, _key: &[u8], value: &[u8]) {
///         self.0 += 1;
///         self.1 += value.len();
///     }
/// }
/// let mut totals = Totals(0, 0);
/// db.begin_read().unwrap().scan_into(&mut nookdb::Cursor::all(), &mut totals).unwrap();
/// assert_eq!((totals.0, totals.1), (1, 1));
/// ```
pub trait ScanSink {
    /// Whether the sink takes the next pair, given its lengths. `false` ends
    /// the scan step; the pair is not consumed and comes first next time.
    fn fits(&mut self, key_len: usize, value_len: usize) -> bool;
    /// Takes a pair `fits` accepted.
    fn take(&mut self, key: &[u8], value: &[u8]);
}

/// Owned pairs, up to a number of pairs and (after the first) 4 MiB.
pub(crate) struct PairBatch<'a> {
    pub out: &'a mut Vec<(Vec<u8>, Vec<u8>)>,
    pub max_pairs: usize,
    bytes: usize,
}

/// A batch of pairs stops early once it holds this many bytes (after at
/// least one pair), so that scanning large values holds little memory.
const BATCH_BYTES: usize = 4 << 20;

impl<'a> PairBatch<'a> {
    pub fn new(out: &'a mut Vec<(Vec<u8>, Vec<u8>)>, max_pairs: usize) -> PairBatch<'a> {
        PairBatch {
            out,
            max_pairs: max_pairs.max(1),
            bytes: 0,
        }
    }
}

impl ScanSink for PairBatch<'_> {
    fn fits(&mut self, _key_len: usize, _value_len: usize) -> bool {
        self.out.len() < self.max_pairs && self.bytes < BATCH_BYTES
    }
    fn take(&mut self, key: &[u8], value: &[u8]) {
        self.bytes += key.len() + value.len();
        self.out.push((key.to_vec(), value.to_vec()));
    }
}

/// Hands the pairs after the cursor's position to `sink` until it refuses
/// one or the scan ends (the cursor is then done), and advances the cursor
/// past every pair taken.
pub(crate) fn scan<S: NodeSource + ?Sized>(
    src: &S,
    root: PageId,
    cursor: &mut Cursor,
    sink: &mut dyn ScanSink,
) -> Result<()> {
    if cursor.done {
        return Ok(());
    }
    let guard = crossbeam_epoch::pin();
    let mut walk = Walk {
        src,
        guard: &guard,
        prefix: &cursor.prefix,
        sink,
        last: None,
        visits_left: src.page_count(),
    };
    let after = cursor.after.take();
    let result = walk.visit(
        root,
        None,
        HashRange::ALL,
        after.as_ref().map(|(h, k)| (*h, k.as_slice())),
    );
    cursor.after = walk.last.or(after);
    if result? {
        cursor.done = true;
    }
    Ok(())
}

struct Walk<'a, S: ?Sized> {
    src: &'a S,
    guard: &'a Guard,
    prefix: &'a [u8],
    sink: &'a mut dyn ScanSink,
    /// The hash and key of the last pair taken in this step.
    last: Option<(u64, Vec<u8>)>,
    /// Nodes this step may still visit. An honest trie is a tree of at most
    /// `page_count` pages, each visited at most once per step; a forged one
    /// whose nodes share children (or loop) would be walked without end.
    visits_left: u64,
}

/// The hashes a subtree may hold: those that route to it from the root.
#[derive(Clone, Copy)]
struct HashRange {
    first: u64,
    last: u64,
}

impl HashRange {
    const ALL: HashRange = HashRange {
        first: 0,
        last: u64::MAX,
    };

    /// The part of this range that slots `start..end` of an inner node at
    /// `level` (inside this range) route to.
    fn slots(self, level: u8, start: usize, end: usize) -> HashRange {
        let shift = trie::level_shift(level);
        HashRange {
            first: self.first | (start as u64) << shift,
            // `end << shift` is 2^64 for the root's last slot: wrap to it.
            last: self.first | ((end as u64) << shift).wrapping_sub(1),
        }
    }
}

impl<S: NodeSource + ?Sized> Walk<'_, S> {
    /// Visits the subtree at `id`; `after` is set only while the subtree holds
    /// the resume position. Returns false when the sink refused a pair.
    fn visit(
        &mut self,
        id: PageId,
        parent_level: Option<u8>,
        range: HashRange,
        after: Option<(u64, &[u8])>,
    ) -> Result<bool> {
        if self.visits_left == 0 {
            return Err(Error::corrupted(format!(
                "page {id}: the index reaches more pages than the database holds (its nodes share children or loop)"
            )));
        }
        self.visits_left -= 1;
        let node = self.src.node(id, self.guard)?;
        match node.index_under(id, parent_level)? {
            IndexNode::Inner(inner) => {
                let level = inner.level();
                let resume = after.map(|(h, _)| trie::route(h, level));
                let mut i = 0;
                while i < FANOUT {
                    let slot = inner.slot(i);
                    let (start, width) = slot.range(i);
                    let end = start + width;
                    i = end;
                    let child_after = match resume {
                        Some(r) if end <= r => continue,
                        Some(r) if start <= r => after,
                        _ => None,
                    };
                    let child_range = range.slots(level, start, end);
                    if !self.visit(slot.child, Some(level), child_range, child_after)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            IndexNode::Leaf(leaf) => {
                // Hashes are sorted in a leaf, so its ends bound them all: a
                // leaf reached through a slot its keys do not route to (a
                // forged leaf shared by two ranges) is not read twice.
                let n = leaf.len();
                if n > 0 && (leaf.hash(0) < range.first || leaf.hash(n - 1) > range.last) {
                    return Err(Error::corrupted(format!(
                        "page {id}: a leaf holds keys that do not route to it"
                    )));
                }
                let mut i = after.map_or(0, |(h, _)| leaf.first_at_or_after(h));
                while i < leaf.len() {
                    let e = leaf.entry(i);
                    i += 1;
                    let key = trie::entry_key(self.src, &e)?;
                    if let Some((h, k)) = after {
                        if e.hash == h && trie::compare_keys(&key, k).is_le() {
                            continue;
                        }
                    }
                    if !has_prefix(&key, self.prefix) {
                        continue;
                    }
                    let value_len = e.value.map_or_else(
                        || e.overflow.map_or(0, |(_, len)| len as usize),
                        <[u8]>::len,
                    );
                    if !self.sink.fits(key.len(), value_len) {
                        return Ok(false);
                    }
                    let value = trie::entry_value(self.src, &e)?;
                    self.sink.take(&key, &value);
                    let last = self.last.get_or_insert_with(|| (0, Vec::new()));
                    last.0 = e.hash;
                    last.1.clear();
                    last.1.extend_from_slice(&key);
                }
                Ok(true)
            }
        }
    }
}

/// Whether `key` starts with `prefix`, by a byte loop: prefixes are short,
/// and a `memcmp` call per pair (what `starts_with` becomes) cost more than
/// the rest of the scan together, even for an empty prefix.
fn has_prefix(key: &[u8], prefix: &[u8]) -> bool {
    key.len() >= prefix.len() && key.iter().zip(prefix).all(|(a, b)| a == b)
}
