package nook

// Option configures Open. The defaults: create the file if absent, read-write,
// every commit durable (fsync) before it returns, a 64 MiB page cache.
type Option func(*options)

type options struct {
	create     bool
	readOnly   bool
	relaxed    bool
	cacheBytes uint64 // 0: the library's default
}

func defaultOptions() options {
	return options{create: true}
}

// MustExist makes Open fail with ErrNotFound when the file does not exist,
// instead of creating it.
func MustExist() Option { return func(o *options) { o.create = false } }

// ReadOnly opens the database read-only: every write fails with ErrReadOnly,
// and the file is locked shared, so several read-only processes may open it
// at once (while no process has it open read-write).
func ReadOnly() Option { return func(o *options) { o.readOnly = true; o.create = false } }

// RelaxedDurability makes commits visible at once but durable only at the
// next Sync, at Close, or within about a second by a later commit. A crash
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
