package command

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
)

// latePort reserves a loopback port (bound, not listening: it refuses) and
// listens on it after delay, accepting and closing until the test ends.
func latePort(t *testing.T, delay time.Duration) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ln net.Listener
	closed := false
	timer := time.AfterFunc(delay, func() {
		mu.Lock()
		defer mu.Unlock()
		if closed || unix.Listen(fd, 64) != nil {
			return
		}
		f := os.NewFile(uintptr(fd), "late")
		l, err := net.FileListener(f)
		f.Close()
		fd = -1
		if err != nil {
			return
		}
		ln = l
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	})
	t.Cleanup(func() {
		timer.Stop()
		mu.Lock()
		defer mu.Unlock()
		closed = true
		if ln != nil {
			ln.Close()
		}
		if fd >= 0 {
			unix.Close(fd)
		}
	})
	return sa.(*unix.SockaddrInet4).Port
}

func TestWaitRunsTheCommandOnceReadyAndPassesItsExitCode(t *testing.T) {
	port := latePort(t, 300*time.Millisecond)
	code, stdout, stderr := runCLI(t, nil, "wait", "--ports", fmt.Sprint(port), "--timeout", "30s", "--",
		"sh", "-c", "echo from the command; exit 7")
	if code != 7 {
		t.Fatalf("exit %d, want the command's 7; stderr:\n%s", code, stderr)
	}
	// stdout is the command's alone; the report and the progress go to stderr.
	if stdout != "from the command\n" {
		t.Errorf("stdout %q, want only the command's output", stdout)
	}
	for _, want := range []string{"HEALTHY (bound: listeners only, no protocol checked): 1 of 1 required ports up", "READY: ready after", fmt.Sprintf("%d/tcp: refused: nothing listens", port), fmt.Sprintf("%d/tcp up", port)} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestWaitCommandExitCodes(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	p := fmt.Sprint(up.Port)
	for _, tc := range []struct {
		name    string
		command []string
		code    int
	}{
		{"success", []string{"true"}, 0},
		{"failure", []string{"sh", "-c", "exit 3"}, 3},
		{"a signal ended it", []string{"sh", "-c", "kill -9 $$"}, 128 + 9},
		{"not found", []string{"carbonprobe-no-such-command"}, 127},
		{"not executable", []string{"/dev/null"}, 126},
		{"its own arguments look like flags", []string{"sh", "-c", "test \"$1\" = --offset", "sh", "--offset"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, append([]string{"wait", "--ports", p, "--progress", "none", "--"}, tc.command...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
		})
	}
}

func TestWaitWithoutACommandExitsZero(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	code, stdout, stderr := runCLI(t, nil, "wait", "--ports", fmt.Sprint(up.Port))
	if code != 0 || !strings.Contains(stdout, "READY: ready after") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "carbonprobe wait ") {
		t.Errorf("no progress lines on stderr (not a terminal):\n%s", stderr)
	}
}

func TestWaitTimeoutIsHonouredWithTheLastReport(t *testing.T) {
	down := testnet.Refused(t)
	start := time.Now()
	code, stdout, _ := runCLI(t, nil, "wait", "--ports", fmt.Sprint(down), "--timeout", "400ms", "--", "sh", "-c", "echo must not run")
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if strings.Contains(stdout, "must not run") {
		t.Error("the command ran although the wait timed out")
	}
	if took < 400*time.Millisecond || took > 3*time.Second {
		t.Errorf("took %s for --timeout 400ms", took)
	}
	code, stdout, _ = runCLI(t, nil, "wait", "--ports", fmt.Sprint(down), "--timeout", "300ms")
	for _, want := range []string{"UNHEALTHY: 1 problem(s), 0 of 1 required ports up", fmt.Sprintf("%d/tcp: refused: nothing listens", down), "TIMED OUT: timed out after 300ms"} {
		if code != 1 || !strings.Contains(stdout, want) {
			t.Errorf("exit %d; stdout lacks %q:\n%s", code, want, stdout)
		}
	}
}

func TestWaitServerExitFailsAtOnce(t *testing.T) {
	down := testnet.Refused(t)
	home := t.TempDir()
	logPath := filepath.Join(home, "repository", "logs", "wso2carbon.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte("first\nERROR cannot bind: Address already in use\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(home, "repository", "conf", "carbon.xml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("<Server><Ports><Offset>0</Offset></Ports></Server>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := procstest.Program(t, "sleep", "60")
	time.AfterFunc(300*time.Millisecond, func() { srv.Process.Kill() })
	start := time.Now()
	code, stdout, stderr := runCLI(t, nil, "wait", "--profile", "none", "--ports", fmt.Sprint(down), "--timeout", "1m", "--pid", strconv.Itoa(srv.Process.Pid),
		"--carbon-home", home, "--", "sh", "-c", "echo must not run")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("took %s: the exit was not noticed", time.Since(start))
	}
	if stdout != "" {
		t.Errorf("the command ran: %q", stdout)
	}
	for _, want := range []string{fmt.Sprintf("SERVER EXITED: the server (pid %d (sleep 60)) exited", srv.Process.Pid), "last 2 lines of " + logPath, "  | ERROR cannot bind: Address already in use"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, stderr)
		}
	}
}

func TestWaitFormats(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	p := fmt.Sprint(up.Port)

	code, stdout, _ := runCLI(t, nil, "wait", "--ports", p, "--format", "json")
	var doc struct {
		Schema string
		Ready  bool
		Check  struct {
			Schema  string
			Healthy bool
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d, not one JSON document (%v):\n%s", code, err, stdout)
	}
	if doc.Schema != "carbonprobe/wait/v1" || !doc.Ready || doc.Check.Schema != "carbonprobe/check/v1" || !doc.Check.Healthy {
		t.Errorf("json %+v", doc)
	}

	code, stdout, _ = runCLI(t, map[string]string{"CARBONPROBE_FORMAT": "junit"}, "wait", "--ports", p)
	var suites struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(stdout), &suites); err != nil || code != 0 || len(suites.Suites) != 1 {
		t.Fatalf("exit %d, junit (%v):\n%s", code, err, stdout)
	}
	if s := suites.Suites[0]; s.Tests != 2 || s.Cases[1].Name != "ready within 5m0s" {
		t.Errorf("junit suite %+v", s)
	}

	code, stdout, stderr := runCLI(t, nil, "wait", "--ports", p, "--quiet")
	if code != 0 || !strings.HasPrefix(stdout, "healthy: ad-hoc ports, 1/1 required ports up; ready after ") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("exit %d, quiet stdout %q", code, stdout)
	}
	if stderr != "" {
		t.Errorf("--quiet wrote progress: %q", stderr)
	}
}

func TestWaitBadUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"an argument without --", []string{"wait", "--ports", "1", "./smoke.sh"}, nil, `unexpected argument "./smoke.sh": put the command to run after --`},
		{"a flag after an argument", []string{"wait", "./smoke.sh", "--ports", "1"}, nil, "flag --ports comes after the argument"},
		{"pid and cmd-match", []string{"wait", "--ports", "1", "--pid", "1", "--cmd-match", "x"}, nil, "flag --pid and flag --cmd-match both name the server"},
		{"bad regexp", []string{"wait", "--ports", "1", "--cmd-match", "("}, nil, `flag --cmd-match: "(" is not a regular expression`},
		{"bad pid", []string{"wait", "--ports", "1", "--pid", "x"}, nil, `flag --pid: "x" is not a process id`},
		{"backoff above its cap", []string{"wait", "--ports", "1", "--backoff", "1s", "--max-backoff", "100ms"}, nil, "--backoff 1s is longer than --max-backoff 100ms"},
		{"quiet and json", []string{"wait", "--ports", "1", "--quiet", "--format", "json"}, nil, "--quiet writes one line of text"},
		{"bad progress", []string{"wait", "--ports", "1", "--progress", "fancy"}, nil, `flag --progress: "fancy" is not a progress mode`},
		{"bad interval from the environment", []string{"wait", "--ports", "1"}, map[string]string{"CARBONPROBE_INTERVAL": "soon"}, `$CARBONPROBE_INTERVAL: "soon" is not a duration`},
		{"bad log lines", []string{"wait", "--ports", "1", "--log-lines", "-1"}, nil, `flag --log-lines: "-1" is not a whole number from 0 to 1000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.env, tc.args...)
			if code != 3 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 3 and %q", code, stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("bad usage wrote to stdout: %q", stdout)
			}
		})
	}
}

func TestWaitAmbiguousCmdMatchIsBadUsage(t *testing.T) {
	down := testnet.Refused(t)
	for i := 0; i < 2; i++ {
		// A shell blocked in read: no fork, so exactly two command lines match.
		cmd := exec.Command("sh", "-c", "read x", "carbonprobe-wait-test-marker")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close() })
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	code, _, stderr := runCLI(t, nil, "wait", "--ports", fmt.Sprint(down), "--timeout", "10s", "--cmd-match", "carbonprobe-wait-test-marke[r]")
	if code != 3 || !strings.Contains(stderr, "matches 2 processes, expected one") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestWaitForwardsSignals runs the built binary: a signal sent to carbonprobe
// while the command runs must reach the command, whose exit code comes back.
func TestWaitForwardsSignals(t *testing.T) {
	bin := buildCarbonprobe(t)
	up := testnet.Listen(t, "127.0.0.1:0")
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGTERM, "TERM", 42}, {syscall.SIGHUP, "HUP", 43}, {syscall.SIGINT, "INT", 44}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sig == syscall.SIGINT && ignored(t, tc.sig) {
				t.Skip("SIGINT is ignored in this environment (a background job): a shell cannot trap it")
			}
			script := fmt.Sprintf(`trap 'echo got %s; exit %d' %s; echo ready; while :; do sleep 0.05; done`, tc.name, tc.code, tc.name)
			cmd := exec.Command(bin, "wait", "--ports", fmt.Sprint(up.Port), "--progress", "none", "--", "sh", "-c", script)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			lines := bufio.NewScanner(stdout)
			if !lines.Scan() || lines.Text() != "ready" {
				t.Fatalf("the command did not start: %q", lines.Text())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			err = cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Errorf("exit %d (%v), want the command's %d", got, err, tc.code)
			}
			if strings.Join(rest, "\n") != "got "+tc.name {
				t.Errorf("the command printed %q, want %q", rest, "got "+tc.name)
			}
		})
	}
}

// ignored reads SigIgn of this process: a signal ignored here stays ignored
// in every child, and sh cannot trap it.
func ignored(t *testing.T, sig syscall.Signal) bool {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return false
}

// buildCarbonprobe builds the binary as a release is built.
func buildCarbonprobe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "carbonprobe")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", bin, "../..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestAnUnreadableHolderIsNeverTheServer: run as an unprivileged user, a
// check of a server whose port is held by root cannot see the holder: it
// fails and says why, instead of calling it healthy.
func TestAnUnreadableHolderIsNeverTheServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as another user")
	}
	bin := buildCarbonprobe(t)
	for dir := filepath.Dir(bin); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil { // the test's own directories, for the other user
			t.Fatal(err)
		}
	}
	up := testnet.Listen(t, "127.0.0.1:0") // held by this test process, run as root
	cmd := exec.Command(bin, "check", "--pid", strconv.Itoa(os.Getpid()), "--ports", strconv.Itoa(up.Port), "--no-verify")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if code != 1 || !strings.Contains(string(out), "cannot read, so it is not known to be the server under test") {
		t.Errorf("exit %d (%v), want 1 naming the unreadable holder:\n%s", code, err, out)
	}
}

// TestConcurrencyWithinTheOpenFileLimit: --concurrency 4096 under
// `ulimit -n 256` would run out of descriptors; the check dials fewer at
// once, says so, and every port answers.
func TestConcurrencyWithinTheOpenFileLimit(t *testing.T) {
	bin := buildCarbonprobe(t)
	var ports []string
	for i := 0; i < 400; i++ {
		// HTTP peers: each dial goes through the full dialer and stays open
		// for the exchange, so they pile up as descriptors at once.
		addr := testnet.Peer(t, "tcp", func(c net.Conn) {
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = c.Read(make([]byte, 1024))
			time.Sleep(50 * time.Millisecond)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		})
		_, p, _ := net.SplitHostPort(addr)
		ports = append(ports, p+"=http")
	}
	// More dials than ports, and fewer than ports: both past the limit.
	for _, concurrency := range []string{"4096", "300"} {
		cmd := exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" "$@"`, bin, "check", "--ports", strings.Join(ports, ","), "--concurrency", concurrency, "--timeout", "5s")
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(string(out), "too many open files") ||
			!strings.Contains(string(out), "at most 192 dials at once, not "+concurrency+": the open-file limit") {
			t.Errorf("--concurrency %s: exit %d (%v):\n%.3000s", concurrency, code, err, out)
		}
	}
}

// TestWaitOutputKeepsTheDocumentWhole: with --output the JSON report is a
// file of its own, whatever the command and the progress print; without it,
// a JSON report that shares stderr with the command comes first, alone.
func TestWaitOutputKeepsTheDocumentWhole(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := runCLI(t, nil, "wait", "--ports", fmt.Sprint(up.Port), "--format", "json", "--progress", "lines", "--output", out,
		"--", "sh", "-c", "echo to stdout; echo to stderr >&2")
	if code != 0 || stdout != "to stdout\n" || !strings.Contains(stderr, "to stderr") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	raw, err := os.ReadFile(out)
	var doc struct{ Schema string }
	if err != nil || json.Unmarshal(raw, &doc) != nil || doc.Schema != "carbonprobe/wait/v1" {
		t.Errorf("report file: %v\n%s", err, raw)
	}
	code, _, stderr = runCLI(t, nil, "wait", "--ports", fmt.Sprint(up.Port), "--format", "json", "--", "true")
	dec := json.NewDecoder(strings.NewReader(stderr))
	if err := dec.Decode(&doc); code != 0 || err != nil || doc.Schema != "carbonprobe/wait/v1" {
		t.Errorf("exit %d: stderr does not start with the report (%v):\n%s", code, err, stderr)
	}
}
