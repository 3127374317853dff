package nook

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/nook-db/nook/sdk-go/internal/errgen"
)

// errorsTOML is the single source of the error table, relative to sdk-go.
const errorsTOML = "../spec/errors.toml"

// TestErrorsGenUpToDate fails when errors_gen.go differs from what
// `go generate` would write from spec/errors.toml.
func TestErrorsGenUpToDate(t *testing.T) {
	src, err := os.ReadFile(errorsTOML)
	if os.IsNotExist(err) {
		t.Skipf("%s not found: the module is used outside the Nook repository", errorsTOML)
	}
	if err != nil {
		t.Fatal(err)
	}
	rows, err := errgen.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := errgen.Render("nook", rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("errors_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("errors_gen.go is stale: run `go generate` in sdk-go and commit the result")
	}
	if len(sentinels) != len(rows) {
		t.Fatalf("%d sentinels for %d rows", len(sentinels), len(rows))
	}
	for i, r := range rows {
		s := sentinels[i]
		if int(s.Code) != r.Code || s.Name != r.Name || s.Message != r.Meaning {
			t.Errorf("sentinel %d = %+v, want row %+v", i, s, r)
		}
		if got := Code(r.Code).Name(); got != r.Name {
			t.Errorf("Code(%d).Name() = %q, want %q", r.Code, got, r.Name)
		}
	}
}

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("loading user: %w", newError(CodeNotFound, "the key does not exist"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatal("errors.Is does not match a wrapped NOT_FOUND")
	}
	if errors.Is(err, ErrExists) || errors.Is(err, ErrCorrupted) {
		t.Fatal("errors.Is matches a sentinel of another code")
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNotFound || e.Name != "NOT_FOUND" || e.Message != "the key does not exist" {
		t.Fatalf("errors.As gave %+v", e)
	}
	if got := e.Error(); got != "nook: NOT_FOUND: the key does not exist" {
		t.Errorf("Error() = %q", got)
	}
	if errors.Is(err, (*Error)(nil)) {
		t.Error("a nil *Error target matched")
	}
}

func TestUnknownCodeKeepsItsNumber(t *testing.T) {
	e := newError(Code(999), "")
	if e.Name != "CODE_999" || e.Code != 999 {
		t.Fatalf("unknown code gave %+v", e)
	}
	if errors.Is(e, ErrInternal) {
		t.Fatal("unknown code matched INTERNAL")
	}
	if m := newError(CodeLocked, "").Message; m != ErrLocked.Message {
		t.Errorf("empty message not filled from the table: %q", m)
	}
}

// TestOSErrorIsKept: an I/O failure keeps the operating system's error code,
// so a caller can tell a full disk from a permission problem or a failing
// device with errors.Is, without parsing the message.
func TestOSErrorIsKept(t *testing.T) {
	_, err := Open(t.TempDir()) // a folder is not a database file
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeIO {
		t.Fatalf("Open of a folder = %v, want an IO *Error", err)
	}
	if e.Errno != syscall.EISDIR {
		t.Errorf("Errno = %d (%v), want EISDIR", uintptr(e.Errno), e.Errno)
	}
	if !errors.Is(err, syscall.EISDIR) || !errors.Is(err, ErrIO) {
		t.Errorf("errors.Is(err, syscall.EISDIR / ErrIO) = false for %v", err)
	}
	if errors.Is(err, syscall.ENOSPC) {
		t.Errorf("errors.Is(err, syscall.ENOSPC) = true for %v", err)
	}

	full := &Error{Code: CodeDiskFull, Name: "DISK_FULL", Message: "the disk is full", Errno: syscall.ENOSPC}
	if !errors.Is(fmt.Errorf("saving: %w", full), syscall.ENOSPC) {
		t.Error("a wrapped DISK_FULL error does not match syscall.ENOSPC")
	}
	denied := &Error{Code: CodeIO, Name: "IO", Message: "opening", Errno: syscall.EACCES}
	if !errors.Is(denied, fs.ErrPermission) {
		t.Error("an EACCES error does not match fs.ErrPermission")
	}
	if errors.Unwrap(newError(CodeNotFound, "")) != nil {
		t.Error("an error without an OS code unwraps to something")
	}
}
