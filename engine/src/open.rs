//! Opening a database: creating a new file atomically, locking it, reading the
//! header and picking the newest valid meta slot, and the in-process registry
//! that makes a second open of the same path share the first instance.

use crate::db::{Database, Location, Shared};
use crate::error::{Error, ErrorKind, Result};
use crate::node::{InnerNode, LeafNode, Node, Slot, FANOUT};
use crate::options::Options;
use crate::page::{self, FileHeader, MetaPage, PageId, FILE_HEADER_LEN};
use crate::platform::{self, Lock};
use crate::storage::{FileBackend, StorageBackend};
use crate::store::Store;
use crate::FORMAT_VERSION;
use parking_lot::Mutex;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

/// Open file databases of this process, by canonical path.
static REGISTRY: Mutex<Vec<(PathBuf, Weak<Shared>)>> = Mutex::new(Vec::new());

/// Drops the registry entry of a closed database.
pub(crate) fn forget(key: &Path) {
    REGISTRY
        .lock()
        .retain(|(k, w)| k != key || w.strong_count() > 0);
}

fn check_options(options: &Options) -> Result<()> {
    if !page::valid_page_size(options.page_size) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "page size {} is not supported; use a power of two from 4096 to 65536",
                options.page_size
            ),
        ));
    }
    Ok(())
}

pub(crate) fn open_file(path: &Path, options: &Options) -> Result<Database> {
    check_options(options)?;
    let shown = path.display().to_string();
    let mut registry = REGISTRY.lock();
    crate::replace::recover(path)?;
    if let Ok(canonical) = fs::canonicalize(path) {
        let existing = registry
            .iter()
            .find(|(k, _)| *k == canonical)
            .and_then(|(_, w)| w.upgrade());
        if let Some(shared) = existing {
            drop(registry); // dropping `shared` below may run Shared::drop, which locks the registry
            if shared.options.read_only && !options.read_only {
                return Err(Error::new(
                    ErrorKind::Locked,
                    format!("{shown} is already open read-only in this process; close it there to open it read-write"),
                ));
            }
            // One instance serves every handle, so a handle cannot get other
            // durability than the instance commits with.
            if shared.options.durability != options.durability {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "{shown} is already open in this process with {:?} durability; open it with the same durability, or close the other handles first",
                        shared.options.durability
                    ),
                ));
            }
            return Ok(Database::from_shared(shared, options));
        }
    } else {
        if !options.create || options.read_only {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("{shown}: no such database file; check the path, or open with create to make one"),
            ));
        }
        create_file(path, options).map_err(|e| Error::io(&format!("creating {shown}"), e))?;
    }
    let canonical =
        fs::canonicalize(path).map_err(|e| Error::io(&format!("opening {shown}"), e))?;
    let file = OpenOptions::new()
        .read(true)
        .write(!options.read_only)
        .open(&canonical)
        .map_err(|e| Error::io(&format!("opening {shown}"), e))?;
    let lock = if options.read_only {
        Lock::Shared
    } else {
        Lock::Exclusive
    };
    let locked =
        platform::try_lock(&file, lock).map_err(|e| Error::io(&format!("locking {shown}"), e))?;
    if !locked {
        return Err(Error::new(
            ErrorKind::Locked,
            format!("{shown} is locked by another process; close it there (or open read-only if both only read)"),
        ));
    }
    let db = open_backend(
        Box::new(FileBackend::new(file)),
        options,
        Location::File(canonical.clone()),
    )?;
    registry.retain(|(_, w)| w.strong_count() > 0);
    registry.push((canonical, Arc::downgrade(&db.shared)));
    Ok(db)
}

/// Writes a new database image to a temporary file and links it into place,
/// so that a crash during creation never leaves a half-made file at `path`.
fn create_file(path: &Path, options: &Options) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let tmp = dir.join(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        platform::nonce()?
    ));
    let image = initial_image(options.page_size)?;
    let result = (|| {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        FileBackend::new(file).write_at(0, &image)?;
        platform::sync_file(&OpenOptions::new().write(true).open(&tmp)?)?;
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()), // another process won the race
            Err(_) => {
                // File systems without hard links: create in place instead.
                let file = OpenOptions::new().write(true).create_new(true).open(path)?;
                let backend = FileBackend::new(file);
                backend.write_at(0, &image)?;
                backend.sync_data()
            }
        }
    })();
    let _ = fs::remove_file(&tmp);
    result?;
    platform::sync_dir(path);
    Ok(())
}

/// The pages of an empty database: header, one valid meta slot, a root inner
/// node whose 512 slots all point at one empty leaf, and a reserved queue tail.
fn initial_image(page_size: u32) -> io::Result<Vec<u8>> {
    let ps = page_size as usize;
    let mut seed = [0u8; 16];
    getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
    let header = FileHeader {
        format_version: FORMAT_VERSION,
        page_size,
        seed,
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    let (root, leaf, tail): (PageId, PageId, PageId) = (3, 4, 5);
    let meta = MetaPage {
        txid: 0,
        root,
        key_count: 0,
        page_count: 6,
        free_head: tail,
        free_tail: tail,
        free_head_skip: 0,
        free_count: 0,
    };
    // Every page the meta page counts, the reserved tail (page 5) included:
    // open refuses a page count the file cannot hold.
    let mut image = vec![0u8; meta.page_count as usize * ps];
    image[..FILE_HEADER_LEN].copy_from_slice(&header.encode());
    image[ps..2 * ps].copy_from_slice(&meta.encode(ps, 1, &[]));
    let inner = Node::Inner(InnerNode {
        level: 0,
        slots: Box::new(
            [Slot {
                child: leaf,
                depth: 0,
            }; FANOUT],
        ),
    });
    let encode = |node: &Node, id| {
        node.encode(id, 0, ps)
            .map_err(|e| io::Error::other(e.to_string()))
    };
    image[3 * ps..4 * ps].copy_from_slice(&encode(&inner, root)?);
    image[4 * ps..5 * ps].copy_from_slice(&encode(&Node::Leaf(LeafNode::default()), leaf)?);
    Ok(image)
}

/// A commit made durable by one fsync lists the pages it wrote; if any of
/// them did not reach the disk intact, the commit did not happen.
fn verify_manifest(
    backend: &dyn StorageBackend,
    meta_page: &[u8],
    meta: &MetaPage,
    ps: usize,
) -> Result<()> {
    let mut buf = vec![0u8; ps];
    for (id, sum) in MetaPage::manifest(meta_page)? {
        if id < page::FIRST_DATA_PAGE || id >= meta.page_count {
            return Err(Error::corrupted(format!(
                "commit {} lists page {id}, outside the database",
                meta.txid
            )));
        }
        match backend.read_at(id * ps as u64, &mut buf) {
            Ok(()) => page::verify_manifest_entry(&buf, id, sum)?,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Error::corrupted(format!(
                    "commit {} lists page {id}, past the end of the file",
                    meta.txid
                )))
            }
            Err(e) => return Err(Error::io("verifying the last commit", e)),
        }
    }
    Ok(())
}

/// Every commit extends the file to its page count before its meta page is
/// written (`Store::ensure_len`), so a larger count is damage or forgery.
/// Refusing it here bounds everything sized by the page count (the check's
/// page map, the free-queue walk, the writer's allocations) by the file.
fn check_page_count(meta: &MetaPage, file_len: u64, ps: usize) -> Result<()> {
    let file_pages = file_len / ps as u64;
    if meta.page_count > file_pages {
        return Err(Error::corrupted(format!(
            "commit {} has a page count of {} but the file holds {file_pages} pages",
            meta.txid, meta.page_count
        )));
    }
    Ok(())
}

/// Erases the meta slot that open rejected (a commit cut short by a crash,
/// or damage). Left alone, it could become valid later: a slot rejected only
/// because the file is shorter than its page count would be accepted once a
/// later, unfinished commit extended the file, bringing back a commit the
/// database had already shown as absent. Costs a write and an fsync only on
/// the first writable open after such a crash.
fn erase_rejected_slot(backend: &dyn StorageBackend, slot: PageId, ps: usize) -> Result<()> {
    let mut buf = vec![0u8; ps];
    let at = slot * ps as u64;
    let erase = |what: &str| {
        let what = what.to_string();
        move |e: io::Error| Error::io(&what, e)
    };
    backend
        .read_at(at, &mut buf)
        .map_err(erase("reading a meta page"))?;
    if buf.iter().all(|&b| b == 0) {
        return Ok(());
    }
    buf.fill(0);
    backend
        .write_at(at, &buf)
        .map_err(erase("erasing a commit slot left by a crash"))?;
    backend
        .sync_data()
        .map_err(erase("erasing a commit slot left by a crash"))
}

/// Opens the database in `backend` (initialising it when empty and allowed).
pub(crate) fn open_backend(
    backend: Box<dyn StorageBackend>,
    options: &Options,
    location: Location,
) -> Result<Database> {
    check_options(options)?;
    let io_err = |what: &str| {
        let what = what.to_string();
        move |e: io::Error| Error::io(&what, e)
    };
    let mut len = backend.len().map_err(io_err("reading the file size"))?;
    if len == 0 {
        if !options.create || options.read_only {
            return Err(Error::corrupted("the file is empty, not a Nook database"));
        }
        let image = initial_image(options.page_size).map_err(io_err("creating the database"))?;
        backend
            .write_at(0, &image)
            .map_err(io_err("creating the database"))?;
        backend
            .sync_data()
            .map_err(io_err("creating the database"))?;
        len = image.len() as u64;
    }
    if len < FILE_HEADER_LEN as u64 {
        return Err(Error::corrupted(
            "the file is too short to be a Nook database",
        ));
    }
    let mut head = [0u8; FILE_HEADER_LEN];
    backend
        .read_at(0, &mut head)
        .map_err(io_err("reading the file header"))?;
    let header = FileHeader::decode(&head)?;
    if header.format_version != FORMAT_VERSION {
        return Err(Error::new(
            ErrorKind::Incompatible,
            format!(
                "the file has format version {}, this build reads version {FORMAT_VERSION}; use a matching Nook release",
                header.format_version
            ),
        ));
    }
    if !page::valid_page_size(header.page_size) {
        return Err(Error::corrupted(format!(
            "the file header gives an invalid page size {}",
            header.page_size
        )));
    }
    let ps = header.page_size as usize;
    if len < 3 * ps as u64 {
        return Err(Error::corrupted(
            "the file is truncated: its commit slots are missing",
        ));
    }
    let mut valid = Vec::new();
    let mut why = Vec::new();
    for slot in [1u64, 2] {
        let mut buf = vec![0u8; ps];
        backend
            .read_at(slot * ps as u64, &mut buf)
            .map_err(io_err("reading a meta page"))?;
        let checked = MetaPage::decode(&buf, slot)
            .and_then(|m| check_page_count(&m, len, ps).map(|()| m))
            .and_then(|m| verify_manifest(&*backend, &buf, &m, ps).map(|()| m));
        match checked {
            Ok(m) => valid.push((m, slot)),
            Err(e) => why.push(e.message().to_string()),
        }
    }
    let fallback = valid.len() < 2;
    let (meta, slot) = valid
        .into_iter()
        .max_by_key(|(m, _)| m.txid)
        .ok_or_else(|| {
            Error::corrupted(format!(
                "both commit slots are damaged ({})",
                why.join("; ")
            ))
        })?;
    if fallback && !options.read_only {
        erase_rejected_slot(&*backend, MetaPage::other_slot(slot), ps)?;
    }
    let store = Store::new(backend, header, options.cache_size.max(16 * ps));
    let shared = Database::new_shared(store, meta, slot, options, location);
    Ok(Database::from_shared(shared, options))
}
