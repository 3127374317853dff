//! The handle table: every object the ABI hands out (database, transaction,
//! cursor, buffer, error) lives in one process-wide table and is named by an
//! opaque 64-bit handle that packs a slot index, a kind and a generation.
//!
//! Every lookup checks all three, so a handle that is zero, forged, closed,
//! stale (its slot was reused) or of the wrong kind is refused with
//! INVALID_HANDLE instead of reaching freed or foreign memory.
//!
//! Layout (see spec/abi.md, "Handles"):
//! - 64-bit targets: bits 0..24 slot index, 24..32 kind, 32..64 generation;
//! - 32-bit targets: bits 0..20 slot index, 20..24 kind, 24..32 generation, so
//!   every handle fits in a pointer and can be the token of `nook_finalize`.
//!
//! Freed slots are reused first-in first-out, so a slot is reused only after
//! every other free slot was, which makes a stale handle alias a new object only
//! after its slot went through 2^GENERATION_BITS reuses.
//!
//! The table lock is held only for the table operation itself: objects are
//! cloned (`Arc`) out of it, and removed objects are returned to the caller and
//! dropped after the lock is released, because dropping one may take other locks.

use crate::failure::Failure;
use crate::objects::{Cursor, Database, Transaction};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(target_pointer_width = "64")]
mod layout {
    pub(super) const INDEX_BITS: u32 = 24;
    pub(super) const KIND_BITS: u32 = 8;
    pub(super) const GENERATION_BITS: u32 = 32;
}

#[cfg(not(target_pointer_width = "64"))]
mod layout {
    pub(super) const INDEX_BITS: u32 = 20;
    pub(super) const KIND_BITS: u32 = 4;
    pub(super) const GENERATION_BITS: u32 = 8;
}

use layout::{GENERATION_BITS, INDEX_BITS, KIND_BITS};

const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const KIND_MASK: u64 = (1 << KIND_BITS) - 1;
const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;
/// Most slots the table ever holds: the number of handles open at once.
pub(crate) const MAX_HANDLES: usize = 1 << INDEX_BITS;

/// What a handle names. The numbers are part of the handle value only; callers
/// must treat handles as opaque.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Database = 1,
    Transaction = 2,
    Cursor = 3,
    Buffer = 4,
    Error = 5,
}

impl Kind {
    fn from_bits(bits: u64) -> Option<Kind> {
        match bits {
            1 => Some(Kind::Database),
            2 => Some(Kind::Transaction),
            3 => Some(Kind::Cursor),
            4 => Some(Kind::Buffer),
            5 => Some(Kind::Error),
            _ => None,
        }
    }

    /// The word used in messages: "database", "transaction", ...
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Database => "database",
            Kind::Transaction => "transaction",
            Kind::Cursor => "cursor",
            Kind::Buffer => "buffer",
            Kind::Error => "error",
        }
    }
}

/// An object owned by the table.
pub(crate) enum Object {
    Database(Arc<Database>),
    Transaction(Arc<Transaction>),
    Cursor(Arc<Cursor>),
    /// Library-owned bytes (a value read by `nook_get_buffer`). The heap block
    /// never moves while the slot holds it, so its address can be handed out.
    Buffer(Box<[u8]>),
    /// The detail of a failed call.
    Error {
        code: i32,
        message: Box<str>,
    },
}

impl Object {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Object::Database(_) => Kind::Database,
            Object::Transaction(_) => Kind::Transaction,
            Object::Cursor(_) => Kind::Cursor,
            Object::Buffer(_) => Kind::Buffer,
            Object::Error { .. } => Kind::Error,
        }
    }
}

struct Slot {
    generation: u64,
    object: Option<Object>,
}

struct Table {
    slots: Vec<Slot>,
    free: VecDeque<usize>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    slots: Vec::new(),
    free: VecDeque::new(),
});

fn table() -> MutexGuard<'static, Table> {
    // Table operations cannot panic halfway through a change, so a poisoned lock
    // (a panic elsewhere while it was held) leaves a consistent table.
    TABLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn encode(index: usize, kind: Kind, generation: u64) -> u64 {
    (generation << (INDEX_BITS + KIND_BITS)) | ((kind as u64) << INDEX_BITS) | index as u64
}

/// Splits a handle into (index, kind bits, generation); `None` when bits above
/// the layout are set (possible only on 32-bit targets).
fn decode(handle: u64) -> Option<(usize, u64, u64)> {
    let used = INDEX_BITS + KIND_BITS + GENERATION_BITS;
    if used < 64 && handle >> used != 0 {
        return None;
    }
    Some((
        (handle & INDEX_MASK) as usize,
        (handle >> INDEX_BITS) & KIND_MASK,
        (handle >> (INDEX_BITS + KIND_BITS)) & GENERATION_MASK,
    ))
}

fn invalid(handle: u64, what: &str, expected: &[Kind]) -> Failure {
    let nouns: Vec<&str> = expected.iter().map(|k| k.noun()).collect();
    let wanted = nouns.join(" or ");
    Failure::invalid_handle(format!(
        "{what} ({handle:#x}) is not an open {wanted} handle: it is zero, forged, \
         already closed, or of another kind"
    ))
}

/// Adds `object` to the table and returns its new handle.
pub(crate) fn insert(object: Object) -> Result<u64, Failure> {
    let kind = object.kind();
    let mut table = table();
    let index = match table.free.pop_front() {
        Some(index) => index,
        None if table.slots.len() < MAX_HANDLES => {
            table.slots.push(Slot {
                generation: 1,
                object: None,
            });
            table.slots.len() - 1
        }
        None => {
            drop(table);
            return Err(Failure::internal(format!(
                "{MAX_HANDLES} handles are open at once, the most this build supports; \
                 close the handles you no longer need (a handle leak?)"
            )));
        }
    };
    let slot = &mut table.slots[index];
    slot.object = Some(object);
    Ok(encode(index, kind, slot.generation))
}

/// Runs `f` on the object named by `handle` under the table lock. `f` must be
/// short and must not take other locks. `what` names the argument in messages.
pub(crate) fn with<R>(
    handle: u64,
    what: &str,
    expected: &[Kind],
    f: impl FnOnce(&Object) -> R,
) -> Result<R, Failure> {
    let table = table();
    match find(&table, handle, expected) {
        Some(index) => Ok(f(table.slots[index].object.as_ref().expect("found"))),
        None => {
            drop(table);
            Err(invalid(handle, what, expected))
        }
    }
}

fn find(table: &Table, handle: u64, expected: &[Kind]) -> Option<usize> {
    let (index, kind_bits, generation) = decode(handle)?;
    let kind = Kind::from_bits(kind_bits)?;
    if !expected.contains(&kind) {
        return None;
    }
    let slot = table.slots.get(index)?;
    let object = slot.object.as_ref()?;
    (slot.generation == generation && object.kind() == kind).then_some(index)
}

/// Removes the object named by `handle` (which must be of one of the `expected`
/// kinds) and returns it; the handle is invalid from then on.
pub(crate) fn remove(handle: u64, what: &str, expected: &[Kind]) -> Result<Object, Failure> {
    let mut table = table();
    let Some(index) = find(&table, handle, expected) else {
        drop(table);
        return Err(invalid(handle, what, expected));
    };
    let slot = &mut table.slots[index];
    let object = slot.object.take().expect("found");
    slot.generation = (slot.generation + 1) & GENERATION_MASK;
    table.free.push_back(index);
    Ok(object)
}

/// The database named by `handle`.
pub(crate) fn database(handle: u64, what: &str) -> Result<Arc<Database>, Failure> {
    with(handle, what, &[Kind::Database], |o| match o {
        Object::Database(db) => db.clone(),
        _ => unreachable!("kind checked"),
    })
}

/// The cursor named by `handle`.
pub(crate) fn cursor(handle: u64, what: &str) -> Result<Arc<Cursor>, Failure> {
    with(handle, what, &[Kind::Cursor], |o| match o {
        Object::Cursor(cursor) => cursor.clone(),
        _ => unreachable!("kind checked"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(bytes: &[u8]) -> u64 {
        insert(Object::Buffer(bytes.into())).unwrap()
    }

    #[test]
    fn a_handle_is_never_zero_and_names_its_object() {
        let h = buffer(b"abc");
        assert_ne!(h, 0);
        let len = with(h, "buffer", &[Kind::Buffer], |o| match o {
            Object::Buffer(b) => b.len(),
            _ => 0,
        });
        assert_eq!(len.unwrap(), 3);
        remove(h, "buffer", &[Kind::Buffer]).unwrap();
    }

    #[test]
    fn closed_stale_forged_and_wrong_kind_handles_are_refused() {
        let h = buffer(b"x");
        assert!(with(h, "h", &[Kind::Error], |_| ()).is_err(), "wrong kind");
        remove(h, "h", &[Kind::Buffer]).unwrap();
        assert!(with(h, "h", &[Kind::Buffer], |_| ()).is_err(), "closed");
        assert!(remove(h, "h", &[Kind::Buffer]).is_err(), "closed twice");
        // The slot is reused by a new object under a new generation.
        let mut others = Vec::new();
        let fresh = loop {
            let n = buffer(b"y");
            if n & INDEX_MASK == h & INDEX_MASK {
                break n;
            }
            others.push(n);
        };
        assert_ne!(fresh, h);
        assert!(with(h, "h", &[Kind::Buffer], |_| ()).is_err(), "stale");
        for forged in [0, 1, u64::MAX, h ^ (1 << 40), fresh + 1] {
            if forged != fresh {
                assert!(
                    with(forged, "h", &[Kind::Buffer], |_| ()).is_err(),
                    "{forged:#x}"
                );
            }
        }
        for other in others.into_iter().chain([fresh]) {
            remove(other, "h", &[Kind::Buffer]).unwrap();
        }
    }

    #[test]
    fn the_message_names_the_argument_and_the_expected_kind() {
        let err = with(0, "target", &[Kind::Database, Kind::Transaction], |_| ()).unwrap_err();
        assert_eq!(err.code, crate::codes::NOOK_INVALID_HANDLE);
        assert!(err.message.contains("target (0x0)"), "{}", err.message);
        assert!(
            err.message.contains("database or transaction"),
            "{}",
            err.message
        );
    }
}
