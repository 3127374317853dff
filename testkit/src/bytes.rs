//! Byte-level helpers for tests that build values or forge pages: CBOR byte
//! strings of any size, little-endian fields, and page checksums
//! (`spec/format.md`: XXH3-64 of bytes 8.. in bytes 0..8; the file header's
//! of bytes 0..40 in bytes 40..48).

/// A CBOR byte string of `len` bytes of `fill` (shortest length form): a
/// valid value of any size.
pub fn cbor_bytes(len: usize, fill: u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 9);
    match len {
        0..=23 => v.push(0x40 | len as u8),
        24..=0xff => v.extend([0x58, len as u8]),
        0x100..=0xffff => {
            v.push(0x59);
            v.extend((len as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            v.push(0x5a);
            v.extend((len as u32).to_be_bytes());
        }
        _ => {
            v.push(0x5b);
            v.extend((len as u64).to_be_bytes());
        }
    }
    v.resize(v.len() + len, fill);
    v
}

pub fn get_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

pub fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Rewrites the checksum of a page (not page 0) after its fields changed.
pub fn reseal_page(page: &mut [u8]) {
    let sum = xxhash_rust::xxh3::xxh3_64(&page[8..]);
    put_u64(page, 0, sum);
}

/// Rewrites the checksum of the file header (page 0) after its fields changed.
pub fn reseal_header(page: &mut [u8]) {
    let sum = xxhash_rust::xxh3::xxh3_64(&page[0..40]);
    put_u64(page, 40, sum);
}
