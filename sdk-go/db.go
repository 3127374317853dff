package nook

import (
	"runtime"
	"sync/atomic"
)

// DB is an open Nook database. It is safe for concurrent use by any number of
// goroutines, and no method needs runtime.LockOSThread: the C ABI carries no
// thread-local state and its handles are not tied to a thread.
//
// Close it when done. A DB that becomes unreachable without Close is closed
// by a finalizer, but that may happen late or never; the file stays locked
// against other processes until then.
type DB struct {
	// h is the native database handle; 0 once closed. Operations load it
	// atomically, so a concurrent Close makes them fail with ErrClosed
	// (the C ABI refuses a closed handle; it never reaches freed memory).
	h    atomic.Uint64
	path string // "" for an in-memory database

	batch batcher
}

// Open opens the database file at path, creating it unless MustExist or
// ReadOnly is given. Another process holding the file fails the call at once
// with ErrLocked (it never waits). Opening a path that this process already
// has open gives a second DB on the same underlying database (same data, one
// shared writer slot; closing one leaves the other open), except that a
// read-write open of a file open read-only here is ErrLocked.
//
// Open checks that the linked library's ABI major version is the one this
// package was written for, and fails with ErrIncompatible otherwise.
func Open(path string, opts ...Option) (*DB, error) {
	if path == "" {
		return nil, errorf(CodeInvalidArgument, "the path is empty; pass a file path, or use OpenMemory for a database without a file")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkABIVersion(); err != nil {
		return nil, err
	}
	h, err := nativeOpen(path, &o)
	if err != nil {
		return nil, err
	}
	return newDB(h, path), nil
}

// OpenMemory opens a new, empty database that lives in memory only and
// disappears at Close. It has the same API and semantics as a file database.
func OpenMemory(opts ...Option) (*DB, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkABIVersion(); err != nil {
		return nil, err
	}
	h, err := nativeOpenMemory(&o)
	if err != nil {
		return nil, err
	}
	return newDB(h, ""), nil
}

func newDB(h uint64, path string) *DB {
	db := &DB{path: path}
	db.h.Store(h)
	db.batch.init(db)
	runtime.SetFinalizer(db, (*DB).finalize)
	return db
}

// finalize closes a DB that became unreachable without Close.
func (db *DB) finalize() {
	if h := db.h.Swap(0); h != 0 {
		_ = nativeClose(h)
	}
}

// Path is the file path given to Open, or "" for an in-memory database.
func (db *DB) Path() string { return db.path }

// Close ends every transaction still open on db (rolling back writes),
// flushes and closes the database and releases the file lock. Operations
// running concurrently either complete or fail with ErrClosed; every later
// call fails with ErrClosed. Closing a closed DB returns nil.
func (db *DB) Close() error {
	h := db.h.Swap(0)
	if h == 0 {
		return nil
	}
	runtime.SetFinalizer(db, nil)
	// The library ends the database's transactions and cursors with it;
	// their handles then fail, which Tx reports as ErrClosed.
	return nativeClose(h)
}

// handle returns the native handle or ErrClosed.
func (db *DB) handle() (uint64, error) {
	if h := db.h.Load(); h != 0 {
		return h, nil
	}
	return 0, errClosedDB()
}

func errClosedDB() error {
	return errorf(CodeClosed, "the database is closed; open it again to use it")
}

// closedAware turns the ABI's INVALID_HANDLE for a database closed during the
// call into ErrClosed, which is what the caller can act on.
func (db *DB) closedAware(err error) error {
	if err != nil && db.h.Load() == 0 {
		if e, ok := err.(*Error); ok && e.Code == CodeInvalidHandle {
			return errClosedDB()
		}
	}
	return err
}

// target is the database as the receiver of an auto-commit operation.
func (db *DB) target() (target, error) {
	h, err := db.handle()
	return target{h: h}, err
}

// Get returns a copy of the value stored under key, or an error matching
// ErrNotFound when the key is absent. The returned slice is the caller's.
func (db *DB) Get(key []byte) ([]byte, error) {
	t, err := db.target()
	if err != nil {
		return nil, err
	}
	v, err := nativeGet(t, key)
	runtime.KeepAlive(db)
	return v, db.closedAware(err)
}

// GetInto copies the value stored under key into buf and returns its length
// n, without allocating. When buf is shorter than the value, it returns the
// needed length n and an error matching ErrBufferTooSmall; grow buf to n and
// call again. An absent key gives ErrNotFound.
func (db *DB) GetInto(key, buf []byte) (n int, err error) {
	t, err := db.target()
	if err != nil {
		return 0, err
	}
	n, err = nativeGetInto(t, key, buf)
	runtime.KeepAlive(db)
	return n, db.closedAware(err)
}

// GetValue decodes the CBOR value stored under key into the value out points
// to (see Unmarshal). An absent key gives ErrNotFound.
func (db *DB) GetValue(key []byte, out any) error {
	v, err := db.Get(key)
	if err != nil {
		return err
	}
	return Unmarshal(v, out)
}

// Has reports whether key is present.
func (db *DB) Has(key []byte) (bool, error) {
	t, err := db.target()
	if err != nil {
		return false, err
	}
	ok, err := nativeHas(t, key)
	runtime.KeepAlive(db)
	return ok, db.closedAware(err)
}

// Count returns the number of keys, in constant time.
func (db *DB) Count() (uint64, error) {
	t, err := db.target()
	if err != nil {
		return 0, err
	}
	n, err := nativeCount(t)
	runtime.KeepAlive(db)
	return n, db.closedAware(err)
}

// Put stores value (one CBOR data item) under key, replacing any previous
// value, and commits. Keys are 1 to 4096 bytes; values at most 64 MiB. With
// the default durability the data is on disk when Put returns. Concurrent
// Puts from many goroutines share fsyncs (the engine's group commit).
func (db *DB) Put(key, value []byte) error { return db.write(opPut, key, value) }

// Insert stores value under key only if key is absent; otherwise it fails
// with ErrExists and changes nothing.
func (db *DB) Insert(key, value []byte) error { return db.write(opInsert, key, value) }

// Update replaces the value of an existing key; an absent key fails with
// ErrNotFound and changes nothing. (For a write transaction, see Write.)
func (db *DB) Update(key, value []byte) error { return db.write(opUpdate, key, value) }

// PutValue encodes v as CBOR (see Marshal) and stores it under key.
func (db *DB) PutValue(key []byte, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	return db.Put(key, b)
}

func (db *DB) write(op writeOp, key, value []byte) error {
	t, err := db.target()
	if err != nil {
		return err
	}
	err = nativeWrite(t, op, key, value)
	runtime.KeepAlive(db)
	return db.closedAware(err)
}

// Delete removes key and reports whether it was present.
func (db *DB) Delete(key []byte) (existed bool, err error) {
	t, err := db.target()
	if err != nil {
		return false, err
	}
	existed, err = nativeDelete(t, key)
	runtime.KeepAlive(db)
	return existed, db.closedAware(err)
}

// Sync makes every commit made so far durable. It matters only with
// RelaxedDurability; otherwise each commit already is. Like a write, it may
// wait for an open write transaction and then fail with ErrBusy.
func (db *DB) Sync() error {
	h, err := db.handle()
	if err != nil {
		return err
	}
	err = nativeSync(h)
	runtime.KeepAlive(db)
	return db.closedAware(err)
}
