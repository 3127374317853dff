package nook

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestMarshalIsCoreDeterministic(t *testing.T) {
	// Map keys sorted bytewise by their encoding, shortest integer forms.
	got, err := Marshal(map[string]any{"b": 1, "a": uint64(500), "aa": -1})
	if err != nil {
		t.Fatal(err)
	}
	// {"a": 500, "b": 1, "aa": -1}: keys ordered a (61 61), b (61 62), aa (62 61 61).
	want, _ := hex.DecodeString("a3" + "6161" + "1901f4" + "6162" + "01" + "626161" + "20")
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal = %x, want %x", got, want)
	}
	again, _ := Marshal(map[string]any{"aa": -1, "a": uint64(500), "b": 1})
	if !bytes.Equal(got, again) {
		t.Fatal("equal maps encoded differently")
	}
	if b, _ := Marshal(42); hex.EncodeToString(b) != "182a" {
		t.Fatalf("42 encoded as %x, want 182a", b)
	}
}

type user struct {
	Name  string   `cbor:"name"`
	Age   int      `cbor:"age"`
	Tags  []string `cbor:"tags,omitempty"`
	Admin bool     `cbor:"admin"`
}

func TestMarshalRoundTrip(t *testing.T) {
	in := user{Name: "Ada", Age: 36, Tags: []string{"math"}, Admin: true}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !Valid(b) {
		t.Fatal("Marshal output is not valid CBOR")
	}
	var out user
	if err := Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Name != in.Name || out.Age != in.Age || len(out.Tags) != 1 || !out.Admin {
		t.Fatalf("round trip gave %+v", out)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	var s string
	for name, data := range map[string]string{
		"truncated":      "18",
		"trailing bytes": "0101",
		"wrong type":     "182a",
		"bad utf8":       "61ff",
		"duplicate key":  "a2616101616102",
		"empty":          "",
	} {
		b, _ := hex.DecodeString(data)
		var err error
		if name == "duplicate key" {
			var m map[string]int
			err = Unmarshal(b, &m)
		} else {
			err = Unmarshal(b, &s)
		}
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: Unmarshal error %v, want INVALID_VALUE", name, err)
		}
	}
	if _, err := Marshal(make(chan int)); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Marshal(chan) error %v, want INVALID_VALUE", err)
	}
	if Valid([]byte{0x18}) || !Valid([]byte{0xf6}) {
		t.Error("Valid misjudges")
	}
}

// FuzzUnmarshal: no input makes decoding panic, and what decodes re-encodes.
// `go test` runs the seeds; `go test -fuzz FuzzUnmarshal` explores.
func FuzzUnmarshal(f *testing.F) {
	for _, seed := range []string{"182a", "a26161016162820203", "9f01ff", "d8185818", "5f4101ff", "fb3ff0000000000000", "61ff", "18"} {
		b, _ := hex.DecodeString(seed)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if err := Unmarshal(data, &v); err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("Unmarshal error %v is not INVALID_VALUE", err)
			}
			return
		}
		if !Valid(data) {
			t.Fatalf("Unmarshal accepted %x but Valid rejects it", data)
		}
		if _, err := Marshal(v); err != nil {
			t.Fatalf("a decoded %T does not re-encode: %v", v, err)
		}
	})
}
