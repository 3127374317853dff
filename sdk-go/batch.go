package nook

import (
	"errors"
	"fmt"
	"sync"
)

// Batch runs fn in a write transaction shared with the fns of other
// goroutines calling Batch at the same time, and returns when that
// transaction has committed (or fn failed).
//
// What it adds to the engine: the engine already shares one fsync among
// concurrent auto-commit writes (Put, Delete, ...), but each of those is still
// its own commit. Batch puts many small multi-step updates from many
// goroutines into one transaction: one commit, one fsync and two cgo
// crossings (begin, commit) for the whole group. It has no timer: the first
// caller starts a transaction at once, and callers arriving while it commits
// form the next group, so a lone caller waits no longer than with Write.
//
// As with bbolt's Batch, fn may run more than once: if any fn of a group
// returns an error (or panics), the group is rolled back, the other fns are
// run again without it, and the failing fn is retried alone in its own Write,
// whose result (error or panic) is returned to its caller. So fn must be
// idempotent and act only through tx.
func (db *DB) Batch(fn func(*Tx) error) error {
	if _, err := db.handle(); err != nil {
		return err
	}
	call := &batchCall{fn: fn, done: make(chan error, 1)}
	db.batch.enqueue(call)
	err := <-call.done
	if err == errTrySolo {
		err = db.Write(fn)
	}
	return err
}

// MaxBatchCalls is the most Batch calls that share one transaction; callers
// beyond it wait for the next one.
const MaxBatchCalls = 1000

type batchCall struct {
	fn   func(*Tx) error
	done chan error
}

// errTrySolo tells a Batch caller that its fn failed within a group and must
// be run alone.
// It never reaches a caller of Batch.
var errTrySolo = errors.New("nook: batch function must run alone")

// batcher is the leader/follower group commit behind Batch.
type batcher struct {
	db      *DB
	mu      sync.Mutex
	pending []*batchCall
	running bool // a goroutine is draining pending
}

func (b *batcher) init(db *DB) { b.db = db }

func (b *batcher) enqueue(c *batchCall) {
	b.mu.Lock()
	b.pending = append(b.pending, c)
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if start {
		go b.drain()
	}
}

// drain runs groups until no caller is waiting.
func (b *batcher) drain() {
	for {
		b.mu.Lock()
		n := min(len(b.pending), MaxBatchCalls)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		group := b.pending[:n:n]
		b.pending = append([]*batchCall(nil), b.pending[n:]...)
		b.mu.Unlock()
		b.run(group)
	}
}

// run commits one group, removing failing calls until the rest commits.
func (b *batcher) run(group []*batchCall) {
	for len(group) > 0 {
		failed := -1
		err := b.db.Write(func(tx *Tx) error {
			for i, c := range group {
				if err := callSafely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			group[failed].done <- errTrySolo
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		for _, c := range group {
			c.done <- err
		}
		return
	}
}

// callSafely turns a panic in fn into an error, so that one caller's panic
// cannot kill the batch goroutine; the fn is then re-run alone in its caller's
// goroutine, where the panic happens again for real.
func callSafely(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("batch function panicked: %v", p)
		}
	}()
	return fn(tx)
}
