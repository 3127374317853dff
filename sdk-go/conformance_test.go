//go:build cgo

package nook

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nook-db/nook/sdk-go/internal/conformance"
)

// conformanceDir holds the shared cases (relative to sdk-go; the
// NOOK_CONFORMANCE_DIR environment variable overrides it).
var conformanceDir = envOr("NOOK_CONFORMANCE_DIR", "../spec/conformance")

// TestConformance runs every case of spec/conformance/*.nkc, each on a fresh
// database, as a subtest. When NOOK_CONFORMANCE_SUMMARY names a file, the
// summary line "go: N passed, M failed" is written there (conformance.sh
// prints it).
func TestConformance(t *testing.T) {
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skipf("%s not found: the module is used outside the Nook repository", conformanceDir)
	}
	cases, err := conformance.LoadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	passed, failed := 0, 0
	for _, c := range cases {
		ok := t.Run(c.Name, func(t *testing.T) {
			handles := handleCount()
			r := &caseRunner{dir: t.TempDir(), txs: map[string]*Tx{}}
			for i := range c.Steps {
				if err := r.step(&c.Steps[i]); err != nil {
					r.cleanup()
					t.Fatalf("%s:%d: %s: %v", c.File, c.Steps[i].Line, c.Steps[i].String(), err)
				}
			}
			r.cleanup()
			// Finalizers of earlier tests may close handles meanwhile, so
			// only an increase is a leak.
			if after := handleCount(); after > handles {
				t.Fatalf("%s:%d: the case leaked %d handles", c.File, c.Line, after-handles)
			}
		})
		if ok {
			passed++
		} else {
			failed++
		}
	}
	summary := fmt.Sprintf("go: %d passed, %d failed", passed, failed)
	t.Log(summary)
	if path := os.Getenv("NOOK_CONFORMANCE_SUMMARY"); path != "" {
		if err := os.WriteFile(path, []byte(summary+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// caseRunner holds the state of one case: its database and named
// transactions.
type caseRunner struct {
	dir  string
	path string // the case's file, once `open file` ran
	db   *DB
	txs  map[string]*Tx
}

func (r *caseRunner) cleanup() {
	for _, tx := range r.txs {
		tx.Rollback()
	}
	if r.db != nil {
		r.db.Close()
	}
}

// step runs one step and compares its status and result with the
// expectation.
func (r *caseRunner) step(s *conformance.Step) error {
	result, err := r.run(s)
	if errors.Is(err, errBadStep) {
		return err
	}
	status := "OK"
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return fmt.Errorf("non-Nook error %v", err)
		}
		status = e.Name
	}
	if !s.Accepts(status) {
		if err != nil {
			return fmt.Errorf("got %s (%v), want %s", status, err, strings.Join(s.Statuses, "|"))
		}
		return fmt.Errorf("got OK, want %s", strings.Join(s.Statuses, "|"))
	}
	want, check := s.Result, s.HasResult
	if s.Op == "scan" && !check {
		want, check = "", true // `scan => OK` expects no pairs
	}
	if check && status == "OK" && result != want {
		return fmt.Errorf("got result %q, want %q", result, want)
	}
	return nil
}

var errBadStep = errors.New("malformed step")

func badStep(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadStep, fmt.Sprintf(format, args...))
}

// target is what a step without a txn prefix acts on (the database) or the
// named transaction.
type stepTarget interface {
	Get([]byte) ([]byte, error)
	Has([]byte) (bool, error)
	Count() (uint64, error)
	Put(k, v []byte) error
	Insert(k, v []byte) error
	Update(k, v []byte) error
	Delete([]byte) (bool, error)
	Apply(*WriteBatch) error
	Scan([]byte) *Scan
}

func (r *caseRunner) run(s *conformance.Step) (string, error) {
	arg := func(i int) ([]byte, error) {
		if i >= len(s.Args) {
			return nil, badStep("%s needs %d arguments", s.Op, i+1)
		}
		b, err := conformance.Bytes(s.Args[i])
		if err != nil {
			return nil, badStep("%v", err)
		}
		return b, nil
	}
	name := func() (string, error) {
		if len(s.Args) != 1 {
			return "", badStep("%s needs a transaction name", s.Op)
		}
		return s.Args[0], nil
	}

	// Database-level steps.
	switch s.Op {
	case "open":
		if len(s.Args) != 1 || (s.Args[0] != "memory" && s.Args[0] != "file") {
			return "", badStep("open memory|file")
		}
		// Runners open with a busy timeout of 0: a second writer fails at
		// once with BUSY (spec/conformance/README.md).
		if s.Args[0] == "memory" {
			db, err := OpenMemory(BusyTimeout(0))
			r.db = db
			return "", err
		}
		r.path = filepath.Join(r.dir, "case.nook")
		db, err := Open(r.path, BusyTimeout(0))
		r.db = db
		return "", err
	case "reopen":
		if r.path == "" {
			return "", badStep("reopen needs `open file`")
		}
		opts := []Option{BusyTimeout(0)}
		if len(s.Args) == 1 && s.Args[0] == "read_only" {
			opts = append(opts, ReadOnly())
		} else if len(s.Args) != 0 {
			return "", badStep("reopen [read_only]")
		}
		if r.db != nil {
			if err := r.db.Close(); err != nil {
				return "", err
			}
		}
		db, err := Open(r.path, opts...)
		if err == nil {
			r.db = db
		}
		return "", err
	case "close":
		return "", r.database().Close()
	case "check":
		_, err := r.database().Check()
		return "", err
	case "compact":
		_, err := r.database().Compact()
		return "", err
	case "begin_read", "begin_write":
		n, err := name()
		if err != nil {
			return "", err
		}
		tx, err := r.database().Begin(s.Op == "begin_write")
		if err == nil {
			r.txs[n] = tx
		}
		return "", err
	case "commit", "rollback", "end":
		n, err := name()
		if err != nil {
			return "", err
		}
		tx, ok := r.txs[n]
		if !ok {
			return "", badStep("no transaction %q", n)
		}
		if s.Op == "commit" {
			return "", tx.Commit()
		}
		return "", tx.Rollback()
	}

	// Data steps, on the database or a named transaction.
	var t stepTarget = r.database()
	if s.Txn != "" {
		tx, ok := r.txs[s.Txn]
		if !ok {
			return "", badStep("no transaction %q", s.Txn)
		}
		t = tx
	}
	switch s.Op {
	case "get":
		k, err := arg(0)
		if err != nil {
			return "", err
		}
		v, err := t.Get(k)
		return conformance.Hex(v), err
	case "put", "insert", "update":
		k, err := arg(0)
		if err != nil {
			return "", err
		}
		v, err := arg(1)
		if err != nil {
			return "", err
		}
		switch s.Op {
		case "put":
			return "", t.Put(k, v)
		case "insert":
			return "", t.Insert(k, v)
		default:
			return "", t.Update(k, v)
		}
	case "delete":
		k, err := arg(0)
		if err != nil {
			return "", err
		}
		existed, err := t.Delete(k)
		return strconv.FormatBool(existed), err
	case "contains":
		k, err := arg(0)
		if err != nil {
			return "", err
		}
		ok, err := t.Has(k)
		return strconv.FormatBool(ok), err
	case "count":
		n, err := t.Count()
		return strconv.FormatUint(n, 10), err
	case "batch":
		var b WriteBatch
		for i := 0; i < len(s.Args); {
			switch s.Args[i] {
			case "put":
				k, err := arg(i + 1)
				if err != nil {
					return "", err
				}
				v, err := arg(i + 2)
				if err != nil {
					return "", err
				}
				b.Put(k, v)
				i += 3
			case "delete":
				k, err := arg(i + 1)
				if err != nil {
					return "", err
				}
				b.Delete(k)
				i += 2
			default:
				return "", badStep("batch takes put K V / delete K, got %q", s.Args[i])
			}
		}
		return "", t.Apply(&b)
	case "scan":
		var prefix []byte
		if len(s.Args) > 0 {
			p, err := arg(0)
			if err != nil {
				return "", err
			}
			prefix = p
		}
		sc := t.Scan(prefix)
		var pairs [][2][]byte
		for k, v := range sc.All() {
			pairs = append(pairs, [2][]byte{k, v})
		}
		if err := sc.Err(); err != nil {
			return "", err
		}
		sort.Slice(pairs, func(i, j int) bool { return bytes.Compare(pairs[i][0], pairs[j][0]) < 0 })
		out := make([]string, len(pairs))
		for i, p := range pairs {
			out[i] = conformance.Hex(p[0]) + "=" + conformance.Hex(p[1])
		}
		return strings.Join(out, " "), nil
	}
	return "", badStep("unknown operation %q", s.Op)
}

// database is the case's database; a step before `open` acts on a closed DB.
func (r *caseRunner) database() *DB {
	if r.db == nil {
		r.db = &DB{}
	}
	return r.db
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
