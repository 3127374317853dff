//go:build cgo

package nook

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCRUD(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *DB{
		"memory": func(t testing.TB) *DB { return openMem(t) },
		"file":   func(t testing.TB) *DB { db, _ := openFile(t); return db },
	} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			k, v1, v2 := []byte("user:1"), cb(t, "Ada"), cb(t, map[string]int{"age": 36})

			if _, err := db.Get(k); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get of an absent key: %v", err)
			}
			mustOK(t, "Put", db.Put(k, v1))
			got, err := db.Get(k)
			if err != nil || !bytes.Equal(got, v1) {
				t.Fatalf("Get = %x, %v; want %x", got, err, v1)
			}
			wantErr(t, "Insert of a present key", db.Insert(k, v2), ErrExists)
			wantErr(t, "Update of an absent key", db.Update([]byte("user:2"), v2), ErrNotFound)
			mustOK(t, "Update", db.Update(k, v2))
			mustOK(t, "Insert", db.Insert([]byte("user:2"), v1))
			if got, _ := db.Get(k); !bytes.Equal(got, v2) {
				t.Fatalf("after Update Get = %x, want %x", got, v2)
			}
			if ok, err := db.Has(k); !ok || err != nil {
				t.Fatalf("Has = %v, %v", ok, err)
			}
			if ok, err := db.Has([]byte("nope")); ok || err != nil {
				t.Fatalf("Has(absent) = %v, %v", ok, err)
			}
			if n, err := db.Count(); n != 2 || err != nil {
				t.Fatalf("Count = %d, %v; want 2", n, err)
			}
			if existed, err := db.Delete(k); !existed || err != nil {
				t.Fatalf("Delete = %v, %v", existed, err)
			}
			if existed, err := db.Delete(k); existed || err != nil {
				t.Fatalf("second Delete = %v, %v; want false, nil", existed, err)
			}
			if n, _ := db.Count(); n != 1 {
				t.Fatalf("Count after Delete = %d, want 1", n)
			}
		})
	}
}

func TestGetReturnsACopy(t *testing.T) {
	db := openMem(t)
	mustOK(t, "Put", db.Put([]byte("k"), cb(t, "value")))
	a, _ := db.Get([]byte("k"))
	a[1] = 'X'
	b, _ := db.Get([]byte("k"))
	if bytes.Equal(a, b) {
		t.Fatal("modifying a returned value changed the stored one")
	}
	// The caller's key and value may be reused right after Put returns.
	key, val := []byte("k2"), cb(t, 1)
	mustOK(t, "Put", db.Put(key, val))
	key[0], val[0] = 'z', 0x02
	if got, err := db.Get([]byte("k2")); err != nil || got[0] != 0x01 {
		t.Fatalf("stored value aliased the caller's slice: %x, %v", got, err)
	}
}

func TestLargeValues(t *testing.T) {
	db := openMem(t)
	for _, size := range []int{0, 1, getStackBuf - 3, getStackBuf - 2, getStackBuf - 1, getStackBuf, getStackBuf + 1, 1 << 20} {
		v := cb(t, bytes.Repeat([]byte{'x'}, size))
		mustOK(t, "Put", db.Put([]byte("big"), v))
		got, err := db.Get([]byte("big"))
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("size %d: Get returned %d bytes, %v", size, len(got), err)
		}
	}
}

func TestGetInto(t *testing.T) {
	db := openMem(t)
	v := cb(t, "hello, world")
	mustOK(t, "Put", db.Put([]byte("k"), v))
	buf := make([]byte, 64)
	n, err := db.GetInto([]byte("k"), buf)
	if err != nil || !bytes.Equal(buf[:n], v) {
		t.Fatalf("GetInto = %d, %v", n, err)
	}
	small := make([]byte, 3)
	n, err = db.GetInto([]byte("k"), small)
	wantErr(t, "GetInto small buffer", err, ErrBufferTooSmall)
	if n != len(v) {
		t.Fatalf("GetInto with a small buffer reported %d, want the needed %d", n, len(v))
	}
	if _, err := db.GetInto([]byte("absent"), buf); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetInto absent: %v", err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := db.GetInto([]byte("k"), buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("GetInto allocates %.1f times per call, want 0", allocs)
	}
}

func TestTypedValues(t *testing.T) {
	db := openMem(t)
	type point struct {
		X, Y int
		Tag  string `cbor:"tag,omitempty"`
	}
	mustOK(t, "PutValue", db.PutValue([]byte("p"), point{3, -4, "origin"}))
	var p point
	mustOK(t, "GetValue", db.GetValue([]byte("p"), &p))
	if p != (point{3, -4, "origin"}) {
		t.Fatalf("GetValue = %+v", p)
	}
	var s string
	wantErr(t, "GetValue into the wrong type", db.GetValue([]byte("p"), &s), ErrInvalidValue)
	wantErr(t, "GetValue absent", db.GetValue([]byte("q"), &p), ErrNotFound)
	wantErr(t, "PutValue of a channel", db.PutValue([]byte("c"), make(chan int)), ErrInvalidValue)
}

func TestBadInput(t *testing.T) {
	db := openMem(t)
	v := cb(t, 1)
	long := bytes.Repeat([]byte{'k'}, 4097)
	for name, err := range map[string]error{
		"Put nil key":       db.Put(nil, v),
		"Put empty key":     db.Put([]byte{}, v),
		"Insert empty key":  db.Insert(nil, v),
		"Update empty key":  db.Update(nil, v),
		"Get empty key":     func() error { _, err := db.Get(nil); return err }(),
		"Has empty key":     func() error { _, err := db.Has(nil); return err }(),
		"Delete empty key":  func() error { _, err := db.Delete(nil); return err }(),
		"GetInto empty key": func() error { _, err := db.GetInto(nil, make([]byte, 8)); return err }(),
		"Open empty path":   func() error { _, err := Open(""); return err }(),
		"Backup empty path": db.Backup(""),
	} {
		wantErr(t, name, err, ErrInvalidArgument)
	}
	err := db.Put(long, v)
	wantErr(t, "Put long key", err, ErrKeyTooLarge)
	if !strings.Contains(err.Error(), "4097") {
		t.Errorf("the library's message did not come through (it names the length): %v", err)
	}
	_, err = db.Get(long)
	wantErr(t, "Get long key", err, ErrKeyTooLarge)
	for name, bad := range map[string][]byte{
		"nil value":      nil,
		"truncated":      {0x18},
		"two items":      {0x01, 0x02},
		"reserved byte":  {0x1c},
		"bad utf-8 text": {0x61, 0xff},
	} {
		wantErr(t, "Put "+name, db.Put([]byte("k"), bad), ErrInvalidValue)
	}
	if n, _ := db.Count(); n != 0 {
		t.Fatalf("failed writes stored %d keys", n)
	}
	huge := make([]byte, 64<<20+1)
	wantErr(t, "Put oversized value", db.Put([]byte("k"), huge), ErrValueTooLarge)
}

func TestUseAfterClose(t *testing.T) {
	db, err := OpenMemory()
	mustOK(t, "OpenMemory", err)
	mustOK(t, "Put", db.Put([]byte("k"), cb(t, 1)))
	tx, err := db.Begin(false)
	mustOK(t, "Begin", err)
	mustOK(t, "Close", db.Close())
	mustOK(t, "second Close", db.Close())

	checks := map[string]error{
		"Put":      db.Put([]byte("k"), cb(t, 2)),
		"Insert":   db.Insert([]byte("k"), cb(t, 2)),
		"Update":   db.Update([]byte("k"), cb(t, 2)),
		"Get":      func() error { _, err := db.Get([]byte("k")); return err }(),
		"GetInto":  func() error { _, err := db.GetInto([]byte("k"), nil); return err }(),
		"Has":      func() error { _, err := db.Has([]byte("k")); return err }(),
		"Count":    func() error { _, err := db.Count(); return err }(),
		"Delete":   func() error { _, err := db.Delete([]byte("k")); return err }(),
		"Begin":    func() error { _, err := db.Begin(true); return err }(),
		"View":     db.View(func(*Tx) error { t.Fatal("View ran fn on a closed DB"); return nil }),
		"Write":    db.Write(func(*Tx) error { t.Fatal("Write ran fn on a closed DB"); return nil }),
		"Batch":    db.Batch(func(*Tx) error { t.Fatal("Batch ran fn on a closed DB"); return nil }),
		"Check":    func() error { _, err := db.Check(); return err }(),
		"Stats":    func() error { _, err := db.Stats(); return err }(),
		"Compact":  func() error { _, err := db.Compact(); return err }(),
		"Backup":   db.Backup(filepath.Join(t.TempDir(), "b.nook")),
		"Sync":     db.Sync(),
		"Apply":    db.Apply(new(WriteBatch).Put([]byte("k"), cb(t, 1))),
		"Tx.Get":   func() error { _, err := tx.Get([]byte("k")); return err }(),
		"Tx.Count": func() error { _, err := tx.Count(); return err }(),
		"Scan": func() error {
			s := db.Scan(nil)
			for range s.All() {
				t.Fatal("Scan yielded on a closed DB")
			}
			return s.Err()
		}(),
	}
	for name, err := range checks {
		wantErr(t, name+" after Close", err, ErrClosed)
	}
	mustOK(t, "Rollback of a transaction its DB's Close ended", tx.Rollback())
}

func TestReopenKeepsData(t *testing.T) {
	db, path := openFile(t)
	mustOK(t, "Put", db.Put([]byte("k"), cb(t, "kept")))
	mustOK(t, "Close", db.Close())
	db2, err := Open(path, MustExist())
	mustOK(t, "reopen", err)
	defer db2.Close()
	var s string
	mustOK(t, "GetValue", db2.GetValue([]byte("k"), &s))
	if s != "kept" {
		t.Fatalf("after reopen got %q", s)
	}
	if db2.Path() != path {
		t.Fatalf("Path() = %q", db2.Path())
	}
}

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "absent.nook"), MustExist())
	wantErr(t, "MustExist on a missing file", err, ErrNotFound)
	_, err = Open(filepath.Join(dir, "absent.nook"), ReadOnly())
	wantErr(t, "ReadOnly on a missing file", err, ErrNotFound)

	path := filepath.Join(dir, "ro.nook")
	db, err := Open(path, RelaxedDurability(), CacheSize(1<<20))
	mustOK(t, "Open relaxed", err)
	mustOK(t, "Put", db.Put([]byte("k"), cb(t, 1)))
	mustOK(t, "Sync", db.Sync())
	mustOK(t, "Close", db.Close())

	ro, err := Open(path, ReadOnly())
	mustOK(t, "Open read-only", err)
	defer ro.Close()
	if v, err := ro.Get([]byte("k")); err != nil || !bytes.Equal(v, cb(t, 1)) {
		t.Fatalf("read-only Get = %x, %v", v, err)
	}
	wantErr(t, "Put on a read-only DB", ro.Put([]byte("k"), cb(t, 2)), ErrReadOnly)
	_, err = ro.Delete([]byte("k"))
	wantErr(t, "Delete on a read-only DB", err, ErrReadOnly)
	wantErr(t, "Write on a read-only DB", ro.Write(func(*Tx) error { return nil }), ErrReadOnly)

	if err := os.WriteFile(filepath.Join(dir, "junk.nook"), []byte(strings.Repeat("not a database ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(filepath.Join(dir, "junk.nook"))
	wantErr(t, "Open of a non-Nook file", err, ErrCorrupted)

	_, err = Open(dir)
	wantErr(t, "Open of a folder", err, ErrIO)
	ro2, err := Open(path, ReadOnly())
	mustOK(t, "second read-only Open", err)
	defer ro2.Close()
	_, err = Open(path)
	wantErr(t, "read-write Open of a file open read-only in this process", err, ErrLocked)
}

func TestAdmin(t *testing.T) {
	db, path := openFile(t)
	for i := 0; i < 100; i++ {
		mustOK(t, "Put", db.Put([]byte{'k', byte(i)}, cb(t, i)))
	}
	rep, err := db.Check()
	mustOK(t, "Check", err)
	if rep.KeysChecked != 100 {
		t.Fatalf("Check verified %d keys, want 100", rep.KeysChecked)
	}
	st, err := db.Stats()
	mustOK(t, "Stats", err)
	if st.KeyCount != 100 || st.PageSize == 0 {
		t.Fatalf("Stats = %+v", st)
	}
	_, err = db.Compact()
	mustOK(t, "Compact", err)
	backup := filepath.Join(t.TempDir(), "backup.nook")
	mustOK(t, "Backup", db.Backup(backup))
	wantErr(t, "Backup over an existing file", db.Backup(backup), ErrExists)
	b, err := Open(backup, MustExist())
	mustOK(t, "open backup", err)
	defer b.Close()
	if n, _ := b.Count(); n != 100 {
		t.Fatalf("backup has %d keys, want 100", n)
	}
	if got, err := b.Get([]byte{'k', 7}); err != nil || !bytes.Equal(got, cb(t, 7)) {
		t.Fatalf("backup Get = %x, %v", got, err)
	}
	_ = path
}

func TestApply(t *testing.T) {
	db := openMem(t)
	mustOK(t, "Put", db.Put([]byte("gone"), cb(t, 0)))
	var b WriteBatch
	for i := 0; i < 1000; i++ {
		b.Put([]byte{'b', byte(i >> 8), byte(i)}, cb(t, i))
	}
	b.Delete([]byte("gone"))
	if b.Len() != 1001 {
		t.Fatalf("Len = %d", b.Len())
	}
	mustOK(t, "Apply", db.Apply(&b))
	if n, _ := db.Count(); n != 1000 {
		t.Fatalf("Count = %d, want 1000", n)
	}
	// All or nothing: one bad value refuses the whole batch.
	b.Reset()
	b.Put([]byte("ok"), cb(t, 1)).Put([]byte("bad"), []byte{0x18})
	wantErr(t, "Apply with a bad value", db.Apply(&b), ErrInvalidValue)
	if ok, _ := db.Has([]byte("ok")); ok {
		t.Fatal("a failed Apply stored part of the batch")
	}
	b.Reset()
	b.Put(nil, cb(t, 1))
	wantErr(t, "Apply with an empty key", db.Apply(&b), ErrInvalidArgument)
	b.Reset()
	mustOK(t, "empty Apply", db.Apply(&b))
}

func TestABIVersion(t *testing.T) {
	major, _ := LibraryABIVersion()
	if major != ABIMajor {
		t.Fatalf("linked library ABI major %d, package expects %d", major, ABIMajor)
	}
	if err := checkABIVersion(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenTwiceInProcess: a second Open of the same path shares the
// database (data and the one writer slot); closing one leaves the other.
func TestOpenTwiceInProcess(t *testing.T) {
	a, path := openFile(t, BusyTimeout(20*time.Millisecond))
	b, err := Open(path, BusyTimeout(20*time.Millisecond))
	mustOK(t, "second Open", err)
	defer b.Close()
	mustOK(t, "Put through a", a.Put([]byte("k"), cb(t, 1)))
	if v, err := b.Get([]byte("k")); err != nil || !bytes.Equal(v, cb(t, 1)) {
		t.Fatalf("b does not see a's commit: %x, %v", v, err)
	}
	tx, err := a.Begin(true)
	mustOK(t, "Begin on a", err)
	wantErr(t, "write through b while a has the writer slot", b.Put([]byte("k"), cb(t, 2)), ErrBusy)
	mustOK(t, "Rollback", tx.Rollback())
	mustOK(t, "Close a", a.Close())
	mustOK(t, "Put through b after a closed", b.Put([]byte("k"), cb(t, 3)))
}

// TestCompactShrinks: after deleting most data, Compact returns the space
// and the file keeps what is left.
func TestCompactShrinks(t *testing.T) {
	db, _ := openFile(t, RelaxedDurability())
	big := cb(t, make([]byte, 2000))
	var b WriteBatch
	for i := 0; i < 500; i++ {
		b.Put([]byte(fmt.Sprint(i)), big)
	}
	mustOK(t, "Apply", db.Apply(&b))
	b.Reset()
	for i := 1; i < 500; i++ {
		b.Delete([]byte(fmt.Sprint(i)))
	}
	mustOK(t, "Apply deletes", db.Apply(&b))
	r, err := db.Compact()
	mustOK(t, "Compact", err)
	if r.SizeBefore < 500*2000 || r.SizeAfter*4 > r.SizeBefore {
		t.Fatalf("Compact went from %d to %d bytes; want it well under a quarter", r.SizeBefore, r.SizeAfter)
	}
	st, err := db.Stats()
	mustOK(t, "Stats", err)
	if st.KeyCount != 1 || st.FileSize != r.SizeAfter {
		t.Fatalf("after Compact Stats = %+v, report %+v", st, r)
	}
	if v, err := db.Get([]byte("0")); err != nil || !bytes.Equal(v, big) {
		t.Fatalf("the kept pair after Compact: %d bytes, %v", len(v), err)
	}
}
