//go:build cgo

package nook

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

// TestNoHandleLeaks runs every operation, failing ones included (each
// failure carries an ERROR handle the SDK must close), broken-off scans and
// ended transactions, and checks that the process's handle count comes back
// to where it was.
func TestNoHandleLeaks(t *testing.T) {
	runtime.GC() // let earlier tests' finalizers run first
	before := handleCount()
	func() {
		db, err := Open(filepath.Join(t.TempDir(), "leak.nook"), BusyTimeout(0))
		mustOK(t, "Open", err)
		defer db.Close()
		v := cb(t, 1)
		mustOK(t, "Put", db.Put([]byte("k"), v))
		db.Put(nil, v)                        // INVALID_ARGUMENT
		db.Put([]byte("k"), []byte{0x18})     // INVALID_VALUE
		db.Insert([]byte("k"), v)             // ALREADY_EXISTS
		db.Update([]byte("absent"), v)        // NOT_FOUND
		db.Get([]byte("absent"))              // NOT_FOUND (no handle)
		db.GetInto([]byte("k"), nil)          // BUFFER_TOO_SMALL (no handle)
		db.Get(make([]byte, 5000))            // KEY_TOO_LARGE
		db.Backup(filepath.Join(t.TempDir())) // ALREADY_EXISTS
		db.Has([]byte("k"))
		db.Count()
		db.Delete([]byte("nope"))
		db.Check()
		db.Stats()
		db.Sync()
		var b WriteBatch
		db.Apply(b.Put([]byte("a"), v).Put([]byte("b"), []byte{0xff})) // INVALID_VALUE
		s := db.Scan(nil)
		for range s.All() {
			break // the cursor must be closed anyway
		}
		tx, err := db.Begin(true)
		mustOK(t, "Begin", err)
		tx.Put([]byte("t"), v)
		if _, err := db.Begin(true); !errors.Is(err, ErrBusy) { // BUSY
			t.Errorf("second writer: %v", err)
		}
		for range tx.Scan(nil).All() {
		}
		mustOK(t, "Commit", tx.Commit())
		tx.Commit() // CLOSED (Go side)
		db.View(func(tx *Tx) error {
			tx.Put([]byte("x"), v) // READ_ONLY (Go side)
			tx.Get([]byte("absent"))
			return nil
		})
		db.Write(func(tx *Tx) error { return errors.New("roll back") })
		db.Batch(func(tx *Tx) error { return tx.Put([]byte("batch"), v) })
		// A transaction left open is ended by Close.
		_, err = db.Begin(false)
		mustOK(t, "Begin(false)", err)
	}()
	mem, err := OpenMemory()
	mustOK(t, "OpenMemory", err)
	mustOK(t, "Close", mem.Close())
	if after := handleCount(); after != before {
		t.Fatalf("%d handles open before, %d after: a call leaked handles", before, after)
	}
}
