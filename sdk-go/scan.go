package nook

import (
	"context"
	"iter"
	"runtime"
	"sync"
)

// scanBufferSize is the buffer one cgo call fills with pairs (as many as
// fit; grown for a single larger pair). 64 KiB cuts crossings to one per
// few hundred small pairs while keeping the transient copy small.
const scanBufferSize = 64 << 10

var scanBuffers = sync.Pool{New: func() any { b := make([]byte, scanBufferSize); return &b }}

// Scan is an iteration over the pairs of one snapshot, all of them or those
// whose key starts with a prefix, in no particular order (the index is a hash
// trie). Range over All; after the loop, Err reports an error that ended it
// early.
//
//	s := db.Scan([]byte("user:"))
//	for k, v := range s.All() {
//		fmt.Printf("%s = %x\n", k, v)
//	}
//	if err := s.Err(); err != nil {
//		return err
//	}
//
// Keys and values are copies owned by the caller: they stay valid after the
// loop and the transaction. The pairs are fetched in batches, many per cgo
// call, and the pairs of a batch share one allocation (one per batch, not per
// pair), so a kept key or value keeps its batch (up to 64 KiB) in memory;
// copy the few you keep from a large scan. A Scan is used by one goroutine at a time (Err belongs to the last
// loop); make one Scan per goroutine.
type Scan struct {
	db     *DB
	tx     *Tx // nil: every All runs in a read snapshot of its own
	prefix []byte
	ctx    context.Context
	err    error
}

// WithContext makes the loop stop, with Err returning ctx's error, once ctx
// is done. It is checked before each batch of pairs is fetched (a batch is at
// most 64 KiB of pairs), so a cancelled scan over a large database ends
// promptly. It returns s.
func (s *Scan) WithContext(ctx context.Context) *Scan {
	s.ctx = ctx
	return s
}

// Scan iterates over the pairs whose key starts with prefix (every pair when
// prefix is empty). Each range over All reads one consistent snapshot.
func (db *DB) Scan(prefix []byte) *Scan {
	return &Scan{db: db, prefix: append([]byte(nil), prefix...)}
}

// Scan iterates over the pairs of the transaction's view (for the write
// transaction: including its own uncommitted writes) whose key starts with
// prefix. Writing in the transaction while the loop runs is safe, but whether
// the loop then sees those writes (or still sees deleted pairs) is
// unspecified.
func (tx *Tx) Scan(prefix []byte) *Scan {
	return &Scan{db: tx.db, tx: tx, prefix: append([]byte(nil), prefix...)}
}

// Err is the error that ended the last iteration over All early, or nil when
// it ran to the end or the loop stopped it with break.
func (s *Scan) Err() error { return s.err }

// All yields every pair of the scan. It may be ranged over more than once;
// each range is a new pass (over a new snapshot for a DB scan).
func (s *Scan) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(key, value []byte) bool) {
		s.err = nil
		// A cursor on the database handle reads a snapshot of its own; one
		// on a transaction handle reads the transaction.
		var t target
		var err error
		mapErr := s.db.closedAware
		if s.tx != nil {
			t, err = s.tx.target()
			mapErr = s.tx.txErr
		} else {
			t, err = s.db.target()
		}
		if err != nil {
			s.err = err
			return
		}
		cur, err := nativeCursorOpen(t, s.prefix)
		if err != nil {
			s.err = mapErr(err)
			return
		}
		defer nativeCursorClose(cur)
		scratch := scanBuffers.Get().(*[]byte)
		defer scanBuffers.Put(scratch)
		for {
			if s.ctx != nil {
				if err := s.ctx.Err(); err != nil {
					s.err = err
					return
				}
			}
			keys, values, done, err := nativeCursorNext(cur, scratch)
			runtime.KeepAlive(s)
			if err != nil {
				s.err = mapErr(err)
				return
			}
			for i := range keys {
				if !yield(keys[i], values[i]) {
					return
				}
			}
			if done {
				return
			}
		}
	}
}
