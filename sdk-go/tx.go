package nook

import (
	"errors"
	"runtime"
	"sync/atomic"
)

// Tx is a transaction. A read transaction sees one stable snapshot of the
// database for its whole life; a write transaction is the database's single
// writer, sees its own writes, and commits all of them atomically or none.
// Readers never wait for the writer and the writer never waits for readers.
//
// A Tx may be used from any goroutine (it is not tied to an OS thread), but
// its operations are meant to be issued one after another; values returned by
// it are copies that stay valid after the transaction ends.
//
// A failed operation poisons a write transaction, unless the error is a clean
// refusal, checked before anything changed: ErrNotFound, ErrAlreadyExists,
// ErrInvalidArgument, ErrInvalidValue, ErrKeyTooLarge, ErrValueTooLarge (and
// errors the SDK raises before calling the library). Any other error (ErrIO,
// ErrCorrupted, ErrDiskFull, ...) may have left the operation half-applied,
// so every later call on the Tx, reads included, and Commit return an error
// of the same kind, and nothing of the transaction can be committed: roll it
// back (Write does, when its function returns the error). The database keeps
// the state before the transaction.
//
// Prefer View and Write, which end the transaction for you. A Tx from Begin
// must be ended with Commit or Rollback; one that becomes unreachable first
// is rolled back by a finalizer, but until then a write transaction blocks
// every other writer.
type Tx struct {
	db       *DB
	h        atomic.Uint64 // native transaction handle; 0 once ended
	writable bool
	managed  bool // owned by View/Write/Batch: Commit and Rollback are refused
}

// Begin starts a transaction: a read transaction, or with writable set the
// write transaction, which waits while another write transaction is open.
// End it with Commit or Rollback.
func (db *DB) Begin(writable bool) (*Tx, error) {
	h, err := db.handle()
	if err != nil {
		return nil, err
	}
	th, err := nativeBegin(h, writable)
	runtime.KeepAlive(db)
	if err != nil {
		return nil, db.closedAware(err)
	}
	tx := &Tx{db: db, writable: writable}
	tx.h.Store(th)
	runtime.SetFinalizer(tx, (*Tx).finalize)
	return tx, nil
}

func (tx *Tx) finalize() {
	if h := tx.h.Swap(0); h != 0 {
		_ = nativeEnd(h, tx.writable, false)
	}
}

// View runs fn in a read transaction and ends it when fn returns, whatever
// fn returns or if it panics (the panic continues after the transaction is
// ended). It returns fn's error.
func (db *DB) View(fn func(*Tx) error) error {
	tx, err := db.Begin(false)
	if err != nil {
		return err
	}
	tx.managed = true
	defer tx.end(false)
	return fn(tx)
}

// Write runs fn in the write transaction and commits it if fn returns nil.
// If fn returns an error or panics, the transaction is rolled back (and the
// panic continues). It returns fn's error or the commit's.
//
// Write is bbolt's Update under another name: Update here is the single
// operation that replaces the value of an existing key.
func (db *DB) Write(fn func(*Tx) error) error {
	tx, err := db.Begin(true)
	if err != nil {
		return err
	}
	tx.managed = true
	committed := false
	defer func() {
		if !committed {
			tx.end(false)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return tx.end(true)
}

// DB returns the database the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Writable reports whether this is the write transaction.
func (tx *Tx) Writable() bool { return tx.writable }

// Commit makes the transaction's writes durable and visible, then ends it.
// On a read transaction it just ends it. Inside View or Write it is refused:
// return nil from the closure instead.
func (tx *Tx) Commit() error {
	if tx.managed {
		return errorf(CodeInvalidArgument, "Commit inside View or Write: return nil from the function to commit")
	}
	return tx.end(true)
}

// Rollback discards the transaction's writes and ends it. Inside View or
// Write it is refused: return an error from the closure instead. Rolling back
// an ended transaction returns ErrClosed.
func (tx *Tx) Rollback() error {
	if tx.managed {
		return errorf(CodeInvalidArgument, "Rollback inside View or Write: return an error from the function to roll back")
	}
	return tx.end(false)
}

// end commits or rolls back once; later calls fail with ErrClosed.
func (tx *Tx) end(commit bool) error {
	h := tx.h.Swap(0)
	if h == 0 {
		return errClosedTx()
	}
	runtime.SetFinalizer(tx, nil)
	err := tx.txErr(nativeEnd(h, tx.writable, commit))
	if !commit && errors.Is(err, ErrClosed) {
		return nil // ending a transaction its database's Close already ended
	}
	return err
}

func errClosedTx() error {
	return errorf(CodeClosed, "the transaction has ended (committed, rolled back, or its database closed); begin a new one")
}

func (tx *Tx) target() (target, error) {
	if h := tx.h.Load(); h != 0 {
		return target{h: h}, nil
	}
	return target{}, errClosedTx()
}

// txErr maps the ABI's INVALID_HANDLE for a transaction that was ended (by
// another goroutine, or by its database's Close) to ErrClosed.
func (tx *Tx) txErr(err error) error {
	if err != nil && (tx.h.Load() == 0 || tx.db.h.Load() == 0) {
		if e, ok := err.(*Error); ok && e.Code == CodeInvalidHandle {
			return errClosedTx()
		}
	}
	return err
}

// Get returns a copy of the value of key as this transaction sees it, or
// ErrNotFound.
func (tx *Tx) Get(key []byte) ([]byte, error) {
	t, err := tx.target()
	if err != nil {
		return nil, err
	}
	v, err := nativeGet(t, key)
	runtime.KeepAlive(tx)
	return v, tx.txErr(err)
}

// GetInto copies the value of key into buf without allocating; see
// DB.GetInto.
func (tx *Tx) GetInto(key, buf []byte) (int, error) {
	t, err := tx.target()
	if err != nil {
		return 0, err
	}
	n, err := nativeGetInto(t, key, buf)
	runtime.KeepAlive(tx)
	return n, tx.txErr(err)
}

// GetValue decodes the value of key into out (see Unmarshal).
func (tx *Tx) GetValue(key []byte, out any) error {
	v, err := tx.Get(key)
	if err != nil {
		return err
	}
	return Unmarshal(v, out)
}

// Has reports whether key is present in this transaction's view.
func (tx *Tx) Has(key []byte) (bool, error) {
	t, err := tx.target()
	if err != nil {
		return false, err
	}
	ok, err := nativeHas(t, key)
	runtime.KeepAlive(tx)
	return ok, tx.txErr(err)
}

// Count returns the number of keys in this transaction's view.
func (tx *Tx) Count() (uint64, error) {
	t, err := tx.target()
	if err != nil {
		return 0, err
	}
	n, err := nativeCount(t)
	runtime.KeepAlive(tx)
	return n, tx.txErr(err)
}

// Put stores value under key in the write transaction (see DB.Put).
func (tx *Tx) Put(key, value []byte) error { return tx.write(opPut, key, value) }

// Insert stores value under key only if it is absent, else ErrExists.
func (tx *Tx) Insert(key, value []byte) error { return tx.write(opInsert, key, value) }

// Update replaces the value of an existing key, else ErrNotFound.
func (tx *Tx) Update(key, value []byte) error { return tx.write(opUpdate, key, value) }

// PutValue encodes v as CBOR and stores it under key.
func (tx *Tx) PutValue(key []byte, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(key, b)
}

func (tx *Tx) write(op writeOp, key, value []byte) error {
	t, err := tx.target()
	if err != nil {
		return err
	}
	if !tx.writable {
		return errorf(CodeReadOnly, "%s in a read transaction; use Write or Begin(true) to write", op)
	}
	err = nativeWrite(t, op, key, value)
	runtime.KeepAlive(tx)
	return tx.txErr(err)
}

// Delete removes key in the write transaction and reports whether it was
// present.
func (tx *Tx) Delete(key []byte) (bool, error) {
	t, err := tx.target()
	if err != nil {
		return false, err
	}
	if !tx.writable {
		return false, errorf(CodeReadOnly, "delete in a read transaction; use Write or Begin(true) to write")
	}
	existed, err := nativeDelete(t, key)
	runtime.KeepAlive(tx)
	return existed, tx.txErr(err)
}

// Apply adds every operation of b to the write transaction, atomically: all
// of them or, if one is invalid, none.
func (tx *Tx) Apply(b *WriteBatch) error {
	t, err := tx.target()
	if err != nil {
		return err
	}
	if !tx.writable {
		return errorf(CodeReadOnly, "apply in a read transaction; use Write or Begin(true) to write")
	}
	err = nativeApply(t.h, b)
	runtime.KeepAlive(tx)
	runtime.KeepAlive(b)
	return tx.txErr(err)
}
