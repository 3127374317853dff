//! Overflow records: values (and long keys) too large for a leaf live in their
//! own pages: a chain of index pages listing data pages, so freeing a record
//! reads only its index pages (1/500 of its size), and the data pages are
//! allocated one by one like any other page, so freed space is always reusable.
//!
//! Record bytes are the key (only when it is not inline in the leaf) followed
//! by the value. Overflow pages bypass the page cache: large values would
//! otherwise evict the index.

use crate::error::{Error, Result};
use crate::page::{
    self, get_u16, get_u64, put_u16, put_u64, PageId, PageKind, TxId, PAGE_HEADER_LEN,
};
use crate::store::Store;

const INDEX_IDS_AT: usize = PAGE_HEADER_LEN + 8;

fn payload(page_size: usize) -> usize {
    page_size - PAGE_HEADER_LEN
}

fn ids_per_index(page_size: usize) -> usize {
    (page_size - INDEX_IDS_AT) / 8
}

/// Writes a record made of `parts` (concatenated) into freshly allocated pages
/// and returns the id of its first index page. `alloc` hands out free pages;
/// the pages written and their checksums are added to `written` (a
/// single-fsync commit lists them in its manifest).
pub fn write(
    store: &Store,
    txid: TxId,
    parts: &[&[u8]],
    mut alloc: impl FnMut() -> Result<PageId>,
    written: &mut Vec<(PageId, u64)>,
) -> Result<PageId> {
    let ps = store.page_size;
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let data_count = len.div_ceil(payload(ps)).max(1);
    let index_count = data_count.div_ceil(ids_per_index(ps));
    let index_ids = (0..index_count)
        .map(|_| alloc())
        .collect::<Result<Vec<_>>>()?;
    let data_ids = (0..data_count)
        .map(|_| alloc())
        .collect::<Result<Vec<_>>>()?;

    let mut images = Vec::with_capacity(index_count + data_count);
    for (n, chunk) in data_ids.chunks(ids_per_index(ps)).enumerate() {
        let id = index_ids[n];
        let mut p = page::new_page(ps, PageKind::OverflowIndex, id, txid);
        put_u16(&mut p, 10, chunk.len() as u16);
        put_u64(
            &mut p,
            PAGE_HEADER_LEN,
            index_ids.get(n + 1).copied().unwrap_or(0),
        );
        for (i, d) in chunk.iter().enumerate() {
            put_u64(&mut p, INDEX_IDS_AT + i * 8, *d);
        }
        page::seal(&mut p);
        images.push((id, p));
    }
    let (mut part, mut at) = (0, 0);
    for &id in &data_ids {
        let mut p = page::new_page(ps, PageKind::OverflowData, id, txid);
        let mut filled = PAGE_HEADER_LEN;
        while filled < ps && part < parts.len() {
            let take = (ps - filled).min(parts[part].len() - at);
            p[filled..filled + take].copy_from_slice(&parts[part][at..at + take]);
            filled += take;
            at += take;
            if at == parts[part].len() {
                part += 1;
                at = 0;
            }
        }
        page::seal(&mut p);
        images.push((id, p));
    }
    store.write_pages(&mut images)?;
    written.extend(
        images
            .iter()
            .map(|(id, image)| (*id, page::checksum_of(image))),
    );
    Ok(index_ids[0])
}

/// Every page of the record at `head` (index pages first), bounded by its length.
pub fn pages(store: &Store, head: PageId, len: usize, page_count: u64) -> Result<Vec<PageId>> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    walk(store, head, len, page_count, |i, d| {
        index.push(i);
        data.extend_from_slice(d);
        Ok(true)
    })?;
    index.extend(data);
    Ok(index)
}

/// Calls `f(index page, its data ids)` along the chain until `f` returns false.
fn walk(
    store: &Store,
    head: PageId,
    len: usize,
    page_count: u64,
    mut f: impl FnMut(PageId, &[PageId]) -> Result<bool>,
) -> Result<()> {
    let ps = store.page_size;
    let mut remaining = len.div_ceil(payload(ps)).max(1);
    let mut id = head;
    let mut ids = Vec::new();
    while remaining > 0 {
        if id < page::FIRST_DATA_PAGE || id >= page_count {
            return Err(Error::corrupted(format!(
                "overflow chain refers to page {id}, outside the database"
            )));
        }
        let p = store.read_page(id, PageKind::OverflowIndex)?;
        let count = get_u16(&p, 10) as usize;
        if count == 0 || count > ids_per_index(ps) || count > remaining {
            return Err(Error::corrupted(format!(
                "overflow index page {id} has a bad count"
            )));
        }
        ids.clear();
        for i in 0..count {
            let d = get_u64(&p, INDEX_IDS_AT + i * 8);
            if d < page::FIRST_DATA_PAGE || d >= page_count {
                return Err(Error::corrupted(format!(
                    "overflow index page {id} refers to page {d}"
                )));
            }
            ids.push(d);
        }
        if !f(id, &ids)? {
            return Ok(());
        }
        remaining -= count;
        id = get_u64(&p, PAGE_HEADER_LEN);
    }
    Ok(())
}

/// Reads bytes `skip..skip + want` of the record at `head` (total length `len`).
pub fn read(
    store: &Store,
    head: PageId,
    len: usize,
    skip: usize,
    want: usize,
    page_count: u64,
) -> Result<Vec<u8>> {
    let ps = store.page_size;
    let pl = payload(ps);
    let end = skip + want;
    if end > len {
        return Err(Error::internal("overflow read past the record"));
    }
    let mut out = Vec::with_capacity(want);
    let mut data_index = 0usize;
    walk(store, head, len, page_count, |_, ids| {
        for &d in ids {
            let page_start = data_index * pl;
            data_index += 1;
            let page_end = page_start + pl;
            if page_end <= skip {
                continue;
            }
            if page_start >= end {
                return Ok(false);
            }
            let p = store.read_page(d, PageKind::OverflowData)?;
            let from = skip.max(page_start) - page_start;
            let to = end.min(page_end) - page_start;
            out.extend_from_slice(&p[PAGE_HEADER_LEN + from..PAGE_HEADER_LEN + to]);
        }
        Ok(out.len() < want)
    })?;
    if out.len() != want {
        return Err(Error::corrupted(format!(
            "overflow record at page {head} is shorter than its length"
        )));
    }
    Ok(out)
}
