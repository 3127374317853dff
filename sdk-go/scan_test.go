//go:build cgo

package nook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
)

func collect(t *testing.T, s *Scan) map[string]string {
	t.Helper()
	got := map[string]string{}
	for k, v := range s.All() {
		if _, dup := got[string(k)]; dup {
			t.Fatalf("key %q yielded twice", k)
		}
		got[string(k)] = string(v)
	}
	mustOK(t, "Scan.Err", s.Err())
	return got
}

func TestScanAllAndPrefix(t *testing.T) {
	db := openMem(t)
	want := map[string]string{}
	for i := 0; i < 2000; i++ {
		k := fmt.Sprintf("%s:%04d", []string{"user", "order", "u"}[i%3], i)
		v := cb(t, i)
		mustOK(t, "Put", db.Put([]byte(k), v))
		want[k] = string(v)
	}
	all := collect(t, db.Scan(nil))
	if len(all) != len(want) {
		t.Fatalf("Scan(nil) yielded %d pairs, want %d", len(all), len(want))
	}
	for k, v := range want {
		if all[k] != v {
			t.Fatalf("pair %q = %x, want %x", k, all[k], v)
		}
	}
	users := collect(t, db.Scan([]byte("user:")))
	n := 0
	for k := range want {
		if len(k) > 5 && k[:5] == "user:" {
			n++
		}
	}
	if len(users) != n {
		t.Fatalf("Scan(user:) yielded %d, want %d", len(users), n)
	}
	for k := range users {
		if k[:5] != "user:" {
			t.Fatalf("prefix scan yielded %q", k)
		}
	}
	if none := collect(t, db.Scan([]byte("zzz"))); len(none) != 0 {
		t.Fatalf("Scan(zzz) yielded %d", len(none))
	}
}

func TestScanBreakAndReuse(t *testing.T) {
	db := openMem(t)
	for i := 0; i < 1000; i++ {
		mustOK(t, "Put", db.Put([]byte(fmt.Sprint(i)), cb(t, i)))
	}
	s := db.Scan(nil)
	seen := 0
	var kept [][]byte
	for k := range s.All() {
		kept = append(kept, k)
		if seen++; seen == 10 {
			break
		}
	}
	mustOK(t, "Err after break", s.Err())
	// Yielded slices stay valid and distinct after the loop.
	sort.Slice(kept, func(i, j int) bool { return bytes.Compare(kept[i], kept[j]) < 0 })
	for i := 1; i < len(kept); i++ {
		if bytes.Equal(kept[i-1], kept[i]) {
			t.Fatal("two yielded keys share memory")
		}
	}
	// A second range is a full new pass; the break released the snapshot.
	if again := collect(t, s); len(again) != 1000 {
		t.Fatalf("second pass yielded %d", len(again))
	}
	mustOK(t, "Write after a broken-off scan", db.Write(func(tx *Tx) error { return tx.Put([]byte("x"), cb(t, 1)) }))
}

func TestScanLargePairs(t *testing.T) {
	db := openMem(t)
	big := cb(t, bytes.Repeat([]byte{'v'}, scanBufferSize*2))
	mustOK(t, "Put big", db.Put([]byte("big"), big))
	mustOK(t, "Put small", db.Put([]byte("small"), cb(t, 1)))
	got := collect(t, db.Scan(nil))
	if got["big"] != string(big) || got["small"] != string(cb(t, 1)) {
		t.Fatalf("large pair scan lost data: %d pairs", len(got))
	}
}

func TestScanInTransaction(t *testing.T) {
	db := openMem(t)
	mustOK(t, "Put", db.Put([]byte("a"), cb(t, 1)))
	mustOK(t, "Write", db.Write(func(tx *Tx) error {
		mustOK(t, "tx.Put", tx.Put([]byte("b"), cb(t, 2)))
		got := collect(t, tx.Scan(nil))
		if len(got) != 2 {
			t.Fatalf("write transaction scan saw %d pairs, want its own write too", len(got))
		}
		return nil
	}))
	mustOK(t, "View", db.View(func(tx *Tx) error {
		mustOK(t, "concurrent Put", db.Put([]byte("c"), cb(t, 3)))
		if got := collect(t, tx.Scan(nil)); len(got) != 2 {
			t.Fatalf("snapshot scan saw %d pairs, want 2", len(got))
		}
		return nil
	}))
}

func TestScanWithContext(t *testing.T) {
	db := openMem(t)
	big := cb(t, bytes.Repeat([]byte{'v'}, 1000))
	for i := 0; i < 500; i++ { // about eight batches of pairs
		mustOK(t, "Put", db.Put([]byte(fmt.Sprint(i)), big))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := db.Scan(nil).WithContext(ctx)
	n := 0
	for range s.All() {
		if n++; n == 1 {
			cancel()
		}
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Fatalf("Err after cancel = %v, want context.Canceled", s.Err())
	}
	if n >= 500 {
		t.Fatalf("the cancelled scan still yielded all %d pairs", n)
	}
	// A live context changes nothing.
	if got := collect(t, db.Scan(nil).WithContext(context.Background())); len(got) != 500 {
		t.Fatalf("scan with a live context yielded %d", len(got))
	}
}
