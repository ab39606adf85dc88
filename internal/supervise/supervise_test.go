//go:build linux

package supervise

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a tiny carbonprobe: with SUPERVISE_HELPER set
// it runs its arguments through Run and exits with the code, so that signals
// and reaping are tested on a real process (as PID 1 too), not on the test's.
func TestMain(m *testing.M) {
	if os.Getenv("SUPERVISE_HELPER") != "" {
		if os.Getenv("SUPERVISE_NO_REAP") != "" {
			subreaper = func() bool { return false }
		}
		code, err := Run(os.Args[1:], Options{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// helper returns a command that runs args under Run in a process of its own;
// wrap, when given, goes before it (unshare ...).
func helper(t *testing.T, env []string, wrap []string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(append(append([]string{}, wrap...), self), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "SUPERVISE_HELPER=1"), env...)
	return cmd
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"success", []string{"true"}, 0},
		{"failure", []string{"sh", "-c", "exit 3"}, 3},
		{"a signal ended it", []string{"sh", "-c", "kill -9 $$"}, 128 + 9},
		{"not found", []string{"carbonprobe-no-such-command"}, NotFound},
		{"no such file", []string{"/nonexistent/cmd"}, NotFound},
		{"not executable", []string{"/dev/null"}, CannotRun},
		{"a directory", []string{"/"}, CannotRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code, err := Run(tc.args, Options{Stdout: io.Discard, Stderr: &stderr})
			if code != tc.code {
				t.Errorf("exit %d (%v), want %d", code, err, tc.code)
			}
			if (tc.code == NotFound || tc.code == CannotRun) != (err != nil) {
				t.Errorf("err = %v for exit %d", err, code)
			}
		})
	}
}

// TestStreamsAndABackgroundChildHoldingThem: output through a non-file writer
// is all there, and a background child that keeps the pipe open does not
// hold Run past IODelay.
func TestStreamsAndABackgroundChildHoldingThem(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	code, err := Run([]string{"sh", "-c", "echo one; sleep 5 & echo two"}, Options{Stdout: &out, Stderr: io.Discard, IODelay: 200 * time.Millisecond})
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	if out.String() != "one\ntwo\n" {
		t.Errorf("output %q", out.String())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run took %v: the background child's pipe held it", d)
	}
}

// orphanScript leaves an orphan (a subshell starts sleep and exits at once),
// waits until the orphan has exited, then prints every zombie it can see
// whose parent is SUPERVISOR (carbonprobe's pid), or any zombie at all in a
// PID namespace of its own (SUPERVISOR=any).
const orphanScript = `
(sleep 0.1 &)
sleep 0.5
for s in /proc/[0-9]*/status; do
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "$s" 2>/dev/null)
  ppid=$(sed -n 's/^PPid:[[:space:]]*//p' "$s" 2>/dev/null)
  name=$(sed -n 's/^Name:[[:space:]]*//p' "$s" 2>/dev/null)
  if [ "$state" = Z ] && { [ "$SUPERVISOR" = any ] || [ "$ppid" = "$PPID" ]; }; then
    echo "zombie: $name (parent $ppid)"
  fi
done
echo checked
`

func zombies(t *testing.T, cmd *exec.Cmd) []string {
	t.Helper()
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%v: %v\n%s%s", cmd.Args, err, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 || lines[len(lines)-1] != "checked" {
		t.Fatalf("the script did not finish: %q", out)
	}
	return lines[:len(lines)-1]
}

// TestSubreaperReapsOrphans: outside a container too, carbonprobe becomes
// the orphans' parent (PR_SET_CHILD_SUBREAPER) and reaps them.
func TestSubreaperReapsOrphans(t *testing.T) {
	got := zombies(t, helper(t, []string{"SUPERVISOR=parent"}, nil, "sh", "-c", orphanScript))
	if len(got) > 0 {
		t.Errorf("zombies left: %q", got)
	}
}

// unshare returns the command prefix that makes the helper PID 1 of a new
// PID namespace with its own /proc, or skips when that cannot be done here.
func unshare(t *testing.T) []string {
	t.Helper()
	path, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare (util-linux) here")
	}
	wrap := []string{path, "--pid", "--fork", "--mount-proc"}
	if err := exec.Command(wrap[0], append(wrap[1:], "true")...).Run(); err != nil {
		t.Skipf("cannot make a PID namespace here (%v): run as root", err)
	}
	return wrap
}

// TestPID1ReapsOrphans: as PID 1 of a PID namespace, as in a container, no
// zombie is left, and without the reaping the same script does leave one,
// so the test sees what it claims to.
func TestPID1ReapsOrphans(t *testing.T) {
	wrap := unshare(t)
	if got := zombies(t, helper(t, []string{"SUPERVISOR=any"}, wrap, "sh", "-c", orphanScript)); len(got) > 0 {
		t.Errorf("as PID 1, zombies left: %q", got)
	}
	got := zombies(t, helper(t, []string{"SUPERVISOR=any", "SUPERVISE_NO_REAP=1"}, wrap, "sh", "-c", orphanScript))
	if len(got) == 0 || !strings.Contains(got[0], "sleep") {
		t.Errorf("without reaping, want the sleep's zombie, got %q", got)
	}
}

// groupScript starts a background child that says when SIGTERM reaches it;
// the shell itself traps SIGTERM too (before "ready") and waits for the child.
const groupScript = `
trap 'echo shell got TERM' TERM
(trap 'echo child got TERM; exit 0' TERM; echo ready; while :; do sleep 0.02; done) &
wait
wait
echo done
`

// TestSignalReachesTheBackgroundChild: SIGTERM to carbonprobe reaches the
// command's whole process group, the shell's background child included; the
// exit code is the shell's.
func TestSignalReachesTheBackgroundChild(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(*testing.T) []string
	}{
		{"child process", func(*testing.T) []string { return nil }},
		{"PID 1 of a namespace", unshare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := helper(t, nil, tc.wrap(t), "sh", "-c", groupScript)
			// unshare --fork forwards nothing: signal the helper itself, the
			// namespace's PID 1, as a container engine does.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			cmd.WaitDelay = time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				// The command's own group first (its leader is the helper's
				// child), then the helper's (and unshare's).
				if pid := childOf(cmd.Process.Pid); pid > 0 {
					if sh := childOf(pid); sh > 0 {
						syscall.Kill(-sh, syscall.SIGKILL)
					}
					syscall.Kill(-pid, syscall.SIGKILL)
				}
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				cmd.Wait()
				if t.Failed() {
					t.Logf("stderr:\n%s", stderr.String())
				}
			})
			lines := bufio.NewScanner(stdout)
			if !lines.Scan() || lines.Text() != "ready" {
				t.Fatalf("the command did not start: %q", lines.Text())
			}
			target := cmd.Process.Pid
			if len(cmd.Args) > 0 && strings.HasSuffix(cmd.Args[0], "unshare") {
				target = helperInNamespace(t, cmd.Process.Pid)
			}
			if err := syscall.Kill(target, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			got := make(chan []string, 1)
			go func() {
				var rest []string
				for lines.Scan() {
					rest = append(rest, lines.Text())
				}
				got <- rest
			}()
			select {
			case rest := <-got:
				have := strings.Join(rest, "\n")
				for _, want := range []string{"child got TERM", "shell got TERM", "done"} {
					if !strings.Contains(have, want) {
						t.Errorf("output lacks %q:\n%s", want, have)
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the background child never got SIGTERM: the shell still waits for it")
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("exit: %v, want 0 (the shell's)", err)
			}
		})
	}
}

// helperInNamespace finds the helper that unshare forked: the child of pid
// (unshare) as seen from here.
func helperInNamespace(t *testing.T, pid int) int {
	t.Helper()
	for range 100 {
		if child := childOf(pid); child > 0 {
			return child
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no child of unshare (pid %d)", pid)
	return 0
}

// childOf returns the first child of pid, or 0.
func childOf(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var child int
	if err == nil {
		fmt.Sscan(string(raw), &child)
	}
	return child
}
