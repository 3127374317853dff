package nook

import (
	"errors"
	"strings"
	"testing"
)

func TestABICompatibility(t *testing.T) {
	for _, c := range []struct {
		major, minor, need uint32
		ok                 bool
	}{
		{ABIMajor, 0, 0, true},
		{ABIMajor, 3, 1, true},  // a newer minor has everything we call
		{ABIMajor, 0, 1, false}, // an older minor may lack functions
		{ABIMajor + 1, 0, 0, false},
		{ABIMajor - 1, 9, 0, false},
	} {
		err := abiCompatible(c.major, c.minor, c.need)
		if (err == nil) != c.ok {
			t.Errorf("abiCompatible(%d.%d, need minor %d) = %v, want ok=%v", c.major, c.minor, c.need, err, c.ok)
		}
		if err != nil && (!errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), "libnook.a")) {
			t.Errorf("incompatible ABI error %q is not INCOMPATIBLE or does not say what to link", err)
		}
	}
}
