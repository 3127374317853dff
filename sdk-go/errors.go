package nook

//go:generate go run ./internal/cmd/generrors -in ../spec/errors.toml -out errors_gen.go
//go:generate go run ./internal/cmd/syncheader -in ../abi/include/nook.h -out include/nook.h

import (
	"fmt"
	"syscall"
)

// Code is a stable Nook error code from spec/errors.toml (never 0; 0 is
// success at the C ABI). The constants CodeNotFound, CodeExists, … are
// generated from that table.
type Code int32

// Name is the stable upper-case name of the code, e.g. "NOT_FOUND", or
// "CODE_<n>" for a code this build does not know (a newer library may append
// codes in a minor version).
func (c Code) Name() string {
	if s := c.sentinel(); s != nil {
		return s.Name
	}
	return fmt.Sprintf("CODE_%d", int32(c))
}

// String returns the name of the code.
func (c Code) String() string { return c.Name() }

func (c Code) sentinel() *Error {
	if c >= 1 && int(c) <= len(sentinels) && sentinels[c-1].Code == c {
		return sentinels[c-1]
	}
	for _, s := range sentinels {
		if s.Code == c {
			return s
		}
	}
	return nil
}

// Error is every error Nook reports: a stable Code, its Name, and a Message
// that says what went wrong and what to do.
//
// Match a kind of error with errors.Is against the sentinels:
//
//	if errors.Is(err, nook.ErrNotFound) { ... }
//
// or get the details with errors.As:
//
//	var e *nook.Error
//	if errors.As(err, &e) { log.Print(e.Code, e.Message) }
//
// An error the operating system reported (IO, DISK_FULL) carries its code in
// Errno and unwraps to it, so errors.Is(err, syscall.ENOSPC) or
// errors.Is(err, fs.ErrPermission) tell a full disk from a permission problem
// or a failing device (EIO).
type Error struct {
	Code    Code   // stable numeric code
	Name    string // stable upper-case name, e.g. "NOT_FOUND"
	Message string // what happened and what to do
	// Errno is the operating system's error code behind the failure (errno
	// on POSIX systems, the Win32 error code on Windows), 0 when the failure
	// did not come from the operating system. Since ABI 1.1.
	Errno syscall.Errno
}

// Error formats the error as "nook: NAME: message".
func (e *Error) Error() string {
	return "nook: " + e.Name + ": " + e.Message
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) holds for every NOT_FOUND error whatever its
// message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Code == e.Code
}

// Unwrap returns the operating system's error (a syscall.Errno) behind e, or
// nil when there is none.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// newError builds the *Error for a code and message. An unknown code (from a
// newer library) keeps its number and gets the name CODE_<n>.
func newError(code Code, message string) *Error {
	if message == "" {
		if s := code.sentinel(); s != nil {
			message = s.Message
		}
	}
	return &Error{Code: code, Name: code.Name(), Message: message}
}

// errorf builds an *Error with a formatted message, for errors the SDK detects
// itself (closed handles, invalid arguments, undecodable values).
func errorf(code Code, format string, args ...any) *Error {
	return newError(code, fmt.Sprintf(format, args...))
}
