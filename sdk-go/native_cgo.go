//go:build cgo

package nook

// The cgo layer: one Go function per use of a C ABI function (spec/abi.md).
//
// The header: inside the repository, abi/include/nook.h itself (first on the
// include path); in a downloaded module, which has no ../abi, the module's
// copy include/nook.h.
//
// Rules kept here:
//   - Go memory is passed only for the duration of a call (keys, values,
//     caller buffers, out-variables); the library copies what it keeps, so no
//     Go pointer is retained by C. The noescape/nocallback directives tell the
//     compiler exactly that, which keeps out-variables on the stack.
//   - Every failure's detail comes back through the failing call's ERROR
//     out-handle (no thread-local state, so no runtime.LockOSThread); it is
//     read and closed at once.
//   - Library-owned memory is never handed to the caller: values are copied
//     into Go slices.

/*
#cgo CFLAGS: -I${SRCDIR}/../abi/include -I${SRCDIR}/include
#cgo noescape nook_get
#cgo nocallback nook_get
#cgo noescape nook_contains
#cgo nocallback nook_contains
#cgo noescape nook_count
#cgo nocallback nook_count
#cgo noescape nook_put
#cgo nocallback nook_put
#cgo noescape nook_insert
#cgo nocallback nook_insert
#cgo noescape nook_update
#cgo nocallback nook_update
#cgo noescape nook_delete
#cgo nocallback nook_delete
#cgo noescape nook_write_batch
#cgo nocallback nook_write_batch
#cgo noescape nook_begin_read
#cgo nocallback nook_begin_read
#cgo noescape nook_begin_write
#cgo nocallback nook_begin_write
#cgo noescape nook_txn_commit
#cgo nocallback nook_txn_commit
#cgo noescape nook_cursor_open
#cgo nocallback nook_cursor_open
#cgo noescape nook_cursor_next
#cgo nocallback nook_cursor_next
#cgo noescape nook_error_message
#cgo nocallback nook_error_message
#cgo noescape nook_error_os_code
#cgo nocallback nook_error_os_code
#include <stdlib.h>
#include "nook.h"
*/
import "C"

import (
	"encoding/binary"
	"sync"
	"syscall"
	"unsafe"
)

// bytesPtr is the address of b's first byte, or nil for an empty slice (the
// ABI accepts NULL with length 0).
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b)))
}

func stringPtr(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s)))
}

// failure turns a non-OK status and its ERROR handle (0 when the call made
// none) into an *Error, closing the handle.
func failure(status C.int32_t, errh C.uint64_t) error {
	if status == C.NOOK_OK {
		return nil
	}
	code := Code(status)
	message, errno := takeError(errh)
	if code.sentinel() == nil {
		return unknownCode(code, message, errno)
	}
	// An empty message makes newError use the code's meaning, as the ABI's
	// nook_code_message would.
	e := newError(code, message)
	e.Errno = errno
	return e
}

// takeError copies the message and the operating system's error code of an
// ERROR handle and closes it; "" and 0 for no handle.
func takeError(errh C.uint64_t) (string, syscall.Errno) {
	if errh == 0 {
		return "", 0
	}
	defer C.nook_error_close(errh)
	var osCode C.int32_t
	if C.nook_error_os_code(errh, &osCode) != C.NOOK_OK || osCode < 0 {
		osCode = 0
	}
	return takeMessage(errh), syscall.Errno(osCode)
}

// takeMessage copies the message of an open ERROR handle.
func takeMessage(errh C.uint64_t) string {
	var n C.size_t
	if C.nook_error_message(errh, nil, 0, &n) != C.NOOK_BUFFER_TOO_SMALL {
		return "" // an empty message
	}
	msg := make([]byte, int(n))
	if C.nook_error_message(errh, bytesPtr(msg), n, &n) != C.NOOK_OK {
		return ""
	}
	return string(msg[:int(n)])
}

// The header this package is compiled against must be of its ABI major:
// either array length below is negative (a compile error) otherwise.
var (
	_ [ABIMajor - C.NOOK_ABI_VERSION_MAJOR]struct{}
	_ [C.NOOK_ABI_VERSION_MAJOR - ABIMajor]struct{}
)

// unknownCode reports a code this package's table lacks (a newer library
// may append codes): its number, with the library's name and message for it.
func unknownCode(code Code, message string, errno syscall.Errno) error {
	e := newError(code, message)
	e.Errno = errno
	var text *C.uint8_t
	var n C.size_t
	if C.nook_code_name(C.int32_t(code), &text, &n) == C.NOOK_OK {
		e.Name = C.GoStringN((*C.char)(unsafe.Pointer(text)), C.int(n))
	}
	if e.Message == "" && C.nook_code_message(C.int32_t(code), &text, &n) == C.NOOK_OK {
		e.Message = C.GoStringN((*C.char)(unsafe.Pointer(text)), C.int(n))
	}
	if e.Message == "" {
		e.Message = "an error this version of the Go package does not know; upgrade it"
	}
	return e
}

var abiCheck struct {
	once sync.Once
	err  error
}

// checkABIVersion refuses a library whose ABI major differs from the one this
// package was written for, or whose minor is older than the header's.
func checkABIVersion() error {
	abiCheck.once.Do(func() {
		var major, minor C.uint32_t
		if st := C.nook_abi_version(&major, &minor); st != C.NOOK_OK {
			abiCheck.err = newError(Code(st), "nook_abi_version failed")
			return
		}
		abiCheck.err = abiCompatible(uint32(major), uint32(minor), uint32(C.NOOK_ABI_VERSION_MINOR))
	})
	return abiCheck.err
}

// LibraryABIVersion returns the ABI version (major, minor) of the linked C
// library.
func LibraryABIVersion() (major, minor uint32) {
	var ma, mi C.uint32_t
	C.nook_abi_version(&ma, &mi)
	return uint32(ma), uint32(mi)
}

func openFlags(o *options) C.uint32_t {
	var f C.uint32_t
	if o.create {
		f |= C.NOOK_OPEN_CREATE
	}
	if o.readOnly {
		f |= C.NOOK_OPEN_READ_ONLY
	}
	if o.relaxed {
		f |= C.NOOK_OPEN_RELAXED
	}
	return f
}

func nativeOpen(path string, o *options) (uint64, error) {
	var db, errh C.uint64_t
	st := C.nook_open(stringPtr(path), C.size_t(len(path)), openFlags(o), C.uint64_t(o.cacheBytes), 0,
		C.uint32_t(o.busyTimeoutMs), &db, &errh)
	return uint64(db), failure(st, errh)
}

func nativeOpenMemory(o *options) (uint64, error) {
	var db, errh C.uint64_t
	st := C.nook_open_memory(C.uint64_t(o.cacheBytes), 0, C.uint32_t(o.busyTimeoutMs), &db, &errh)
	return uint64(db), failure(st, errh)
}

func nativeClose(db uint64) error {
	return failure(C.nook_close(C.uint64_t(db)), 0)
}

func nativeBegin(db uint64, write bool) (uint64, error) {
	var txn, errh C.uint64_t
	var st C.int32_t
	if write {
		st = C.nook_begin_write(C.uint64_t(db), &txn, &errh)
	} else {
		st = C.nook_begin_read(C.uint64_t(db), &txn, &errh)
	}
	return uint64(txn), failure(st, errh)
}

func nativeEnd(txn uint64, writable, commit bool) error {
	if commit {
		var errh C.uint64_t
		return failure(C.nook_txn_commit(C.uint64_t(txn), &errh), errh)
	}
	return failure(C.nook_txn_rollback(C.uint64_t(txn)), 0)
}

// getStackBuf is the size of the on-stack buffer a Get reads into first:
// most values fit, so a Get is one C call and one exact-size allocation (the
// buffer stays on the stack because nook_get is declared noescape).
const getStackBuf = 512

func errKeyNotFound() error {
	return errorf(CodeNotFound, "the key is not in the database")
}

func nativeGet(t target, key []byte) ([]byte, error) {
	var stack [getStackBuf]byte
	n, err := nativeGetInto(t, key, stack[:])
	if err == nil {
		// append copies without first zeroing the new slice.
		return append([]byte(nil), stack[:n]...), nil
	}
	// A larger value: read it straight into an exact-size slice (again if it
	// grew between two calls).
	for {
		if e, ok := err.(*Error); !ok || e.Code != CodeBufferTooSmall {
			return nil, err
		}
		buf := make([]byte, n)
		if n, err = nativeGetInto(t, key, buf); err == nil {
			return buf[:n], nil
		}
	}
}

func nativeGetInto(t target, key, buf []byte) (int, error) {
	var n C.size_t
	var errh C.uint64_t
	st := C.nook_get(C.uint64_t(t.h), bytesPtr(key), C.size_t(len(key)), bytesPtr(buf), C.size_t(len(buf)), &n, &errh)
	switch st {
	case C.NOOK_OK:
		return int(n), nil
	case C.NOOK_NOT_FOUND:
		return 0, errKeyNotFound()
	case C.NOOK_BUFFER_TOO_SMALL:
		return int(n), errorf(CodeBufferTooSmall, "the value is %d bytes but the buffer holds %d; pass a buffer of at least %d bytes", int(n), len(buf), int(n))
	}
	return 0, failure(st, errh)
}

func nativeHas(t target, key []byte) (bool, error) {
	var found C.uint32_t
	var errh C.uint64_t
	st := C.nook_contains(C.uint64_t(t.h), bytesPtr(key), C.size_t(len(key)), &found, &errh)
	return found != 0, failure(st, errh)
}

func nativeCount(t target) (uint64, error) {
	var n, errh C.uint64_t
	st := C.nook_count(C.uint64_t(t.h), &n, &errh)
	return uint64(n), failure(st, errh)
}

func nativeWrite(t target, op writeOp, key, value []byte) error {
	var errh C.uint64_t
	var st C.int32_t
	k, kl, v, vl := bytesPtr(key), C.size_t(len(key)), bytesPtr(value), C.size_t(len(value))
	switch op {
	case opInsert:
		st = C.nook_insert(C.uint64_t(t.h), k, kl, v, vl, &errh)
	case opUpdate:
		st = C.nook_update(C.uint64_t(t.h), k, kl, v, vl, &errh)
	default:
		st = C.nook_put(C.uint64_t(t.h), k, kl, v, vl, &errh)
	}
	return failure(st, errh)
}

func nativeDelete(t target, key []byte) (bool, error) {
	var existed C.uint32_t
	var errh C.uint64_t
	st := C.nook_delete(C.uint64_t(t.h), bytesPtr(key), C.size_t(len(key)), &existed, &errh)
	return existed != 0, failure(st, errh)
}

func nativeApply(h uint64, b *WriteBatch) error {
	size := 0
	for _, op := range b.ops {
		size += C.NOOK_BATCH_HEADER_LEN + len(op.key) + len(op.value)
	}
	rec := make([]byte, 0, size)
	for _, op := range b.ops {
		kind := byte(C.NOOK_BATCH_PUT)
		if op.value == nil {
			kind = C.NOOK_BATCH_DELETE
		}
		rec = append(rec, kind)
		rec = binary.LittleEndian.AppendUint32(rec, uint32(len(op.key)))
		rec = binary.LittleEndian.AppendUint32(rec, uint32(len(op.value)))
		rec = append(rec, op.key...)
		rec = append(rec, op.value...)
	}
	var errh C.uint64_t
	st := C.nook_write_batch(C.uint64_t(h), bytesPtr(rec), C.size_t(len(rec)), &errh)
	return failure(st, errh)
}

func nativeSync(db uint64) error {
	var errh C.uint64_t
	return failure(C.nook_sync(C.uint64_t(db), &errh), errh)
}

func nativeCheck(db uint64) (CheckReport, error) {
	var pages, keys, errh C.uint64_t
	st := C.nook_check(C.uint64_t(db), &pages, &keys, &errh)
	return CheckReport{PagesChecked: uint64(pages), KeysChecked: uint64(keys)}, failure(st, errh)
}

func nativeStats(db uint64) (Stats, error) {
	var f [C.NOOK_STATS_LEN]C.uint64_t
	var avail C.size_t
	var errh C.uint64_t
	st := C.nook_stats(C.uint64_t(db), &f[0], C.size_t(len(f)), &avail, &errh)
	if err := failure(st, errh); err != nil {
		return Stats{}, err
	}
	return Stats{
		KeyCount:      uint64(f[C.NOOK_STAT_KEY_COUNT]),
		TxID:          uint64(f[C.NOOK_STAT_TXID]),
		PageSize:      uint32(f[C.NOOK_STAT_PAGE_SIZE]),
		PageCount:     uint64(f[C.NOOK_STAT_PAGE_COUNT]),
		FreePages:     uint64(f[C.NOOK_STAT_FREE_PAGES]),
		FileSize:      uint64(f[C.NOOK_STAT_FILE_SIZE]),
		TreeDepth:     uint32(f[C.NOOK_STAT_TREE_DEPTH]),
		InnerPages:    uint64(f[C.NOOK_STAT_INNER_PAGES]),
		LeafPages:     uint64(f[C.NOOK_STAT_LEAF_PAGES]),
		OverflowPages: uint64(f[C.NOOK_STAT_OVERFLOW_PAGES]),
		CacheCapacity: uint64(f[C.NOOK_STAT_CACHE_CAPACITY]),
		CacheUsed:     uint64(f[C.NOOK_STAT_CACHE_USED]),
		CacheHits:     uint64(f[C.NOOK_STAT_CACHE_HITS]),
		CacheMisses:   uint64(f[C.NOOK_STAT_CACHE_MISSES]),
	}, nil
}

func nativeCompact(db uint64) (CompactReport, error) {
	var before, after, errh C.uint64_t
	st := C.nook_compact(C.uint64_t(db), &before, &after, &errh)
	return CompactReport{SizeBefore: uint64(before), SizeAfter: uint64(after)}, failure(st, errh)
}

func nativeBackup(db uint64, path string) error {
	var errh C.uint64_t
	st := C.nook_backup(C.uint64_t(db), stringPtr(path), C.size_t(len(path)), &errh)
	return failure(st, errh)
}

func nativeCursorOpen(t target, prefix []byte) (uint64, error) {
	var cur, errh C.uint64_t
	st := C.nook_cursor_open(C.uint64_t(t.h), bytesPtr(prefix), C.size_t(len(prefix)), &cur, &errh)
	return uint64(cur), failure(st, errh)
}

func nativeCursorClose(cur uint64) error {
	return failure(C.nook_cursor_close(C.uint64_t(cur)), 0)
}

// nativeCursorNext fetches the next pairs of the cursor into *scratch (grown
// when a single pair does not fit) and returns copies: one allocation per
// batch, sliced into keys and values. done is set when the cursor is at its
// end (no pairs returned).
func nativeCursorNext(cur uint64, scratch *[]byte) (keys, values [][]byte, done bool, err error) {
	for {
		buf := *scratch
		var count, used C.size_t
		var errh C.uint64_t
		st := C.nook_cursor_next(C.uint64_t(cur), bytesPtr(buf), C.size_t(len(buf)), &count, &used, &errh)
		if st == C.NOOK_BUFFER_TOO_SMALL {
			*scratch = make([]byte, int(used))
			continue
		}
		if err := failure(st, errh); err != nil {
			return nil, nil, false, err
		}
		if count == 0 {
			return nil, nil, true, nil
		}
		data := append([]byte(nil), buf[:int(used)]...) // no zeroing before the copy
		n := int(count)
		keys, values = make([][]byte, 0, n), make([][]byte, 0, n)
		for off := 0; off < len(data); {
			if len(data)-off < C.NOOK_RECORD_HEADER_LEN {
				return nil, nil, false, errorf(CodeInternal, "nook_cursor_next returned a truncated record at byte %d; this is a bug in Nook, please report it", off)
			}
			kl := int(binary.LittleEndian.Uint32(data[off:]))
			vl := int(binary.LittleEndian.Uint32(data[off+4:]))
			off += C.NOOK_RECORD_HEADER_LEN
			if kl+vl > len(data)-off {
				return nil, nil, false, errorf(CodeInternal, "nook_cursor_next returned a record longer than its batch at byte %d; this is a bug in Nook, please report it", off)
			}
			// Full slice expressions: an append to one key cannot overwrite
			// the next value.
			keys = append(keys, data[off:off+kl:off+kl])
			values = append(values, data[off+kl:off+kl+vl:off+kl+vl])
			off += kl + vl
		}
		if len(keys) != n {
			return nil, nil, false, errorf(CodeInternal, "nook_cursor_next reported %d pairs but packed %d; this is a bug in Nook, please report it", n, len(keys))
		}
		return keys, values, false, nil
	}
}

// handleCount is the number of handles open in the process (every kind); the
// tests use it to prove that no call leaks one (an ERROR handle not closed, a
// cursor left open by a broken-off loop).
func handleCount() uint64 {
	var n C.uint64_t
	C.nook_handle_count(&n)
	return uint64(n)
}
