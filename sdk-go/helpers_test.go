//go:build cgo

package nook

import (
	"errors"
	"path/filepath"
	"testing"
)

// cb returns the CBOR encoding of v (test shorthand).
func cb(t testing.TB, v any) []byte {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openMem(t testing.TB, opts ...Option) *DB {
	t.Helper()
	db, err := OpenMemory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openFile(t testing.TB, opts ...Option) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.nook")
	db, err := Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// wantErr fails unless err matches the sentinel target and is an *Error with
// a non-empty message.
func wantErr(t testing.TB, what string, err error, target *Error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %s", what, err, target.Name)
	}
	var e *Error
	if !errors.As(err, &e) || e.Message == "" || e.Name != target.Name {
		t.Fatalf("%s: error %#v lacks a name or message", what, err)
	}
}

func mustOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
