// Package conformance reads the shared conformance cases of
// spec/conformance/*.nkc (format: spec/conformance/README.md) into Cases and
// Steps. It knows the file format only; running a step against a database is
// the runner's job (conformance_test.go in package nook).
package conformance

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Case is one `case NAME ... end` block.
type Case struct {
	Name  string
	Tags  []string
	File  string // base name of the .nkc file
	Line  int    // line of the `case` line
	Steps []Step
}

// HasTag reports whether the case carries tag.
func (c *Case) HasTag(tag string) bool {
	for _, t := range c.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Step is one operation and what it must produce.
type Step struct {
	Line int
	Txn  string   // transaction name from a "NAME:" prefix, or "" for the database
	Op   string   // e.g. "put", "begin_write", "scan"
	Args []string // raw arguments (byte strings are decoded with Bytes)
	// Statuses lists the accepted outcomes: "OK" or error NAMEs. A step
	// written without "=>" expects OK.
	Statuses []string
	// Result is the expected result text when HasResult is set; otherwise
	// the result is not checked.
	Result    string
	HasResult bool
}

// Accepts reports whether status (OK or an error NAME) is one of the
// expected statuses.
func (s *Step) Accepts(status string) bool {
	for _, want := range s.Statuses {
		if want == status {
			return true
		}
	}
	return false
}

// String gives the step back in the file's syntax, for failure messages.
func (s *Step) String() string {
	var b strings.Builder
	if s.Txn != "" {
		b.WriteString(s.Txn + ": ")
	}
	b.WriteString(s.Op)
	for _, a := range s.Args {
		b.WriteString(" " + a)
	}
	b.WriteString(" => " + strings.Join(s.Statuses, "|"))
	if s.HasResult {
		b.WriteString(" " + s.Result)
	}
	return b.String()
}

// LoadDir parses every *.nkc file of dir in sorted order.
func LoadDir(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.nkc"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all []Case
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		cases, err := Parse(filepath.Base(path), f)
		f.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, cases...)
	}
	return all, nil
}

// Parse reads the cases of one file; name is used in error messages.
func Parse(name string, r io.Reader) ([]Case, error) {
	var cases []Case
	var cur *Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, lineNo, fmt.Sprintf(format, args...))
		}
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case trimmed == "case" || strings.HasPrefix(trimmed, "case "):
			if cur != nil {
				return nil, fail("case %q starts before case %q has its end", trimmed, cur.Name)
			}
			fields := strings.Fields(trimmed)
			if len(fields) < 2 || len(fields) > 3 {
				return nil, fail("expected `case NAME [tags=a,b]`")
			}
			cur = &Case{Name: fields[1], File: name, Line: lineNo}
			if len(fields) == 3 {
				tags, ok := strings.CutPrefix(fields[2], "tags=")
				if !ok || tags == "" {
					return nil, fail("expected tags=a,b after the case name, got %q", fields[2])
				}
				cur.Tags = strings.Split(tags, ",")
			}
		case trimmed == "end":
			if cur == nil {
				return nil, fail("end without case")
			}
			cases = append(cases, *cur)
			cur = nil
		default:
			if cur == nil {
				return nil, fail("step outside a case: %q", trimmed)
			}
			step, err := parseStep(trimmed)
			if err != nil {
				return nil, fail("%v", err)
			}
			step.Line = lineNo
			cur.Steps = append(cur.Steps, step)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: case %q has no end", name, cur.Line, cur.Name)
	}
	return cases, nil
}

func parseStep(line string) (Step, error) {
	// A trailing comment is " #..."; '#' cannot occur in a step otherwise.
	if i := strings.Index(line, " #"); i >= 0 {
		line = strings.TrimRight(line[:i], " \t")
	}
	var step Step
	left, expect, hasExpect := strings.Cut(line, " => ")
	if !hasExpect {
		if strings.HasSuffix(line, " =>") || strings.Contains(line, "=>") {
			return step, fmt.Errorf("`=>` must be followed by a status: %q", line)
		}
		left = line
	}
	fields := strings.Fields(left)
	if len(fields) == 0 {
		return step, fmt.Errorf("empty step")
	}
	if strings.HasSuffix(fields[0], ":") {
		step.Txn = strings.TrimSuffix(fields[0], ":")
		fields = fields[1:]
		if step.Txn == "" || len(fields) == 0 {
			return step, fmt.Errorf("expected `TXN: op args`")
		}
	}
	step.Op, step.Args = fields[0], fields[1:]
	if !hasExpect {
		step.Statuses = []string{"OK"}
		return step, nil
	}
	statuses, result, hasResult := strings.Cut(expect, " ")
	step.Statuses = strings.Split(statuses, "|")
	for _, s := range step.Statuses {
		if s == "" {
			return step, fmt.Errorf("empty status in %q", statuses)
		}
	}
	step.Result, step.HasResult = result, hasResult
	return step, nil
}

// Bytes decodes a byte-string argument: lowercase hex, `""` for the empty
// string, or `HEX*N` for the bytes of HEX repeated N times.
func Bytes(arg string) ([]byte, error) {
	if arg == `""` {
		return []byte{}, nil
	}
	unit, repeat := arg, 1
	if u, n, ok := strings.Cut(arg, "*"); ok {
		count, err := strconv.Atoi(n)
		if err != nil || count < 0 {
			return nil, fmt.Errorf("bad repeat count in %q", arg)
		}
		unit, repeat = u, count
	}
	if unit == `""` {
		return []byte{}, nil
	}
	if strings.ToLower(unit) != unit {
		return nil, fmt.Errorf("hex must be lowercase: %q", arg)
	}
	b, err := hex.DecodeString(unit)
	if err != nil {
		return nil, fmt.Errorf("bad hex %q: %v", arg, err)
	}
	return bytes.Repeat(b, repeat), nil
}

// Hex formats bytes the way results are written: lowercase hex, `""` when
// empty.
func Hex(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	return hex.EncodeToString(b)
}
