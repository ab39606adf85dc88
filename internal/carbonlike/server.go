// Package carbonlike starts the Carbon-like Java server of scripts/carbonlike for tests: real
// HTTP/HTTPS listeners, a real RMI registry and JMX connector server, the JDK's jmxremote local
// connector and a syslog-style UDP socket, at an offset the harness chooses so tests can run in
// parallel next to other servers.
package carbonlike

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options says how to start a server. The zero value starts the carbon profile at a free offset
// given as -DportOffset after the main class, with -Dcom.sun.management.jmxremote and
// -Djava.net.preferIPv4Stack=true, and waits until every port is bound.
type Options struct {
	Profile   string // "carbon" (default) or "mi"
	Offset    int    // used when OffsetSet; otherwise the harness chooses a free one
	OffsetSet bool
	// OffsetIn says how the offset reaches the server: "flag" (default: -DportOffset after the
	// main class, as wso2server.sh does), "jvm" (a JVM -D option), "carbon.xml" (carbon profile),
	// "deployment.toml" (mi profile), or "default": none at all, so the profile's own default
	// (carbon 0, mi 10) applies; "default" skips the test when those fixed ports are busy
	// (unless NoWait: then nothing is checked or reserved).
	OffsetIn string
	JVMArgs  []string          // extra JVM flags, after the harness's own (a later -Dk=v wins)
	Props    map[string]string // carbonlike.* options, e.g. {"carbonlike.delay": "500"}
	Home     string            // default t.TempDir()
	// NoJMXRemote leaves out -Dcom.sun.management.jmxremote (no JDK local connector port).
	NoJMXRemote bool
	// NoPreferIPv4 leaves out -Djava.net.preferIPv4Stack=true: the JVM then listens dual stack.
	NoPreferIPv4 bool
	// FreshKeystore lets the server make its keystore with keytool, as on a first start. By
	// default the harness seeds Home with the keystore of an earlier server of this test binary,
	// which saves a keytool run per start.
	FreshKeystore bool
	// NoWait returns right after the process starts; call WaitReady. A bind failure is then
	// not retried at another offset.
	NoWait bool
	// Launcher starts the JVM under scripts/carbonlike/wso2server.sh, a loop shaped like
	// Carbon's start script that starts a new JVM whenever one exits with status 121 (a
	// restart). PID is then the launcher's first JVM, read from its pid file; JVMPID gives the
	// current one.
	Launcher bool
	// HomeFrom is a directory of the repository (expect/testdata/homes/carbon-4.4.40, say)
	// copied into Home before the start, so that the server runs in a real product's home.
	HomeFrom string
}

// Server is one started carbon-like JVM. Offset, Ports, SyslogPort and JMXURL are filled from its
// output by Start (or by WaitReady when Options.NoWait was set).
type Server struct {
	Home, Profile string
	Offset        int
	PID           int
	Ports         map[string]int // name -> effective port, as printed on the ready line
	LogPath       string         // Home/repository/logs/wso2carbon.log
	SyslogPort    int            // the UDP sender's ephemeral port; 0 when off or not yet open
	JMXURL        string         // the logged "JMX Service URL", "" when no JMX connector server

	cmd      *exec.Cmd
	out      *output
	reserved []int
	launcher bool

	mu          sync.Mutex
	readyLine   string
	bindFailure string
	exitCode    int
	syslogPort  int
	jmxURL      string

	readyCh  chan struct{}
	failedCh chan struct{}
	exited   chan struct{}
	stopOnce sync.Once
}

const (
	readyMarker    = "carbonlike: ready offset="
	bindMarker     = "carbonlike: bind failed "
	syslogMarker   = "carbonlike: syslog sender udp port="
	jmxURLMarker   = "JMX Service URL  : "
	startTimeout   = 2 * time.Minute
	stopTermWait   = 10 * time.Second
	maxBindRetries = 10
)

var mainClasses = map[string]string{
	"carbon": "org.wso2.carbon.bootstrap.Bootstrap",
	"mi":     "org.wso2.micro.integrator.bootstrap.Bootstrap",
}

// Start builds (once per test binary) and starts the server, waits for its ready line, and
// registers Stop with t.Cleanup. Without OffsetSet it picks a random free offset and retries at
// another one (up to 10 times) when the server reports that a port was taken meanwhile. It skips
// the test only when java is not on PATH; any other failure fails the test with the server's
// output.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	classes := Classes(t)
	if opt.Profile == "" {
		opt.Profile = "carbon"
	}
	if _, ok := mainClasses[opt.Profile]; !ok {
		t.Fatalf("carbonlike: profile %q: expected carbon or mi", opt.Profile)
	}
	if opt.OffsetIn == "" {
		opt.OffsetIn = "flag"
	}
	switch {
	case opt.OffsetIn == "carbon.xml" && opt.Profile != "carbon",
		opt.OffsetIn == "deployment.toml" && opt.Profile != "mi":
		t.Fatalf("carbonlike: OffsetIn %q does not apply to profile %s", opt.OffsetIn, opt.Profile)
	case !slices.Contains([]string{"flag", "jvm", "carbon.xml", "deployment.toml", "default"}, opt.OffsetIn):
		t.Fatalf("carbonlike: OffsetIn %q: expected flag, jvm, carbon.xml, deployment.toml or default", opt.OffsetIn)
	case opt.OffsetIn == "default" && opt.OffsetSet:
		t.Fatalf("carbonlike: OffsetIn \"default\" takes no Offset")
	}
	if opt.Home == "" {
		opt.Home = t.TempDir()
	}
	home, err := filepath.Abs(opt.Home)
	if err != nil {
		t.Fatalf("carbonlike: home %q: %v", opt.Home, err)
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatalf("carbonlike: %v", err)
	}
	opt.Home = home
	if opt.HomeFrom != "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(home, os.DirFS(filepath.Join(root, opt.HomeFrom))); err != nil {
			t.Fatalf("carbonlike: copy %s into the home: %v", opt.HomeFrom, err)
		}
	}

	for attempt := 1; ; attempt++ {
		offset, ports := chooseOffset(t, opt)
		s, err := launch(t, classes, opt, offset, ports)
		if err != nil {
			release(ports)
			t.Fatal(err)
		}
		if opt.NoWait {
			return s
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		err = s.WaitReady(ctx)
		cancel()
		if err == nil {
			if s.Offset != offset {
				t.Fatalf("carbonlike: expected offset %d (%s), the server reported %d", offset, opt.OffsetIn, s.Offset)
			}
			return s
		}
		busy := s.BindFailure() != ""
		s.Stop()
		if busy && opt.OffsetIn == "default" {
			// Checked free a moment ago, taken since: the same reason the check skips for.
			t.Skipf("carbonlike: the %s profile's default ports were taken during the start: %s", opt.Profile, s.BindFailure())
		}
		if busy && !opt.OffsetSet && attempt < maxBindRetries {
			t.Logf("carbonlike: attempt %d at offset %d: %s; retrying at another offset", attempt, offset, s.BindFailure())
			continue
		}
		t.Fatalf("carbonlike: %v\n--- server output ---\n%s", err, s.Output())
	}
}

// chooseOffset returns the offset to use and the ports reserved for it (none when the caller
// fixed the offset: then the test owns the choice, including a deliberately busy one).
func chooseOffset(t testing.TB, opt Options) (int, []int) {
	t.Helper()
	switch {
	case opt.OffsetSet:
		return opt.Offset, nil
	case opt.OffsetIn == "default" && opt.NoWait:
		return DefaultOffset(opt.Profile), nil // the caller handles whatever the server reports
	case opt.OffsetIn == "default":
		off := DefaultOffset(opt.Profile)
		ports, ok := reserve(opt.Profile, off)
		if !ok {
			t.Skipf("carbonlike: the %s profile's default ports (offset %d) are busy here; cannot test the built-in default", opt.Profile, off)
		}
		return off, ports
	}
	off, ports, ok := freeOffset(opt.Profile)
	if !ok {
		t.Fatalf("carbonlike: no free offset for profile %s after 200 tries", opt.Profile)
	}
	return off, ports
}

// testHookLaunch, when set by this package's tests, runs after the offset is chosen and reserved
// and before the JVM starts: the moment another process can take a port.
var testHookLaunch func(offset int)

func launch(t testing.TB, classes string, opt Options, offset int, ports []int) (*Server, error) {
	if testHookLaunch != nil {
		testHookLaunch(offset)
	}
	if err := writeOffsetConfig(opt, offset); err != nil {
		return nil, err
	}
	if !opt.FreshKeystore {
		if err := seedKeystore(opt.Home); err != nil {
			return nil, err
		}
	}
	args := jvmArgs(classes, opt, offset)
	cmd := exec.Command("java", args...)
	if opt.Launcher {
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		cmdFile := filepath.Join(opt.Home, "carbonlike.cmd")
		if err := os.WriteFile(cmdFile, []byte(strings.Join(append([]string{"java"}, args...), "\x00")+"\x00"), 0o644); err != nil {
			return nil, fmt.Errorf("carbonlike: %v", err)
		}
		cmd = exec.Command("bash", filepath.Join(root, "scripts", "carbonlike", "wso2server.sh"), cmdFile)
	}
	cmd.Dir = opt.Home
	s := &Server{
		Home:     opt.Home,
		Profile:  opt.Profile,
		LogPath:  filepath.Join(opt.Home, "repository", "logs", "wso2carbon.log"),
		cmd:      cmd,
		reserved: ports,
		launcher: opt.Launcher,
		exitCode: -1,
		readyCh:  make(chan struct{}),
		failedCh: make(chan struct{}),
		exited:   make(chan struct{}),
	}
	s.out = newOutput(s.line)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	// The JVM's children (keytool) never hold our pipes after it exits, but bound the wait anyway.
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true, // a terminal's ^C goes to `go test`, which then stops us cleanly
		// If the test binary dies without cleanup, the JVM must not outlive it.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("carbonlike: start java: %v", err)
	}
	s.PID = cmd.Process.Pid
	if opt.Launcher {
		pid, err := s.jvmPID(30 * time.Second)
		if err != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return nil, err
		}
		s.PID = pid
	}
	go func() {
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			code = -1
		}
		s.mu.Lock()
		s.exitCode = code
		s.mu.Unlock()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("carbonlike: %s server pid %d in %s, output:\n%s", s.Profile, s.PID, s.Home, s.Output())
		}
	})
	t.Cleanup(s.Stop)
	return s, nil
}

func jvmArgs(classes string, opt Options, offset int) []string {
	var args []string
	if !opt.NoJMXRemote {
		args = append(args, "-Dcom.sun.management.jmxremote")
	}
	if !opt.NoPreferIPv4 {
		args = append(args, "-Djava.net.preferIPv4Stack=true")
	}
	// A test JVM lives seconds: skip the optimizing compiler and the parallel GC's setup.
	args = append(args, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k")
	args = append(args, "-Dcarbon.home="+opt.Home)
	if opt.OffsetIn == "jvm" {
		args = append(args, "-DportOffset="+strconv.Itoa(offset))
	}
	keys := make([]string, 0, len(opt.Props))
	for k := range opt.Props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		args = append(args, "-D"+k+"="+opt.Props[k])
	}
	if opt.Profile == "mi" {
		// As wso2/micro-integrator's bin/micro-integrator.sh: MI loads an internal API
		// only when its -Denable<Name> is true.
		args = append(args, "-DenableReadinessProbe=true", "-DenableLivenessProbe=true", "-DenableManagementApi=true")
	}
	args = append(args, opt.JVMArgs...)
	args = append(args, "-cp", classes, mainClasses[opt.Profile])
	if opt.OffsetIn == "flag" {
		args = append(args, "-DportOffset="+strconv.Itoa(offset))
	}
	return args
}

var (
	xmlOffsetRe  = regexp.MustCompile(`<Offset>[^<]*</Offset>`)
	tomlOffsetRe = regexp.MustCompile(`(?m)^[ \t]*offset[ \t]*=.*$`)
)

// writeOffsetConfig puts the offset into carbon.xml or deployment.toml, keeping any other content
// a test wrote there (for example <JMX> ports).
func writeOffsetConfig(opt Options, offset int) error {
	var path, fresh string
	var re *regexp.Regexp
	var repl string
	switch opt.OffsetIn {
	case "carbon.xml":
		path = filepath.Join(opt.Home, "repository", "conf", "carbon.xml")
		re, repl = xmlOffsetRe, fmt.Sprintf("<Offset>%d</Offset>", offset)
		fresh = fmt.Sprintf("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"+
			"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\n"+
			"    <Ports>\n        <Offset>%d</Offset>\n    </Ports>\n</Server>\n", offset)
	case "deployment.toml":
		path = filepath.Join(opt.Home, "conf", "deployment.toml")
		re, repl = tomlOffsetRe, fmt.Sprintf("offset = %d", offset)
		fresh = fmt.Sprintf("[server]\nhostname = \"localhost\"\noffset = %d\n", offset)
	default:
		return nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		data = []byte(fresh)
	case err != nil:
		return fmt.Errorf("carbonlike: %v", err)
	case !re.Match(data):
		return fmt.Errorf("carbonlike: %s exists but has no offset setting to replace (expected %s)", path, re)
	default:
		data = re.ReplaceAll(data, []byte(repl))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("carbonlike: %v", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("carbonlike: %v", err)
	}
	return nil
}

var keystore struct {
	sync.Mutex
	data []byte
}

const keystoreRel = "repository/resources/security/wso2carbon.jks"

// seedKeystore copies the keystore an earlier server of this test binary made into home, when
// home has none yet. The first server makes it with keytool itself.
func seedKeystore(home string) error {
	path := filepath.Join(home, keystoreRel)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	keystore.Lock()
	data := keystore.data
	keystore.Unlock()
	if data == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("carbonlike: %v", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("carbonlike: %v", err)
	}
	return nil
}

func rememberKeystore(home string) {
	keystore.Lock()
	defer keystore.Unlock()
	if keystore.data != nil {
		return
	}
	if data, err := os.ReadFile(filepath.Join(home, keystoreRel)); err == nil && len(data) > 0 {
		keystore.data = data
	}
}

// spawn starts every JVM from one goroutine locked to its OS thread for good: Pdeathsig fires
// when the forking *thread* exits, and a test that locks and ends its goroutine's thread (netns
// work does) must not take our JVMs with it.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread()
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd, done}
	return <-done
}

// line is called for every complete line the JVM prints, in order.
func (s *Server) line(l string) {
	switch {
	case strings.Contains(l, readyMarker):
		s.mu.Lock()
		first := s.readyLine == ""
		if first {
			s.readyLine = l
		}
		s.mu.Unlock()
		if first {
			rememberKeystore(s.Home)
			close(s.readyCh)
		}
	case strings.Contains(l, bindMarker):
		s.mu.Lock()
		first := s.bindFailure == ""
		if first {
			s.bindFailure = l[strings.Index(l, bindMarker):]
		}
		s.mu.Unlock()
		if first {
			close(s.failedCh)
		}
	case strings.Contains(l, syslogMarker):
		if n, err := strconv.Atoi(strings.TrimSpace(l[strings.Index(l, syslogMarker)+len(syslogMarker):])); err == nil {
			s.mu.Lock()
			s.syslogPort = n
			s.mu.Unlock()
		}
	case strings.Contains(l, jmxURLMarker):
		s.mu.Lock()
		s.jmxURL = strings.TrimSpace(l[strings.Index(l, jmxURLMarker)+len(jmxURLMarker):])
		s.mu.Unlock()
	}
}

// WaitReady waits for the ready line and fills Offset and Ports from it. It returns an error when
// the server reports a bind failure, exits first, or ctx ends first. Call it from the test's
// goroutine: it writes the Server's fields.
func (s *Server) WaitReady(ctx context.Context) error {
	select {
	case <-s.readyCh:
	case <-s.failedCh:
		return fmt.Errorf("carbonlike: expected the ready line, the server reported %q", s.BindFailure())
	case <-s.exited:
		// Output is fully read before exited closes, so a ready line printed just before exit counts.
		select {
		case <-s.readyCh:
		default:
			return fmt.Errorf("carbonlike: expected the ready line, the server exited with status %d first", s.ExitCode())
		}
	case <-ctx.Done():
		return fmt.Errorf("carbonlike: expected the ready line, none after waiting (%w)", ctx.Err())
	}
	s.mu.Lock()
	line, syslogPort, jmxURL := s.readyLine, s.syslogPort, s.jmxURL
	s.mu.Unlock()
	offset, ports, err := parseReady(line)
	if err != nil {
		return err
	}
	s.Offset, s.Ports, s.SyslogPort, s.JMXURL = offset, ports, syslogPort, jmxURL
	return nil
}

// parseReady reads "... carbonlike: ready offset=N name=port name=port".
func parseReady(line string) (int, map[string]int, error) {
	i := strings.Index(line, readyMarker)
	if i < 0 {
		return 0, nil, fmt.Errorf("carbonlike: expected %q in %q", readyMarker, line)
	}
	fields := strings.Fields(line[i+len("carbonlike: ready "):])
	ports := map[string]int{}
	offset := -1
	for _, f := range fields {
		name, val, ok := strings.Cut(f, "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil {
			return 0, nil, fmt.Errorf("carbonlike: expected name=number on the ready line, got %q in %q", f, line)
		}
		if name == "offset" {
			offset = n
		} else {
			ports[name] = n
		}
	}
	if offset < 0 {
		return 0, nil, fmt.Errorf("carbonlike: no offset on the ready line %q", line)
	}
	return offset, ports, nil
}

// BindFailure returns the server's "carbonlike: bind failed ..." line, or "".
func (s *Server) BindFailure() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bindFailure
}

// Exited is closed once the JVM has exited and been reaped.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// ExitCode is the JVM's exit status, or -1 while it runs (or when a signal killed it).
func (s *Server) ExitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitCode
}

// Output returns what the JVM printed so far (stdout and stderr), bounded to the last 256 KiB.
func (s *Server) Output() string { return s.out.String() }

// Stop sends SIGTERM to the JVM this Server started (never any other process), waits for it to
// exit, and sends SIGKILL after 10 s. It is idempotent and registered with t.Cleanup.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		defer release(s.reserved)
		select {
		case <-s.exited:
			return
		default:
		}
		// Signalling through cmd.Process is safe against pid reuse: Go uses a pidfd where it can and
		// never signals a process it has already reaped. A launcher, like Carbon's script, does
		// not pass a signal on to its JVM: the process group gets it (the group is ours, Setpgid).
		if s.launcher {
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		} else {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
		}
		timer := time.NewTimer(stopTermWait)
		defer timer.Stop()
		select {
		case <-s.exited:
		case <-timer.C:
			if s.launcher {
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			}
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// JVMPID is the pid the server's home's wso2carbon.pid names now: with a Launcher, the JVM that
// runs after the last restart.
func (s *Server) JVMPID(t testing.TB) int {
	t.Helper()
	pid, err := s.jvmPID(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// jvmPID reads the home's pid file, waiting for the JVM to write it.
func (s *Server) jvmPID(within time.Duration) (int, error) {
	path := filepath.Join(s.Home, "wso2carbon.pid")
	deadline := time.Now().Add(within)
	for {
		raw, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(strings.Trim(string(raw), "\x00"))); err == nil && pid > 0 {
				return pid, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("carbonlike: no pid in %s after %s", path, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
