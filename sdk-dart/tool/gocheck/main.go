// Command gocheck re-encodes every shared CBOR vector
// (sdk-dart/test/vectors/cbor.txt) with fxamacker/cbor in core deterministic
// mode, the encoding of the Go SDK, and fails unless the bytes come out
// unchanged: Go agrees with the Dart and Rust codecs on the canonical form.
//
// Usage: go run . [path/to/cbor.txt]
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

func main() {
	path := "../../test/vectors/cbor.txt"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()

	// Tag 1 (epoch time) decodes to time.Time; keep the tag on the way back.
	opts := cbor.CoreDetEncOptions()
	opts.TimeTag = cbor.EncTagRequired
	enc, err := opts.EncMode()
	if err != nil {
		panic(err)
	}
	dec, err := cbor.DecOptions{
		MapKeyByteString: cbor.MapKeyByteStringAllowed,
		IntDec:           cbor.IntDecConvertNone,
	}.DecMode()
	if err != nil {
		panic(err)
	}

	checked, failed := 0, 0
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		want, _, _ := strings.Cut(text, " ")
		raw, err := hex.DecodeString(want)
		if err != nil {
			fmt.Printf("line %d: bad hex: %v\n", line, err)
			failed++
			continue
		}
		var v interface{}
		if err := dec.Unmarshal(raw, &v); err != nil {
			fmt.Printf("line %d: %s does not decode: %v\n", line, want, err)
			failed++
			continue
		}
		got, err := enc.Marshal(v)
		if err != nil {
			fmt.Printf("line %d: %s does not re-encode: %v\n", line, want, err)
			failed++
			continue
		}
		if !bytes.Equal(got, raw) {
			fmt.Printf("line %d: %s re-encodes as %x\n", line, want, got)
			failed++
			continue
		}
		checked++
	}
	fmt.Printf("go cbor vectors: %d passed, %d failed\n", checked, failed)
	if failed > 0 || checked == 0 {
		os.Exit(1)
	}
}
