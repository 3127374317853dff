package nook

import (
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	apply := func(opts ...Option) options {
		o := defaultOptions()
		for _, opt := range opts {
			opt(&o)
		}
		return o
	}
	if o := apply(); !o.create || o.readOnly || o.relaxed || o.cacheBytes != 0 || o.busyTimeoutMs != 30_000 {
		t.Fatalf("defaults = %+v", o)
	}
	if o := apply(ReadOnly()); !o.readOnly || o.create {
		t.Fatalf("ReadOnly = %+v; it must not create", o)
	}
	if o := apply(MustExist(), RelaxedDurability(), CacheSize(1<<20)); o.create || !o.relaxed || o.cacheBytes != 1<<20 {
		t.Fatalf("MustExist, RelaxedDurability, CacheSize = %+v", o)
	}
	if o := apply(CacheSize(-5)); o.cacheBytes != 0 {
		t.Fatalf("a negative cache size was kept: %+v", o)
	}
	for d, want := range map[time.Duration]uint32{
		-1:                      waitForever,
		0:                       0,
		1500 * time.Microsecond: 1,
		2 * time.Second:         2000,
		1 << 62:                 waitForever - 1,
	} {
		if got := apply(BusyTimeout(d)).busyTimeoutMs; got != want {
			t.Errorf("BusyTimeout(%v) = %d ms, want %d", d, got, want)
		}
	}
}
