//! The page layer of the file format (`spec/format.md`): page ids, the common
//! 32-byte page header with its checksum, the file header (page 0) and the two
//! meta pages (pages 1 and 2).

use crate::error::{Error, Result};
use xxhash_rust::xxh3::xxh3_64;

/// The number of a page in the file: byte offset = id × page size.
pub type PageId = u64;

/// Transaction id: the number of commits that produced a state.
pub type TxId = u64;

/// Bytes of the header that starts every page except page 0.
pub const PAGE_HEADER_LEN: usize = 32;
/// Largest page id that fits the 48 bits a trie slot gives it.
pub const MAX_PAGE_ID: PageId = (1 << 48) - 1;
/// First page that may hold data; pages 0..3 are the header and the meta slots.
pub const FIRST_DATA_PAGE: PageId = 3;

/// What a page holds; byte 8 of its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PageKind {
    Inner = 1,
    Leaf = 2,
    FreeList = 3,
    OverflowIndex = 4,
    OverflowData = 5,
    Meta = 6,
}

impl PageKind {
    fn from_byte(b: u8) -> Option<PageKind> {
        Some(match b {
            1 => PageKind::Inner,
            2 => PageKind::Leaf,
            3 => PageKind::FreeList,
            4 => PageKind::OverflowIndex,
            5 => PageKind::OverflowData,
            6 => PageKind::Meta,
            _ => return None,
        })
    }
}

pub(crate) fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
pub(crate) fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
pub(crate) fn get_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
pub(crate) fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Starts a page image: zeroed, with kind, id and txid filled in. The checksum
/// is added by [`seal`] once the body is written.
pub(crate) fn new_page(page_size: usize, kind: PageKind, id: PageId, txid: TxId) -> Vec<u8> {
    let mut page = vec![0u8; page_size];
    init_page(&mut page, kind, id, txid);
    page
}

/// Starts a page image in `page`, as [`new_page`] does.
pub(crate) fn init_page(page: &mut [u8], kind: PageKind, id: PageId, txid: TxId) {
    page.fill(0);
    page[8] = kind as u8;
    put_u64(page, 16, id);
    put_u64(page, 24, txid);
}

/// Writes the checksum of bytes 8.. into bytes 0..8.
pub(crate) fn seal(page: &mut [u8]) {
    let sum = xxh3_64(&page[8..]);
    put_u64(page, 0, sum);
}

/// Verifies a page read from disk: checksum, kind and self id. The id check
/// catches misdirected writes and reads of the wrong offset.
pub(crate) fn verify(page: &[u8], id: PageId, expected: PageKind) -> Result<()> {
    let stored = get_u64(page, 0);
    if stored != xxh3_64(&page[8..]) {
        return Err(Error::corrupted(format!(
            "page {id}: checksum mismatch (the page is damaged); restore a backup or run check"
        )));
    }
    let self_id = get_u64(page, 16);
    if self_id != id {
        return Err(Error::corrupted(format!(
            "page {id}: it carries the id {self_id} (a misplaced write)"
        )));
    }
    match PageKind::from_byte(page[8]) {
        Some(kind) if kind == expected => Ok(()),
        other => Err(Error::corrupted(format!(
            "page {id}: expected a {expected:?} page, found {}",
            other
                .map(|k| format!("{k:?}"))
                .unwrap_or_else(|| format!("kind byte {}", page[8]))
        ))),
    }
}

/// The kind byte of a verified page.
pub(crate) fn kind_of(page: &[u8]) -> Option<PageKind> {
    PageKind::from_byte(page[8])
}

/// Magic bytes at offset 0 of every Nook file. The CR-LF and Ctrl-Z catch
/// text-mode transfers, as PNG's signature does.
pub const MAGIC: [u8; 8] = *b"NOOK\r\n\x1a\n";
/// Bytes of page 0 that are meaningful (the rest of the page is zero).
pub const FILE_HEADER_LEN: usize = 48;

/// Page 0: written once when the file is created, never changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    pub format_version: u32,
    pub page_size: u32,
    /// The SipHash-1-3 key of this database's index.
    pub seed: [u8; 16],
    pub created_unix: u64,
}

impl FileHeader {
    pub fn encode(&self) -> [u8; FILE_HEADER_LEN] {
        let mut b = [0u8; FILE_HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        put_u32(&mut b, 8, self.format_version);
        put_u32(&mut b, 12, self.page_size);
        b[16..32].copy_from_slice(&self.seed);
        put_u64(&mut b, 32, self.created_unix);
        let sum = xxh3_64(&b[0..40]);
        put_u64(&mut b, 40, sum);
        b
    }

    pub fn decode(b: &[u8]) -> Result<FileHeader> {
        if b.len() < FILE_HEADER_LEN || b[0..8] != MAGIC {
            return Err(Error::corrupted(
                "not a Nook database (the magic bytes are missing); check the path",
            ));
        }
        if get_u64(b, 40) != xxh3_64(&b[0..40]) {
            return Err(Error::corrupted(
                "the file header (page 0) is damaged; restore a backup",
            ));
        }
        let header = FileHeader {
            format_version: get_u32(b, 8),
            page_size: get_u32(b, 12),
            seed: b[16..32].try_into().unwrap(),
            created_unix: get_u64(b, 32),
        };
        Ok(header)
    }
}

/// Whether `size` is a page size this build supports.
pub fn valid_page_size(size: u32) -> bool {
    size.is_power_of_two() && (4096..=65536).contains(&size)
}

/// Byte offset of the manifest in a meta page.
pub const MANIFEST_AT: usize = 96;

/// How many (page id, checksum) pairs a meta page's manifest holds.
pub fn manifest_capacity(page_size: usize) -> usize {
    (page_size - MANIFEST_AT) / 16
}

/// The checksum stored in a sealed page image.
pub(crate) fn checksum_of(page: &[u8]) -> u64 {
    get_u64(page, 0)
}

/// Verifies a page of a single-fsync commit: it must be exactly the image the
/// commit wrote (its checksum matches the manifest and its contents). A stale
/// page left by an older or a failed commit has another checksum.
pub(crate) fn verify_manifest_entry(page: &[u8], id: PageId, sum: u64) -> Result<()> {
    if checksum_of(page) != sum || sum != xxh3_64(&page[8..]) || get_u64(page, 16) != id {
        return Err(Error::corrupted(format!(
            "page {id} of the last commit did not reach the disk intact"
        )));
    }
    Ok(())
}

/// The record of one commit, kept in one of the two commit slots (pages 1 and
/// 2). A durable commit always goes into the slot that does not hold the last
/// durable one, so a torn write leaves that one intact (`spec/format.md`,
/// "Meta slots"); open takes the valid slot with the highest txid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetaPage {
    pub txid: TxId,
    /// Root inner node of the hash trie.
    pub root: PageId,
    pub key_count: u64,
    /// Pages `0..page_count` belong to the database; the rest is slack.
    pub page_count: u64,
    /// Oldest page of the free-page queue (equal to `free_tail` when empty).
    pub free_head: PageId,
    /// Reserved, not yet written page where the next queue page goes.
    pub free_tail: PageId,
    /// Entries of the head page already taken by earlier transactions.
    pub free_head_skip: u32,
    /// Page ids in the queue, minus the skipped ones (for stats).
    pub free_count: u64,
}

impl MetaPage {
    /// The slot a durable commit writes when `durable_slot` holds the last
    /// durable commit: the other one, never the one open would fall back to.
    pub fn other_slot(durable_slot: PageId) -> PageId {
        debug_assert!(durable_slot == 1 || durable_slot == 2);
        3 - durable_slot
    }

    /// Encodes the image of slot `slot`. `manifest` lists the pages this
    /// commit wrote and their checksums when it was made durable by a single
    /// fsync (see [`MANIFEST_AT`]).
    pub fn encode(&self, page_size: usize, slot: PageId, manifest: &[(PageId, u64)]) -> Vec<u8> {
        let mut p = new_page(page_size, PageKind::Meta, slot, self.txid);
        put_u64(&mut p, 32, self.root);
        put_u64(&mut p, 40, self.key_count);
        put_u64(&mut p, 48, self.page_count);
        put_u64(&mut p, 56, self.free_head);
        put_u64(&mut p, 64, self.free_tail);
        put_u32(&mut p, 72, self.free_head_skip);
        put_u64(&mut p, 80, self.free_count);
        put_u32(&mut p, 76, manifest.len() as u32);
        for (i, (id, sum)) in manifest.iter().enumerate() {
            put_u64(&mut p, MANIFEST_AT + i * 16, *id);
            put_u64(&mut p, MANIFEST_AT + i * 16 + 8, *sum);
        }
        seal(&mut p);
        p
    }

    /// The pages a single-fsync commit wrote and their checksums, which open
    /// must find on disk before trusting this slot.
    pub fn manifest(page: &[u8]) -> Result<Vec<(PageId, u64)>> {
        let count = get_u32(page, 76) as usize;
        if count > manifest_capacity(page.len()) {
            return Err(Error::corrupted("a meta page lists too many pages"));
        }
        Ok((0..count)
            .map(|i| {
                (
                    get_u64(page, MANIFEST_AT + i * 16),
                    get_u64(page, MANIFEST_AT + i * 16 + 8),
                )
            })
            .collect())
    }

    /// Decodes slot `id`, or says why it is not a valid commit.
    pub fn decode(page: &[u8], id: PageId) -> Result<MetaPage> {
        verify(page, id, PageKind::Meta)?;
        let meta = MetaPage {
            txid: get_u64(page, 24),
            root: get_u64(page, 32),
            key_count: get_u64(page, 40),
            page_count: get_u64(page, 48),
            free_head: get_u64(page, 56),
            free_tail: get_u64(page, 64),
            free_head_skip: get_u32(page, 72),
            free_count: get_u64(page, 80),
        };
        let in_range = |p: PageId| p >= FIRST_DATA_PAGE && p < meta.page_count;
        if meta.page_count > MAX_PAGE_ID
            || !in_range(meta.root)
            || !in_range(meta.free_head)
            || !in_range(meta.free_tail)
        {
            return Err(Error::corrupted(format!(
                "meta page {id} points outside the file"
            )));
        }
        Ok(meta)
    }
}
