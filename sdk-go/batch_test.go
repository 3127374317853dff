//go:build cgo

package nook

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBatchGroupsConcurrentCalls(t *testing.T) {
	db := openMem(t)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- db.Batch(func(tx *Tx) error {
				return tx.Put([]byte(fmt.Sprintf("k%03d", i)), cb(t, i))
			})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustOK(t, "Batch", err)
	}
	if c, _ := db.Count(); c != n {
		t.Fatalf("Count = %d, want %d", c, n)
	}
}

func TestBatchFailingCallDoesNotSinkOthers(t *testing.T) {
	db := openMem(t)
	var wg sync.WaitGroup
	var runs atomic.Int32
	results := make([]error, 50)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = db.Batch(func(tx *Tx) error {
				if i == 7 {
					runs.Add(1)
					tx.Put([]byte("poison"), cb(t, 1))
					return errAbort
				}
				return tx.Put([]byte(fmt.Sprint(i)), cb(t, i))
			})
		}(i)
	}
	wg.Wait()
	for i, err := range results {
		if i == 7 {
			if !errors.Is(err, errAbort) {
				t.Fatalf("failing Batch returned %v, want its own error", err)
			}
		} else {
			mustOK(t, fmt.Sprint("Batch ", i), err)
		}
	}
	if runs.Load() < 2 {
		t.Fatalf("the failing fn ran %d times; it must be retried alone", runs.Load())
	}
	if ok, _ := db.Has([]byte("poison")); ok {
		t.Fatal("the failing fn's write was committed")
	}
	if c, _ := db.Count(); c != 49 {
		t.Fatalf("Count = %d, want 49", c)
	}
}

func TestBatchPanicReachesItsCaller(t *testing.T) {
	db := openMem(t)
	defer func() {
		if r := recover(); r != "batch boom" {
			t.Fatalf("recovered %v, want the fn's panic", r)
		}
		if ok, _ := db.Has([]byte("p")); ok {
			t.Fatal("a panicking batch fn's write was committed")
		}
	}()
	db.Batch(func(tx *Tx) error {
		tx.Put([]byte("p"), cb(t, 1))
		panic("batch boom")
	})
}
