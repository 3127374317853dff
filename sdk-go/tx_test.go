//go:build cgo

package nook

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

var errAbort = errors.New("abort")

func TestWriteCommitsOnNil(t *testing.T) {
	db := openMem(t)
	err := db.Write(func(tx *Tx) error {
		if !tx.Writable() || tx.DB() != db {
			t.Fatal("Write gave a read transaction or the wrong DB")
		}
		mustOK(t, "tx.Put", tx.Put([]byte("a"), cb(t, 1)))
		mustOK(t, "tx.Insert", tx.Insert([]byte("b"), cb(t, 2)))
		mustOK(t, "tx.Update", tx.Update([]byte("a"), cb(t, 3)))
		mustOK(t, "tx.PutValue", tx.PutValue([]byte("c"), "three"))
		wantErr(t, "tx.Insert existing", tx.Insert([]byte("a"), cb(t, 9)), ErrExists)
		wantErr(t, "tx.Update absent", tx.Update([]byte("z"), cb(t, 9)), ErrNotFound)
		// The transaction sees its own writes; the DB does not yet.
		if v, err := tx.Get([]byte("a")); err != nil || !bytes.Equal(v, cb(t, 3)) {
			t.Fatalf("tx.Get own write = %x, %v", v, err)
		}
		if _, err := db.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("uncommitted write visible outside: %v", err)
		}
		if n, _ := tx.Count(); n != 3 {
			t.Fatalf("tx.Count = %d, want 3", n)
		}
		if existed, err := tx.Delete([]byte("b")); !existed || err != nil {
			t.Fatalf("tx.Delete = %v, %v", existed, err)
		}
		return nil
	})
	mustOK(t, "Write", err)
	if n, _ := db.Count(); n != 2 {
		t.Fatalf("after commit Count = %d, want 2", n)
	}
	var s string
	mustOK(t, "GetValue", db.GetValue([]byte("c"), &s))
}

func TestWriteRollsBackOnError(t *testing.T) {
	db := openMem(t)
	err := db.Write(func(tx *Tx) error {
		mustOK(t, "tx.Put", tx.Put([]byte("a"), cb(t, 1)))
		return errAbort
	})
	if err != errAbort {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	if ok, _ := db.Has([]byte("a")); ok {
		t.Fatal("a write of a failed Write was committed")
	}
	// The writer slot is free again.
	mustOK(t, "Put after rollback", db.Put([]byte("b"), cb(t, 1)))
}

func TestWriteRollsBackOnPanic(t *testing.T) {
	db := openMem(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the original panic", r)
			}
		}()
		db.Write(func(tx *Tx) error {
			tx.Put([]byte("a"), cb(t, 1))
			panic("boom")
		})
	}()
	if ok, _ := db.Has([]byte("a")); ok {
		t.Fatal("a write of a panicking Write was committed")
	}
	mustOK(t, "Write after a panic", db.Write(func(tx *Tx) error { return tx.Put([]byte("b"), cb(t, 1)) }))
}

func TestViewIsReadOnlyAndIsolated(t *testing.T) {
	db := openMem(t)
	mustOK(t, "Put", db.Put([]byte("a"), cb(t, 1)))
	err := db.View(func(tx *Tx) error {
		if tx.Writable() {
			t.Fatal("View gave a writable transaction")
		}
		wantErr(t, "Put in View", tx.Put([]byte("b"), cb(t, 1)), ErrReadOnly)
		_, err := tx.Delete([]byte("a"))
		wantErr(t, "Delete in View", err, ErrReadOnly)
		// A commit made meanwhile is not visible in the snapshot.
		mustOK(t, "concurrent Put", db.Put([]byte("a"), cb(t, 2)))
		if v, _ := tx.Get([]byte("a")); !bytes.Equal(v, cb(t, 1)) {
			t.Fatalf("snapshot saw a later commit: %x", v)
		}
		if ok, _ := tx.Has([]byte("a")); !ok {
			t.Fatal("tx.Has = false")
		}
		wantErr(t, "Commit inside View", tx.Commit(), ErrInvalidArgument)
		wantErr(t, "Rollback inside View", tx.Rollback(), ErrInvalidArgument)
		return errAbort
	})
	if err != errAbort {
		t.Fatalf("View returned %v, want fn's error", err)
	}
	if v, _ := db.Get([]byte("a")); !bytes.Equal(v, cb(t, 2)) {
		t.Fatalf("after View Get = %x", v)
	}
}

func TestManualTransactions(t *testing.T) {
	db := openMem(t)
	tx, err := db.Begin(true)
	mustOK(t, "Begin(true)", err)
	mustOK(t, "tx.Put", tx.Put([]byte("a"), cb(t, 1)))
	mustOK(t, "Commit", tx.Commit())
	wantErr(t, "Commit twice", tx.Commit(), ErrClosed)
	wantErr(t, "Rollback after Commit", tx.Rollback(), ErrClosed)
	wantErr(t, "Put after Commit", tx.Put([]byte("b"), cb(t, 1)), ErrClosed)
	_, err = tx.Get([]byte("a"))
	wantErr(t, "Get after Commit", err, ErrClosed)
	s := tx.Scan(nil)
	for range s.All() {
		t.Fatal("Scan of an ended transaction yielded")
	}
	wantErr(t, "Scan after Commit", s.Err(), ErrClosed)

	tx, err = db.Begin(true)
	mustOK(t, "Begin(true)", err)
	mustOK(t, "tx.Put", tx.Put([]byte("b"), cb(t, 1)))
	mustOK(t, "Rollback", tx.Rollback())
	if ok, _ := db.Has([]byte("b")); ok {
		t.Fatal("rolled-back write is visible")
	}

	// A read transaction may be committed (it just ends).
	rtx, err := db.Begin(false)
	mustOK(t, "Begin(false)", err)
	mustOK(t, "read Commit", rtx.Commit())
}

func TestOneWriterAtATime(t *testing.T) {
	db := openMem(t, BusyTimeout(50*time.Millisecond))
	tx, err := db.Begin(true)
	mustOK(t, "Begin(true)", err)
	start := time.Now()
	_, err = db.Begin(true)
	wantErr(t, "second writer", err, ErrBusy)
	if time.Since(start) < 40*time.Millisecond {
		t.Fatal("the second writer did not wait for the busy timeout")
	}
	wantErr(t, "auto-commit Put while a writer is open", db.Put([]byte("x"), cb(t, 1)), ErrBusy)
	// Readers never wait for the writer.
	mustOK(t, "View during a write", db.View(func(*Tx) error { return nil }))
	mustOK(t, "Rollback", tx.Rollback())
	mustOK(t, "Put after the writer ended", db.Put([]byte("x"), cb(t, 1)))
}

func TestWriterWaitsForSlot(t *testing.T) {
	db := openMem(t)
	tx, err := db.Begin(true)
	mustOK(t, "Begin(true)", err)
	done := make(chan error)
	go func() { done <- db.Put([]byte("k"), cb(t, 2)) }()
	select {
	case err := <-done:
		t.Fatalf("Put did not wait for the open write transaction: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	mustOK(t, "tx.Put", tx.Put([]byte("k"), cb(t, 1)))
	mustOK(t, "Commit", tx.Commit())
	mustOK(t, "waiting Put", <-done)
	if v, _ := db.Get([]byte("k")); !bytes.Equal(v, cb(t, 2)) {
		t.Fatalf("the waiting Put did not apply after the commit: %x", v)
	}
}

func TestTxApplyGetIntoGetValue(t *testing.T) {
	db := openMem(t)
	mustOK(t, "Put", db.Put([]byte("old"), cb(t, 0)))
	mustOK(t, "Write", db.Write(func(tx *Tx) error {
		var b WriteBatch
		b.Put([]byte("a"), cb(t, "x")).Put([]byte("b"), cb(t, 2)).Delete([]byte("old"))
		mustOK(t, "tx.Apply", tx.Apply(&b))
		buf := make([]byte, 16)
		n, err := tx.GetInto([]byte("a"), buf)
		if err != nil || !bytes.Equal(buf[:n], cb(t, "x")) {
			t.Fatalf("tx.GetInto = %x, %v", buf[:n], err)
		}
		var v int
		mustOK(t, "tx.GetValue", tx.GetValue([]byte("b"), &v))
		if v != 2 {
			t.Fatalf("tx.GetValue = %d", v)
		}
		if ok, _ := tx.Has([]byte("old")); ok {
			t.Fatal("tx.Apply did not delete")
		}
		b.Reset()
		b.Put([]byte("c"), []byte{0xff})
		wantErr(t, "tx.Apply with invalid CBOR", tx.Apply(&b), ErrInvalidValue)
		return nil
	}))
	if n, _ := db.Count(); n != 2 {
		t.Fatalf("after commit Count = %d, want 2", n)
	}
	mustOK(t, "View", db.View(func(tx *Tx) error {
		var b WriteBatch
		wantErr(t, "Apply in a read transaction", tx.Apply(b.Put([]byte("z"), cb(t, 1))), ErrReadOnly)
		return nil
	}))
}
