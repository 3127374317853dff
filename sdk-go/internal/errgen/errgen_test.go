package errgen

import (
	"strings"
	"testing"
)

func TestParseAndName(t *testing.T) {
	rows, err := Parse([]byte(`# comment
[[error]]
code = 1
name = "NOT_FOUND"
since = "1.0"
meaning = "say \"what\" to do"

[[error]]
code = 9
name = "IO"
since = "1.0"
meaning = "m"
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != (Row{1, "NOT_FOUND", "1.0", `say "what" to do`}) || rows[1].Code != 9 {
		t.Fatalf("rows = %+v", rows)
	}
	for name, want := range map[string]string{"NOT_FOUND": "NotFound", "IO": "IO", "ALREADY_EXISTS": "Exists", "BUFFER_TOO_SMALL": "BufferTooSmall"} {
		if got := GoName(name); got != want {
			t.Errorf("GoName(%q) = %q, want %q", name, got, want)
		}
	}
	src, err := Render("nook", rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CodeNotFound Code = 1", "ErrIO = &Error{Code: CodeIO", "DO NOT EDIT"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("rendered source lacks %q", want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	row := func(code, name string) string {
		return "[[error]]\ncode = " + code + "\nname = \"" + name + "\"\nsince = \"1.0\"\nmeaning = \"m\"\n"
	}
	for what, src := range map[string]string{
		"empty":          "# nothing\n",
		"duplicate code": row("1", "A") + row("1", "B"),
		"duplicate name": row("1", "A") + row("2", "A"),
		"zero code":      row("0", "A"),
		"lower name":     row("1", "not_upper"),
		"unknown key":    row("1", "A") + "severity = \"high\"\n",
		"bare value":     "[[error]]\ncode = 1\nname = A\n",
		"outside table":  "code = 1\n",
		"missing since":  "[[error]]\ncode = 1\nname = \"A\"\nmeaning = \"m\"\n",
	} {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", what)
		}
	}
}
