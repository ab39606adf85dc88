//go:build linux

package sockets

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const envNobodyInode = "CARBONPROBE_SOCKETS_FINDOWNERS_INODE"

type nobodyResult struct {
	Found int
	Notes []string
	Err   string
}

// nobodyChild runs FindOwners as an unprivileged user, for
// TestFindOwnersPermissionDenied, and prints what it got.
func nobodyChild() {
	v := os.Getenv(envNobodyInode)
	if v == "" {
		return
	}
	ino, _ := strconv.ParseUint(v, 10, 64)
	got, notes, err := FindOwners(context.Background(), []uint64{ino})
	r := nobodyResult{Found: len(got), Notes: notes}
	if err != nil {
		r.Err = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
	os.Exit(0)
}

func TestFindOwnersPermissionDenied(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ino := inodeOf(t, l.(*net.TCPListener))

	var r nobodyResult
	if os.Geteuid() != 0 {
		// Unprivileged already: any process of another user is unreadable.
		got, notes, err := FindOwners(context.Background(), []uint64{1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		r = nobodyResult{Found: len(got), Notes: notes}
		if !othersExist(t) {
			t.Skip("every process here runs as this user: nothing is unreadable")
		}
	} else {
		r = runAsNobody(t, ino)
		if r.Err != "" {
			t.Fatalf("FindOwners failed as a whole: %s", r.Err)
		}
	}
	if r.Found != 0 {
		t.Fatalf("found %d owners it could not have read", r.Found)
	}
	if len(r.Notes) < 2 || !strings.HasPrefix(r.Notes[0], "no owner found for 1 socket") {
		t.Fatalf("notes %q", r.Notes)
	}
	denied := 0
	for _, n := range r.Notes[1:] {
		if strings.HasPrefix(n, "could not read /proc/") && strings.HasSuffix(n, "/fd: permission denied") {
			denied++
		}
	}
	if denied == 0 || len(r.Notes) > maxPermissionNotes+2 {
		t.Errorf("want at most %d \"could not read /proc/PID/fd: permission denied\" notes and a count, got %q", maxPermissionNotes, r.Notes)
	}
}

func othersExist(t *testing.T) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if info, err := os.Stat("/proc/" + e.Name()); err == nil && info.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
			return true
		}
	}
	return false
}

// runAsNobody copies the test binary where uid 65534 may run it and asks it
// for the owner of ino, a socket of this root process.
func runAsNobody(t *testing.T, ino uint64) nobodyResult {
	t.Helper()
	dir, err := os.MkdirTemp("", "sockets-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sockets.test")
	if err := copyFile(exe, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", envNobodyInode, ino))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child as uid 65534: %v (%s)", err, out)
	}
	var r nobodyResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	return r
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
