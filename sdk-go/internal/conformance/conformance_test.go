package conformance

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `# a comment
case insert_refuses_existing_key tags=file,txn
open memory
put 6b6579 182a => OK
insert 6b6579 01 => ALREADY_EXISTS   # trailing comment
t1: get 6b6579 => OK 182a
commit t1 => CLOSED|INVALID_HANDLE
scan => OK 6b31=01 6b32=02
get 61*3 => NOT_FOUND
end

case second
open file
end
`

func TestParseSample(t *testing.T) {
	cases, err := Parse("sample.nkc", strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 {
		t.Fatalf("got %d cases, want 2", len(cases))
	}
	c := cases[0]
	if c.Name != "insert_refuses_existing_key" || c.Line != 2 || !c.HasTag("txn") || !c.HasTag("file") || c.HasTag("large") {
		t.Fatalf("case header parsed wrong: %+v", c)
	}
	if len(c.Steps) != 7 {
		t.Fatalf("got %d steps, want 7", len(c.Steps))
	}
	open := c.Steps[0]
	if open.Op != "open" || len(open.Args) != 1 || open.Args[0] != "memory" || !open.Accepts("OK") || open.HasResult {
		t.Errorf("open step: %+v", open)
	}
	ins := c.Steps[2]
	if ins.Op != "insert" || !ins.Accepts("ALREADY_EXISTS") || ins.Accepts("OK") || ins.HasResult {
		t.Errorf("insert step: %+v", ins)
	}
	get := c.Steps[3]
	if get.Txn != "t1" || get.Op != "get" || get.Result != "182a" || !get.HasResult || get.Line != 6 {
		t.Errorf("txn get step: %+v", get)
	}
	commit := c.Steps[4]
	if !commit.Accepts("CLOSED") || !commit.Accepts("INVALID_HANDLE") || commit.Args[0] != "t1" {
		t.Errorf("commit step: %+v", commit)
	}
	if scan := c.Steps[5]; scan.Result != "6b31=01 6b32=02" {
		t.Errorf("scan result %q", scan.Result)
	}
	if got := c.Steps[3].String(); got != "t1: get 6b6579 => OK 182a" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		"put 01 02 => OK\n",                 // step outside a case
		"case a\nput 01 02 => OK\n",         // no end
		"end\n",                             // end without case
		"case a\ncase b\nend\n",             // nested case
		"case a tagz=x\nend\n",              // bad tags
		"case a\nput 01 02 =>\nend\n",       // => without a status
		"case a\nput 01 02 => OK||x\nend\n", // empty status
		"case a\nt1: => OK\nend\n",          // txn prefix without op
	} {
		if _, err := Parse("bad.nkc", strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		} else if !strings.HasPrefix(err.Error(), "bad.nkc:") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

func TestBytes(t *testing.T) {
	for arg, want := range map[string][]byte{
		`""`:     {},
		"6b6579": []byte("key"),
		"61*4":   []byte("aaaa"),
		"0001*2": {0, 1, 0, 1},
		"ff*0":   {},
	} {
		got, err := Bytes(arg)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Bytes(%q) = %x, %v; want %x", arg, got, err, want)
		}
	}
	for _, bad := range []string{"6", "zz", "6B", "61*x", "61*-1"} {
		if _, err := Bytes(bad); err == nil {
			t.Errorf("Bytes(%q) succeeded, want an error", bad)
		}
	}
	if big, _ := Bytes("61*4097"); len(big) != 4097 {
		t.Errorf("61*4097 gave %d bytes", len(big))
	}
	if Hex(nil) != `""` || Hex([]byte("k")) != "6b" {
		t.Error("Hex formats wrongly")
	}
}
