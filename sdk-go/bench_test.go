//go:build cgo

package nook

import (
	"fmt"
	"testing"
)

// Per-path benchmarks of the SDK's cgo crossings (go test -bench . -run '^$').
// The comparison with bbolt and Badger is the separate bench/ module.

func benchDB(b *testing.B, n int) (*DB, [][]byte) {
	b.Helper()
	db, err := OpenMemory()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	keys := make([][]byte, n)
	var wb WriteBatch
	v := cb(b, make([]byte, 148))
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%020d", i))
		wb.Put(keys[i], v)
	}
	if err := db.Apply(&wb); err != nil {
		b.Fatal(err)
	}
	return db, keys
}

func BenchmarkGet(b *testing.B) {
	db, keys := benchDB(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Get(keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetInto(b *testing.B) {
	db, keys := benchDB(b, 10_000)
	buf := make([]byte, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.GetInto(keys[i%len(keys)], buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTxPut(b *testing.B) {
	db, keys := benchDB(b, 1000)
	v := cb(b, 1)
	tx, err := db.Begin(true)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tx.Put(keys[i%len(keys)], v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	db, keys := benchDB(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		s := db.Scan(nil)
		for range s.All() {
			n++
		}
		if s.Err() != nil || n != len(keys) {
			b.Fatal(n, s.Err())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/pair")
}
