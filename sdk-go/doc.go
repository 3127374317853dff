// Package nook is the Go SDK of Nook, an embedded key-value database: byte
// string keys, CBOR values, ACID transactions, one crash-safe file. It calls
// the Nook C library (libnook.a, linked statically) through cgo.
//
// # Quick start
//
//	db, err := nook.Open("app.nook") // or nook.OpenMemory()
//	if err != nil { ... }
//	defer db.Close()
//
//	err = db.PutValue([]byte("user:1"), User{Name: "Ada"})  // any Go value, as CBOR
//	err = db.GetValue([]byte("user:1"), &u)
//	if errors.Is(err, nook.ErrNotFound) { ... }
//
//	err = db.Write(func(tx *nook.Tx) error { ... })  // commit on nil, roll back on error or panic
//	err = db.View(func(tx *nook.Tx) error { ... })   // one consistent snapshot
//
// # Operations
//
// Single operations on a DB commit on their own: Get, GetInto, Has, Count,
// Put (insert or replace), Insert (only if absent, else ErrExists), Update
// (only if present, else ErrNotFound; not bbolt's Update, which is Write
// here), Delete. Apply commits a WriteBatch of puts and deletes in one call.
// Batch groups many goroutines' small transactions into one commit. Scan
// iterates over all pairs or a key prefix with range-over-func (optionally
// stopped by a context.Context with WithContext). Check,
// Stats, Compact, Backup and Sync manage the file.
//
// # Values
//
// A value is exactly one CBOR data item (RFC 8949); the library refuses
// anything else with ErrInvalidValue. The raw API takes and returns []byte;
// returned slices are copies owned by the caller, valid after the
// transaction ends. PutValue/GetValue (and Marshal/Unmarshal) encode Go values
// with fxamacker/cbor in the core deterministic encoding, so Rust, Dart and
// the CLI read the same bytes. GetInto reads into a caller buffer without
// allocating, for hot paths.
//
// # Errors
//
// Every error is an *Error with a stable Code, its Name (as in
// spec/errors.toml) and a Message that says what to do. Match kinds with
// errors.Is against the sentinels ErrNotFound, ErrExists, ErrInvalidArgument,
// ErrInvalidValue, ErrKeyTooLarge, ErrValueTooLarge, ErrLocked, ErrCorrupted,
// ErrIO, ErrReadOnly, ErrBusy, ErrClosed, ErrIncompatible, ErrDiskFull,
// ErrInternal, ErrInvalidHandle and ErrBufferTooSmall, which are generated
// from spec/errors.toml. An error the operating system reported keeps its
// errno in Error.Errno and unwraps to it: errors.Is(err, syscall.ENOSPC).
//
// # Concurrency and lifetime
//
// A DB and a Tx may be used from any goroutine; nothing needs
// runtime.LockOSThread (the C ABI keeps no thread-local state). Readers never
// block the writer and the writer never blocks readers; one write
// transaction runs at a time, and other writers wait for it (see
// BusyTimeout, 30 s by default). Another process holding the file makes Open fail at once
// with ErrLocked. After Close, every call returns ErrClosed, never a crash;
// transactions still open are ended by Close. Finalizers close a leaked DB
// and roll back a leaked Tx, but explicit Close/Commit/Rollback is the rule.
//
// # Map of the package
//
//   - db.go: DB, Open/OpenMemory/Close, the auto-commit operations.
//   - tx.go: Tx, View/Write/Begin, the operations inside a transaction.
//   - scan.go: Scan, batched iteration (many pairs per cgo call).
//   - batch.go: Batch, the leader/follower group commit.
//   - admin.go: Check, Stats, Compact, Backup, WriteBatch/Apply.
//   - value.go: CBOR Marshal/Unmarshal/Valid.
//   - errors.go, errors_gen.go (generated): Error, Code and the sentinels.
//   - options.go: Option values for Open.
//   - native.go, native_cgo.go: every call into the C library; native_nocgo.go
//     replaces it without cgo with an error that says how to build.
//   - link*.go: where the static library comes from: the library module of
//     the platform (lib/<GOOS>_<GOARCH>), or -tags nook_external (see link.go).
//
// Data flow of a call: the public method loads the handle (ErrClosed when
// closed), calls its native* function, which passes Go memory to C for the
// duration of the call only, copies results into Go memory and turns a
// non-zero status plus the call's ERROR handle into an *Error.
package nook
