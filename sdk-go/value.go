package nook

import (
	"github.com/fxamacker/cbor/v2"
)

// Values are CBOR data items (RFC 8949). The raw API stores and returns the
// bytes; these helpers convert Go values with fxamacker/cbor:
//
//   - encoding uses the core deterministic encoding (RFC 8949 §4.2.1:
//     shortest integer and length forms, map keys sorted bytewise, no
//     indefinite lengths), so equal Go values always give equal bytes, which
//     other front ends (Rust, Dart, the CLI) decode identically;
//   - decoding accepts any well-formed item the engine accepts (it validates
//     every value on write), with the engine's nesting limit, and rejects
//     duplicate map keys and invalid UTF-8 text.
var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

// maxNesting is the engine's limit on nested arrays, maps and tags
// (engine/src/cbor.rs MAX_NESTING), so every stored value decodes.
const maxNesting = 512

// maxValueLen is the engine's limit on a value's length (64 MiB). No array or
// map in a valid value can have more elements than it has bytes.
const maxValueLen = 64 << 20

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic("nook: CBOR encoder options: " + err.Error())
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  maxNesting,
		MaxArrayElements: maxValueLen,
		MaxMapPairs:      maxValueLen,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic("nook: CBOR decoder options: " + err.Error())
	}
}

// Marshal encodes v as one CBOR data item in the core deterministic encoding.
// Struct fields follow fxamacker/cbor's rules (the `cbor` struct tag, or
// `json` when absent; `toarray` and `keyasint` are supported).
// A value that cannot be encoded (a channel, a func) gives an INVALID_VALUE
// error.
func Marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, errorf(CodeInvalidValue, "could not encode the %T as CBOR: %v", v, err)
	}
	return b, nil
}

// Unmarshal decodes the CBOR data item in data into the value out points to.
// Bytes that are not exactly one well-formed item, or an item that does not
// fit out's type, give an INVALID_VALUE error.
func Unmarshal(data []byte, out any) error {
	if err := decMode.Unmarshal(data, out); err != nil {
		return errorf(CodeInvalidValue, "could not decode the stored CBOR value into %T: %v", out, err)
	}
	return nil
}

// Valid reports whether data is exactly one well-formed CBOR data item by
// this package's decoding rules, without decoding it.
func Valid(data []byte) bool {
	return decMode.Wellformed(data) == nil
}
