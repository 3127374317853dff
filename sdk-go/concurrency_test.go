//go:build cgo

package nook

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestConcurrentReadersWritersTransactions runs many goroutines at once:
// auto-commit writers, readers, write transactions that commit or roll back,
// scans and batches. Invariants checked while it runs:
//   - every committed transaction moves a fixed total between two accounts,
//     so any snapshot sums to the same total (atomicity + isolation);
//   - rolled-back transactions leave no trace (the "rollback:" keys never
//     appear);
//   - no goroutine needs LockOSThread: Gosched between calls moves them
//     between threads.
func TestConcurrentReadersWritersTransactions(t *testing.T) {
	db, _ := openFile(t, RelaxedDurability())
	const accounts, total = 16, 16 * 1000
	for i := 0; i < accounts; i++ {
		mustOK(t, "seed", db.PutValue(acct(i), total/accounts))
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	if testing.Short() {
		deadline = time.Now().Add(300 * time.Millisecond)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	run := func(name string, body func(r *rand.Rand) error) {
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				r := rand.New(rand.NewSource(seed))
				for time.Now().Before(deadline) {
					if err := body(r); err != nil {
						fail(fmt.Errorf("%s: %w", name, err))
						return
					}
					runtime.Gosched()
				}
			}(int64(len(name)*100 + g))
		}
	}
	transfer := func(r *rand.Rand, tx *Tx) error {
		a, b := r.Intn(accounts), r.Intn(accounts)
		var x, y int
		if err := tx.GetValue(acct(a), &x); err != nil {
			return err
		}
		if err := tx.PutValue(acct(a), x-7); err != nil {
			return err
		}
		if err := tx.GetValue(acct(b), &y); err != nil {
			return err
		}
		return tx.PutValue(acct(b), y+7)
	}
	sum := func(tx *Tx) (int, error) {
		s := 0
		for i := 0; i < accounts; i++ {
			var v int
			if err := tx.GetValue(acct(i), &v); err != nil {
				return 0, err
			}
			s += v
		}
		return s, nil
	}
	run("commit", func(r *rand.Rand) error {
		return db.Write(func(tx *Tx) error { return transfer(r, tx) })
	})
	run("rollback", func(r *rand.Rand) error {
		err := db.Write(func(tx *Tx) error {
			if err := transfer(r, tx); err != nil {
				return err
			}
			if err := tx.Put([]byte("rollback:x"), cb(t, 1)); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			return fmt.Errorf("want errAbort, got %v", err)
		}
		return nil
	})
	run("manual", func(r *rand.Rand) error {
		tx, err := db.Begin(true)
		if err != nil {
			return err
		}
		if err := transfer(r, tx); err != nil {
			tx.Rollback()
			return err
		}
		if r.Intn(2) == 0 {
			return tx.Rollback()
		}
		return tx.Commit()
	})
	run("view", func(r *rand.Rand) error {
		return db.View(func(tx *Tx) error {
			s, err := sum(tx)
			if err == nil && s != total {
				err = fmt.Errorf("snapshot sums to %d, want %d", s, total)
			}
			return err
		})
	})
	run("autocommit", func(r *rand.Rand) error {
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, uint64(r.Intn(500)))
		k = append([]byte("auto:"), k...)
		switch r.Intn(3) {
		case 0:
			return db.Put(k, cb(t, r.Int()))
		case 1:
			_, err := db.Delete(k)
			return err
		default:
			if _, err := db.Get(k); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			return nil
		}
	})
	run("scan", func(r *rand.Rand) error {
		s := db.Scan([]byte("rollback:"))
		for k := range s.All() {
			return fmt.Errorf("rolled-back key %q is visible", k)
		}
		return s.Err()
	})
	run("batch", func(r *rand.Rand) error {
		return db.Batch(func(tx *Tx) error { return transfer(r, tx) })
	})
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	mustOK(t, "final View", db.View(func(tx *Tx) error {
		s, err := sum(tx)
		if err == nil && s != total {
			t.Fatalf("final sum %d, want %d", s, total)
		}
		return err
	}))
	_, err := db.Check()
	mustOK(t, "Check", err)
}

func acct(i int) []byte { return []byte(fmt.Sprintf("acct:%02d", i)) }

// TestCloseDuringUse closes a DB while goroutines use it: every call either
// succeeds or fails with ErrClosed; nothing crashes.
func TestCloseDuringUse(t *testing.T) {
	for round := 0; round < 5; round++ {
		db, err := OpenMemory()
		mustOK(t, "OpenMemory", err)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				<-start
				for i := 0; i < 200; i++ {
					var err error
					switch (g + i) % 5 {
					case 0:
						err = db.Put([]byte{byte(g), byte(i)}, cb(t, i))
					case 1:
						_, err = db.Get([]byte{byte(g), byte(i - 1)})
						if errors.Is(err, ErrNotFound) {
							err = nil
						}
					case 2:
						err = db.Write(func(tx *Tx) error { return tx.Put([]byte{byte(g)}, cb(t, i)) })
					case 3:
						err = db.View(func(tx *Tx) error {
							s := tx.Scan(nil)
							for range s.All() {
							}
							return s.Err()
						})
					default:
						tx, e := db.Begin(false)
						if e == nil {
							_, e = tx.Count()
							if e2 := tx.Rollback(); e == nil && e2 != nil && !errors.Is(e2, ErrClosed) {
								e = e2
							}
						}
						err = e
					}
					if err != nil && !errors.Is(err, ErrClosed) {
						t.Errorf("goroutine %d op %d: %v (want nil or ErrClosed)", g, i, err)
						return
					}
				}
			}(g)
		}
		close(start)
		time.Sleep(time.Duration(round) * time.Millisecond)
		mustOK(t, "Close", db.Close())
		wg.Wait()
	}
}

// TestFinalizerReleasesLeakedTransaction: a write transaction dropped
// without Commit or Rollback is rolled back by its finalizer, which frees the
// writer slot.
func TestFinalizerReleasesLeakedTransaction(t *testing.T) {
	db := openMem(t, BusyTimeout(20*time.Millisecond))
	func() {
		tx, err := db.Begin(true)
		mustOK(t, "Begin(true)", err)
		mustOK(t, "tx.Put", tx.Put([]byte("leaked"), cb(t, 1)))
	}()
	var err error
	for i := 0; i < 200; i++ { // the finalizer runs asynchronously after a GC
		runtime.GC()
		if err = db.Put([]byte("after"), cb(t, 1)); err == nil {
			break
		}
	}
	mustOK(t, "Put once the leaked transaction is finalized", err)
	if ok, _ := db.Has([]byte("leaked")); ok {
		t.Fatal("the leaked transaction's write was committed")
	}
}

// TestFinalizerClosesLeakedDB: the finalizer of a DB closes its native
// handle (a second close of that handle is refused as invalid).
func TestFinalizerClosesLeakedDB(t *testing.T) {
	db, err := OpenMemory()
	mustOK(t, "OpenMemory", err)
	h := db.h.Load()
	db.finalize()
	wantErr(t, "closing the handle again", nativeClose(h), ErrInvalidHandle)
	_, err = db.Get([]byte("k"))
	wantErr(t, "Get after finalize", err, ErrClosed)
}

// TestOneTxFromManyGoroutines: a write transaction may be handed to other
// goroutines; the library serializes calls on it.
func TestOneTxFromManyGoroutines(t *testing.T) {
	db := openMem(t)
	mustOK(t, "Write", db.Write(func(tx *Tx) error {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					if err := tx.Put([]byte{byte(g), byte(i)}, cb(t, i)); err != nil {
						t.Error(err)
						return
					}
					runtime.Gosched()
				}
			}(g)
		}
		wg.Wait()
		return nil
	}))
	if n, _ := db.Count(); n != 800 {
		t.Fatalf("Count = %d, want 800", n)
	}
}
