package nook

// The native layer: every call into the C library goes through the
// native* functions, implemented with cgo in native_cgo.go and, for builds
// without cgo, by native_nocgo.go, which fails every call with an error that
// says how to build with cgo. Everything else in the package is plain Go.
//
// Contract of the native* functions: they copy what they return into Go
// memory, keep no Go pointer after returning, and turn every non-OK status
// into an *Error carrying the library's code and message.

// target is the receiver of a data operation: a database handle (the
// operation auto-commits) or a transaction handle; the C ABI takes either.
type target struct {
	h uint64
}

// writeOp selects put, insert or update.
type writeOp uint8

const (
	opPut writeOp = iota
	opInsert
	opUpdate
)

func (op writeOp) String() string {
	switch op {
	case opInsert:
		return "insert"
	case opUpdate:
		return "update"
	default:
		return "put"
	}
}

// ABIMajor is the major version of the C ABI this package is written
// against. Open refuses a library of another major version with
// ErrIncompatible; a newer minor version is accepted.
const ABIMajor = 1

// abiCompatible decides whether a library of ABI version major.minor can serve
// this package, compiled against a header of minor needMinor: the same major
// (spec/versioning.md), and at least the minor whose functions it calls.
func abiCompatible(major, minor, needMinor uint32) error {
	if major == ABIMajor && minor >= needMinor {
		return nil
	}
	return errorf(CodeIncompatible,
		"the linked Nook library has ABI version %d.%d but this Go package needs %d.%d or a later %d.x; "+
			"link the libnook.a built from the same Nook release as this package",
		major, minor, ABIMajor, needMinor, ABIMajor)
}
