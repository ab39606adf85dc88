package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

// runCLI runs one command line in-process with the given environment. The
// tests here do not run in parallel: urfave/cli v2 keeps its help and version
// flags in package variables that every App.Run writes.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	code = Run(context.Background(), append([]string{"carbonprobe"}, args...), &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	down := testnet.Refused(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"healthy", []string{"check", "--ports", fmt.Sprint(up.Port)}, 0},
		{"one refused", []string{"check", "--ports", fmt.Sprintf("%d,%d", up.Port, down)}, 1},
		{"ports never dials", []string{"ports", "--profile", "mi", "--offset", "3"}, 0},
		{"help", []string{"--help"}, 0},
		{"check help", []string{"check", "--help"}, 0},
		{"no command", nil, 3},
		{"unknown command", []string{"chek"}, 3},
		{"unknown flag", []string{"check", "--offest", "3"}, 3},
		{"bad offset", []string{"check", "--offset", "x"}, 3},
		{"flag after an argument", []string{"check", "extra", "--offset", "3"}, 3},
		{"bad format", []string{"ports", "--format", "yaml"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if code == 2 {
				t.Error("exit 2 is Docker HEALTHCHECK's reserved code")
			}
		})
	}
}

func TestBadInputEveryProblemOneLineEach(t *testing.T) {
	home := t.TempDir()
	conf := filepath.Join(home, "repository", "conf", "carbon.xml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("<Server>\n  <Ports><Offset>2</Offset>\n</Server>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, map[string]string{"CARBONPROBE_TIMEOUT": "soon"},
		"check", "--profile", "esb", "--offset", "-4", "--carbon-home", home, "--ports", "9443-9440", "--concurrency", "0", "--format", "xml")
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	if stdout != "" {
		t.Errorf("bad input wrote to stdout: %q", stdout)
	}
	want := []string{
		`carbonprobe: flag --ports "9443-9440": range 9443-9440 runs backwards`,
		`carbonprobe: flag --profile: unknown profile "esb" (known: ` + strings.Join(expect.ProfileNames(), ", ") + `)`,
		`carbonprobe: flag --offset: -4 is negative; a port offset is 0 or more`,
		`carbonprobe: ` + conf + `:3: XML syntax error: element <Ports> closed by </Server>`,
		`carbonprobe: $CARBONPROBE_TIMEOUT: "soon" is not a duration (examples: 500ms, 2s)`,
		`carbonprobe: flag --concurrency: "0" is not a whole number from 1 to 4096`,
		`carbonprobe: flag --format: "xml" is not a format (text, json, junit)`,
	}
	if got := strings.TrimSpace(stderr); got != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Error("a stack trace on bad input")
	}
}

func TestOffsetPastMaxPortNamesThePort(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "ports", "--profile", "carbon", "--offset", "55000")
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	if want := "carbonprobe: offset 55000 from flag --offset pushes port jmx-server (11111) to 66111, past 65535"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "pushes port ldap") { // 10389 + 55000 fits
		t.Errorf("reported a port that fits:\n%s", stderr)
	}
}

func TestFlagsAfterArgumentsAreRejected(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "ports", "now", "--offset", "3")
	if code != 3 || !strings.Contains(stderr, `flag --offset comes after the argument "now" and would be ignored`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "ports", "now")
	if code != 3 || !strings.Contains(stderr, `unexpected argument "now"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestEnvironmentAndPrecedence(t *testing.T) {
	// A home whose server is not running: $JAVA_OPTS then stands for its
	// command line (a server running here would be read instead).
	home := t.TempDir()
	if err := os.CopyFS(home, os.DirFS("../../"+kernelHome)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CARBONPROBE_OFFSET": "4", "JAVA_OPTS": "-DportOffset=6", "CARBONPROBE_PROFILE": "carbon", "CARBON_HOME": home}
	_, stdout, _ := runCLI(t, env, "ports", "--format", "json")
	var doc struct {
		Profile string
		Offset  struct {
			Value int
			Kind  string
			From  string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Profile != "carbon" || doc.Offset.Value != 4 || doc.Offset.From != "$CARBONPROBE_OFFSET" {
		t.Errorf("env: profile %s, offset %d from %s; want carbon, 4 from $CARBONPROBE_OFFSET", doc.Profile, doc.Offset.Value, doc.Offset.From)
	}
	_, stdout, _ = runCLI(t, env, "ports", "--format", "json", "--offset", "1")
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Offset.Value != 1 || doc.Offset.From != "flag --offset" {
		t.Errorf("the flag must beat the environment: offset %d from %s", doc.Offset.Value, doc.Offset.From)
	}
	delete(env, "CARBONPROBE_OFFSET")
	_, stdout, _ = runCLI(t, env, "ports", "--format", "json")
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Offset.Value != 6 || doc.Offset.Kind != "sysprop" || doc.Offset.From != "-DportOffset=6 in $JAVA_OPTS" {
		t.Errorf("JAVA_OPTS: offset %d %s from %s", doc.Offset.Value, doc.Offset.Kind, doc.Offset.From)
	}
}

func TestRefusedPortIsNamedInTheVerdict(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	down := testnet.Refused(t)
	code, stdout, _ := runCLI(t, nil, "check", "--ports", fmt.Sprintf("%d,%d", up.Port, down))
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout, fmt.Sprintf("UNHEALTHY: 1 problem(s), 1 of 2 required ports up")) ||
		!strings.Contains(stdout, fmt.Sprintf("  - %d/tcp: refused: nothing listens", down)) {
		t.Errorf("verdict does not name the refused port:\n%s", stdout)
	}
}

// TestSilentPortTimesOutWithinTimeoutPlusTenPercent runs the whole command
// against a port whose SYNs are dropped: it must fail within --timeout + 10%.
func TestSilentPortTimesOutWithinTimeoutPlusTenPercent(t *testing.T) {
	silent := testnet.Silent(t)
	up := testnet.Listen(t, "127.0.0.1:0")
	const timeout = time.Second
	code, stdout, _ := runCLI(t, nil, "check", "--ports", fmt.Sprintf("%d,%d", up.Port, silent), "--timeout", timeout.String(), "--format", "json")
	var doc struct {
		ElapsedMS float64 `json:"elapsed_ms"`
		Problems  []string
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if code != 1 || len(doc.Problems) != 1 || !strings.HasPrefix(doc.Problems[0], fmt.Sprintf("%d/tcp: timeout", silent)) {
		t.Fatalf("exit %d, output:\n%s", code, stdout)
	}
	// The check's own clock, from its first dial to its verdict.
	elapsed := time.Duration(doc.ElapsedMS * float64(time.Millisecond))
	if elapsed < timeout || elapsed > timeout+timeout/10 {
		t.Errorf("took %s, want within [%s, %s]", elapsed, timeout, timeout+timeout/10)
	}
}

func TestCheckJSONOnStdout(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	code, stdout, stderr := runCLI(t, nil, "check", "--ports", fmt.Sprint(up.Port), "--format", "json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var doc struct {
		Schema  string
		Healthy bool
		Ports   []struct {
			Number int
			State  string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if doc.Schema != "carbonprobe/check/v1" || !doc.Healthy || len(doc.Ports) != 1 || doc.Ports[0].Number != up.Port || doc.Ports[0].State != "bound" {
		t.Errorf("doc = %+v", doc)
	}
}

// openPTY opens a pseudo-terminal and returns its terminal side, and what
// has been written to it so far.
func openPTY(t *testing.T) (*os.File, func() string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	// What the terminal gets is read off the master side, or it fills.
	var mu sync.Mutex
	var got bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			got.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return tty, func() string {
		// The line discipline hands the bytes on at once; give the reader a moment.
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		out := got.String()
		got.Reset()
		return out
	}
}

// TestColourOnlyWhereTheReportGoes: colour is decided for the writer the
// report goes to: on a terminal yes (unless NO_COLOR or TERM=dumb), in an
// --output file never, whatever stdout is.
func TestColourOnlyWhereTheReportGoes(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	tty, written := openPTY(t)
	ports := fmt.Sprint(up.Port)
	run := func(env map[string]string, args ...string) {
		t.Helper()
		getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		if code := Run(context.Background(), append([]string{"carbonprobe"}, args...), tty, io.Discard, getenv); code != 0 {
			t.Fatalf("%q: exit %d", args, code)
		}
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		colour bool
	}{
		{"a terminal", nil, true},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, false},
	} {
		out := filepath.Join(t.TempDir(), "report.txt")
		// The report in a file: never coloured, though stdout is a terminal.
		run(tc.env, "check", "--ports", ports, "--output", out)
		if b, err := os.ReadFile(out); err != nil || strings.Contains(string(b), "\x1b[") || !strings.Contains(string(b), "HEALTHY") {
			t.Errorf("%s: --output file %q (%v)", tc.name, b, err)
		}
		if got := written(); got != "" {
			t.Errorf("%s: the terminal got %q with --output", tc.name, got)
		}
		// The same report on the terminal: as the case says.
		run(tc.env, "check", "--ports", ports)
		if got := written(); strings.Contains(got, "\x1b[") != tc.colour || !strings.Contains(got, "HEALTHY") {
			t.Errorf("%s: the terminal got %q, colour wanted %v", tc.name, got, tc.colour)
		}
	}
	// A buffer is no terminal.
	_, stdout, _ := runCLI(t, nil, "check", "--ports", ports)
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

func TestJMXCommand(t *testing.T) {
	good := carbonlike.Start(t, carbonlike.Options{})
	code, stdout, stderr := runCLI(t, nil, "jmx", "--profile", "carbon", "--offset", fmt.Sprint(good.Offset))
	reg, srv := good.Ports["jmx-registry"], good.Ports["jmx-server"]
	wantURL := fmt.Sprintf("JConsole URL: service:jmx:rmi://127.0.0.1:%d/jndi/rmi://127.0.0.1:%d/jmxrmi", srv, reg)
	if code != 0 || !strings.Contains(stdout, wantURL) {
		t.Errorf("good server: exit %d, want 0 and %q:\n%s%s", code, wantURL, stdout, stderr)
	}

	bad := carbonlike.Start(t, carbonlike.Options{JVMArgs: []string{"-Djava.rmi.server.hostname=wso2.invalid"}})
	code, stdout, _ = runCLI(t, nil, "jmx", "--profile", "carbon", "--offset", fmt.Sprint(bad.Offset), "--format", "json")
	var doc struct {
		Schema, Fix string
		OK          bool
		Endpoint    struct{ Host string }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if code != 1 || doc.OK || doc.Schema != "carbonprobe/jmx/v1" || doc.Endpoint.Host != "wso2.invalid" ||
		!strings.Contains(doc.Fix, "-Djava.rmi.server.hostname=127.0.0.1") {
		t.Errorf("wso2.invalid: exit %d, doc %+v", code, doc)
	}
}

func TestJMXWithoutARegistryPortIsUsage(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "jmx", "--ports", "8080")
	if code != 3 || !strings.Contains(stderr, "profile none has no RMI registry port: name one with --ports N=rmi-registry") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestCheckAll: two servers at different offsets, each checked at its own
// offset from its own command line. Other Carbon processes on the machine
// may be listed too; only these two are asserted.
func TestCheckAll(t *testing.T) {
	a := carbonlike.Start(t, carbonlike.Options{})
	b := carbonlike.Start(t, carbonlike.Options{Profile: "mi"})
	code, stdout, stderr := runCLI(t, nil, "check", "--all", "--format", "json", "--timeout", "5s")
	var doc struct {
		Schema  string
		Servers []struct {
			Healthy   bool
			Profile   string
			Offset    struct{ Value int }
			Discovery struct{ Server struct{ PID int } }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", code, err, stdout, stderr)
	}
	found := 0
	for _, s := range doc.Servers {
		for _, want := range []*carbonlike.Server{a, b} {
			if s.Discovery.Server.PID != want.PID {
				continue
			}
			found++
			if !s.Healthy || s.Offset.Value != want.Offset || s.Profile != want.Profile {
				t.Errorf("pid %d: healthy %v, profile %s, offset %d; want healthy, %s, %d", want.PID, s.Healthy, s.Profile, s.Offset.Value, want.Profile, want.Offset)
			}
		}
	}
	if doc.Schema != "carbonprobe/check-all/v1" || found != 2 {
		t.Errorf("schema %s, found %d of 2 servers:\n%s", doc.Schema, found, stdout)
	}
	if code, _, stderr := runCLI(t, nil, "check", "--all", "--offset", "3"); code != 3 || !strings.Contains(stderr, "flag --offset: --all checks each server with its own settings") {
		t.Errorf("--all --offset: exit %d, %s", code, stderr)
	}
}

// TestCheckByPIDReadsItsOffset: --pid alone is enough: the offset and the
// product come from the server's command line.
func TestCheckByPIDReadsItsOffset(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{Profile: "mi"})
	code, stdout, stderr := runCLI(t, nil, "check", "--pid", fmt.Sprint(srv.PID), "--timeout", "5s")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		fmt.Sprintf("(profile mi) on 127.0.0.1, offset %d from -DportOffset=%d in pid %d's command line", srv.Offset, srv.Offset, srv.PID),
		fmt.Sprintf("RANDOM PORTS of pid %d", srv.PID),
		"JDK local JMX connector",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestCheckByPIDReadsItsHome: --pid alone, on a server whose -Dcarbon.home
// holds a Carbon 4.4 home's files: product, version and the configured
// ports come from that home, as with --carbon-home.
func TestCheckByPIDReadsItsHome(t *testing.T) {
	home := t.TempDir()
	if err := os.CopyFS(home, os.DirFS("../../expect/testdata/homes/carbon-4.4.40")); err != nil {
		t.Fatal(err)
	}
	srv := carbonlike.Start(t, carbonlike.Options{Home: home})
	code, stdout, stderr := runCLI(t, nil, "check", "--pid", fmt.Sprint(srv.PID), "--timeout", "5s")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"(profile carbon, version 4.4.40)",
		fmt.Sprintf("offset %d from -DportOffset=%d in pid %d's command line", srv.Offset, srv.Offset, srv.PID),
		"not expected: clustering disabled (repository/conf/axis2/axis2.xml:",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestFlagsGivenTwice: --ports merges, any other flag given twice is refused
// (never silently the last one), and an empty value is an error, not unset.
func TestFlagsGivenTwice(t *testing.T) {
	a, b := testnet.Listen(t, "127.0.0.1:0"), testnet.Listen(t, "127.0.0.1:0")
	code, stdout, stderr := runCLI(t, nil, "check", "--ports", fmt.Sprint(a.Port), "--ports", fmt.Sprint(b.Port), "--format", "json")
	var doc struct{ Ports []struct{ Number int } }
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 || len(doc.Ports) != 2 {
		t.Errorf("--ports twice: exit %d, %+v (%v); want both ports checked:\n%s", code, doc, err, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ports", "--offset", "3", "--offset", "4"}, `flag --offset is given 2 times ("3", "4"): give it once`},
		{[]string{"check", "--pid=", "--ports", "1"}, "flag --pid: empty value"},
		{[]string{"ports", "--offset="}, "flag --offset: empty value"},
		{[]string{"check", "--host", "http://127.0.0.1:9443/", "--ports", "1"}, `flag --host: "http://127.0.0.1:9443/" is not a host name or an IP literal, not a URL`},
		{[]string{"check", "--host", "127.0.0.1:9443", "--ports", "1"}, "is not a host name or an IP literal, without a port"},
		{[]string{"check", "--host", "[::1]:9443", "--ports", "1"}, "without a port"},
		{[]string{"check", "--host", "my host", "--ports", "1"}, `flag --host: "my host" is not a host name or an IP literal`},
		{[]string{"ports", "--offset", strings.Repeat("9", 100_000)}, `... (100000 bytes) is not a whole number`},
	} {
		code, stdout, stderr := runCLI(t, nil, tc.args...)
		if len(stderr) > 2000 {
			t.Errorf("%.80q: %d bytes of error for one bad value", tc.args, len(stderr))
			continue
		}
		if code != 3 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%.80q: exit %d, stderr %q; want 3 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// A bracketed IPv6 literal is a host.
	if code, _, stderr := runCLI(t, nil, "check", "--host", "[::1]", "--ports", fmt.Sprint(testnet.Refused(t)), "--timeout", "1s"); code == 3 {
		t.Errorf("--host [::1] refused: %s", stderr)
	}
}

// TestQuietCarriesTheFirstProblemWhateverItIs: the one line Docker and
// Kubernetes keep says why, even when no port is down.
func TestQuietCarriesTheFirstProblemWhateverItIs(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	code, stdout, _ := runCLI(t, nil, "check", "--quiet", "--pid", "999999", "--ports", fmt.Sprint(up.Port))
	want := "unhealthy: ad-hoc ports, 1/1 required ports up; flag --pid 999999: no such process runs here\n"
	if code != 1 || stdout != want {
		t.Errorf("exit %d, %q; want 1 and %q", code, stdout, want)
	}
}

// TestThousandsOfDuplicatesAreAFewLines: one kind of problem, a few lines.
func TestThousandsOfDuplicatesAreAFewLines(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "ports", "--ports", "1000-5000", "--ports", "1000-5000")
	if code != 3 || strings.Count(stderr, "\n") != 4 || !strings.Contains(stderr, "and 3998 more ports are named twice") {
		t.Errorf("exit %d, %d lines:\n%.2000s", code, strings.Count(stderr, "\n"), stderr)
	}
}

// TestDidYouMean: a mistyped command or flag is named with the one meant,
// and the help hint names the program once.
func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"chek"}, `unknown command "chek"; did you mean check? (see carbonprobe --help)`},
		{[]string{"check", "--offest", "3"}, "flag provided but not defined: -offest; did you mean --offset? (see carbonprobe check --help)"},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus (see carbonprobe --help)"},
		{[]string{"xyzzy"}, `unknown command "xyzzy" (see carbonprobe --help)`},
		// No suggestion for a flag that shares only the dashes and a letter.
		{[]string{"check", "--color"}, "flag provided but not defined: -color (see carbonprobe check --help)"},
		{[]string{"jmx", "--quiet"}, "flag provided but not defined: -quiet (see carbonprobe jmx --help)"},
	} {
		code, _, stderr := runCLI(t, nil, tc.args...)
		if code != 3 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "carbonprobe carbonprobe") {
			t.Errorf("%q: exit %d, stderr %q; want 3 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestOutputTakesTheReport: with --output, check, check --all and
// check --targets write their report to the file and nothing to stdout; a
// file already there is replaced whole.
func TestOutputTakesTheReport(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(targets, []byte(fmt.Sprintf("targets:\n  - hosts: [127.0.0.1]\n    ports: \"%d\"\n", up.Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"check", []string{"check", "--ports", fmt.Sprint(up.Port)}, "HEALTHY"},
		{"check --all", []string{"check", "--all", "--format", "json"}, `"carbonprobe/check-all/v1"`},
		{"check --targets", []string{"check", "--targets", targets}, "1 target"},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
		if err := os.WriteFile(out, []byte(strings.Repeat("old report\n", 1000)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stdout, stderr := runCLI(t, nil, append(tc.args, "--output", out)...)
		b, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(b), tc.want) || strings.Contains(string(b), "old report") || stdout != "" {
			t.Errorf("%s --output: file %.200q (%v), stdout %q, stderr %q", tc.name, b, err, stdout, stderr)
		}
	}
}

// A probe setting given with --targets is one problem, said once: the
// file's targets carry their own.
func TestTargetsRefuseProbeFlagsOnce(t *testing.T) {
	targets := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(targets, []byte("targets:\n  - hosts: [127.0.0.1]\n    ports: \"9\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, map[string]string{"CARBONPROBE_TIMEOUT": "soon"}, "check", "--targets", targets)
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); code != 3 || len(lines) != 1 || !strings.Contains(stderr, "$CARBONPROBE_TIMEOUT with --targets") {
		t.Errorf("exit %d, want 3 and one line:\n%s", code, stderr)
	}
}

// A target that cannot be resolved is the one problem jmx names: no line
// about a registry port of a profile it never found.
func TestJMXUnknownProfileOneProblem(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "jmx", "--profile", "esb")
	if code != 3 || strings.Contains(stderr, "RMI registry port") || !strings.Contains(stderr, `unknown profile "esb"`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
