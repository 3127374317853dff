package nook

import "time"

// Option configures Open. The defaults: create the file if absent, read-write,
// every commit durable (fsync) before it returns, a 64 MiB page cache.
type Option func(*options)

type options struct {
	create     bool
	readOnly   bool
	relaxed    bool
	cacheBytes uint64 // 0: the library's default
	// busyTimeoutMs is how long a writer waits for the writer slot;
	// waitForever (the ABI's NOOK_WAIT_FOREVER) never gives up.
	busyTimeoutMs uint32
}

// waitForever is NOOK_WAIT_FOREVER: wait for the writer slot without limit.
const waitForever = ^uint32(0)

// DefaultBusyTimeout is how long a writer waits for the writer slot unless
// BusyTimeout says otherwise. It is finite so that a mistake that would wait
// forever (a goroutine holding a write transaction and writing through the
// DB) becomes an ErrBusy that names the problem, and generous enough that
// ordinary contention never reaches it.
const DefaultBusyTimeout = 30 * time.Second

func defaultOptions() options {
	return options{create: true, busyTimeoutMs: uint32(DefaultBusyTimeout.Milliseconds())}
}

// MustExist makes Open fail with ErrNotFound when the file does not exist,
// instead of creating it.
func MustExist() Option { return func(o *options) { o.create = false } }

// ReadOnly opens the database read-only: every write fails with ErrReadOnly,
// and the file is locked shared, so several read-only processes may open it
// at once (while no process has it open read-write).
func ReadOnly() Option { return func(o *options) { o.readOnly = true; o.create = false } }

// RelaxedDurability makes commits visible at once but durable only at the
// next Sync, at Close, or about a second later (a background flush). A crash
// may lose the last commits but never corrupts the file. Use it when losing
// the last second of writes is acceptable and commit latency is not.
func RelaxedDurability() Option { return func(o *options) { o.relaxed = true } }

// CacheSize sets the page cache in bytes (default 64 MiB). Resident memory
// stays near this size whatever the file size.
func CacheSize(bytes int) Option {
	return func(o *options) {
		if bytes > 0 {
			o.cacheBytes = uint64(bytes)
		}
	}
}

// BusyTimeout sets how long a write (a Write or Begin(true) transaction, an
// auto-commit Put, Delete, ..., Compact) waits while another write
// transaction on the same file is open, before it fails with ErrBusy. The
// default is DefaultBusyTimeout (30 s). Zero fails at once when the slot is
// taken; a negative d waits without limit, like a sync.Mutex (then a goroutine
// that holds a write transaction and calls db.Put waits for itself forever).
func BusyTimeout(d time.Duration) Option {
	return func(o *options) {
		ms := d.Milliseconds()
		switch {
		case d < 0:
			o.busyTimeoutMs = waitForever
		case ms >= int64(waitForever):
			o.busyTimeoutMs = waitForever - 1
		default:
			o.busyTimeoutMs = uint32(ms)
		}
	}
}
