package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "wso2carbon.pid")
	if err := os.WriteFile(regular, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(regular, 100); err != nil || string(b) != "4242\n" {
		t.Errorf("regular file: %q, %v", b, err)
	}
	if _, err := Read(regular, 3); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(link, 100); err != nil || string(b) != "4242\n" {
		t.Errorf("a symlink to a regular file is read: %q, %v", b, err)
	}

	// A FIFO with no writer: a plain open blocks for ever; this one must
	// return at once, refusing it.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo, 100); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "a named pipe") {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO hung")
	}
	for _, p := range []string{dir, "/dev/zero"} {
		if _, err := Read(p, 100); !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: %v", p, err)
		}
	}
}
