//go:build cgo

package nook

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelperHoldLock is not a test: run as a child process by
// TestLockedByAnotherProcess, it opens the file named by NOOK_HOLD_LOCK,
// prints "ready" and holds it until its stdin closes.
func TestHelperHoldLock(t *testing.T) {
	path := os.Getenv("NOOK_HOLD_LOCK")
	if path == "" {
		t.Skip("helper process only")
	}
	db, err := Open(path)
	if err != nil {
		os.Stdout.WriteString("error " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("ready\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
	db.Close()
	os.Exit(0)
}

// TestLockedByAnotherProcess: while another process has the file open, Open
// fails at once with ErrLocked (it never waits), and works again once that
// process closed it.
func TestLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.nook")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "NOOK_HOLD_LOCK="+path)
	stdin, err := cmd.StdinPipe()
	mustOK(t, "stdin pipe", err)
	stdout, err := cmd.StdoutPipe()
	mustOK(t, "stdout pipe", err)
	mustOK(t, "start helper", cmd.Start())
	defer func() { stdin.Close(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper did not open the database: %q, %v", line, err)
	}

	start := time.Now()
	db, err := Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded while another process holds the file")
	}
	wantErr(t, "Open of a file another process holds", err, ErrLocked)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Open waited %v for the lock; it must fail at once", d)
	}
	if !strings.Contains(err.Error(), "locked.nook") {
		t.Errorf("the LOCKED message does not name the file: %v", err)
	}

	stdin.Close()
	mustOK(t, "helper exit", cmd.Wait())
	db, err = Open(path)
	mustOK(t, "Open after the other process closed", err)
	db.Close()
}
