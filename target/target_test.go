package target

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
)

// TestMain lets procstest re-run this test binary as a fake Carbon server.
func TestMain(m *testing.M) {
	procstest.Main()
	os.Exit(m.Run())
}

// kernelHome makes a Carbon 4 kernel home whose carbon.xml says offset.
func kernelHome(t *testing.T, offset int) string {
	t.Helper()
	home := t.TempDir()
	if err := os.CopyFS(home, os.DirFS("../expect/testdata/homes/carbon-4.4.40")); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(home, "repository", "conf", "carbon.xml")
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(data), "<Offset>0</Offset>", fmt.Sprintf("<Offset>%d</Offset>", offset), 1)
	if out == string(data) && offset != 0 {
		t.Fatal("the kernel home's carbon.xml has no <Offset>0</Offset> to change")
	}
	if err := os.WriteFile(conf, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

func v(value, origin string) Value { return Value{Value: value, Origin: origin} }

func resolve(t *testing.T, req Request) Target {
	t.Helper()
	tg, err := Resolve(context.Background(), req)
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", req, err)
	}
	return tg
}

// TestPrecedence is the one table of the precedence every command uses: a
// flag, that flag's variable, the running server's command line, $JAVA_OPTS,
// the home's files, the profile's default. The server runs with
// -DportOffset=7 after its main class; its home's carbon.xml says 2.
func TestPrecedence(t *testing.T) {
	home := kernelHome(t, 2)
	srv := procstest.Start(t, procstest.Options{Home: home, ProgArgs: []string{"-DportOffset=7"}})
	pid := v(fmt.Sprint(srv.PID), "flag --pid")
	byHome := v(home, "flag --carbon-home")
	stopped := kernelHome(t, 2) // the same product, no server running

	for _, tc := range []struct {
		name     string
		req      Request
		offset   int
		from     string // a part of Offset.From
		note     string // a part of one note, "" for none about the offset
		noServer bool
	}{
		{"the server's command line", Request{PID: pid}, 7, "in pid " + fmt.Sprint(srv.PID) + "'s command line", "", false},
		{"found by its home", Request{CarbonHome: byHome}, 7, "command line", "", false},
		{"a flag beats the server", Request{PID: pid, Offset: v("3", "flag --offset")}, 3, "flag --offset",
			fmt.Sprintf("the server (pid %d) runs with offset 7", srv.PID), false},
		{"the flag's variable beats the server", Request{PID: pid, Offset: v("4", "$CARBONPROBE_OFFSET")}, 4, "$CARBONPROBE_OFFSET",
			"but this check expects 4 (from $CARBONPROBE_OFFSET)", false},
		{"--java-opts beats the server", Request{PID: pid, JavaOpts: v("-DportOffset=5", "flag --java-opts")}, 5, "flag --java-opts", "runs with offset 7", false},
		{"the server beats $JAVA_OPTS", Request{PID: pid, EnvJavaOpts: v("-Xmx1g -DportOffset=6", "$JAVA_OPTS")}, 7, "command line",
			"$JAVA_OPTS has -DportOffset=6, but pid", false},
		{"$JAVA_OPTS without -DportOffset changes nothing", Request{CarbonHome: byHome, EnvJavaOpts: v("-Xmx1g", "$JAVA_OPTS")}, 7, "command line", "", false},
		{"$JAVA_OPTS beats the files when no server runs", Request{CarbonHome: v(stopped, "flag --carbon-home"), EnvJavaOpts: v("-DportOffset=6", "$JAVA_OPTS")}, 6, "$JAVA_OPTS", "", true},
		{"the files when nothing else says", Request{CarbonHome: v(stopped, "flag --carbon-home")}, 2, "carbon.xml", "", true},
		{"the profile's default on another host", Request{Profile: v("mi", "flag --profile"), Host: "192.0.2.1"}, 10, "profile mi's default", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := resolve(t, tc.req)
			if tg.Spec.Offset.Value != tc.offset || !strings.Contains(tg.Spec.Offset.From, tc.from) {
				t.Errorf("offset %d from %q, want %d from %q", tg.Spec.Offset.Value, tg.Spec.Offset.From, tc.offset, tc.from)
			}
			if (tg.Server == nil) != tc.noServer || tg.Server != nil && tg.Server.PID != srv.PID {
				t.Errorf("server %+v, want pid %d: %v", tg.Server, srv.PID, !tc.noServer)
			}
			notes := strings.Join(tg.Notes, "\n")
			switch {
			case tc.note != "" && !strings.Contains(notes, tc.note):
				t.Errorf("notes lack %q:\n%s", tc.note, notes)
			case tc.note == "" && strings.Contains(notes, "offset"):
				t.Errorf("a note about the offset where the sources agree:\n%s", notes)
			}
		})
	}
}

func TestProductMismatchIsNoted(t *testing.T) {
	srv := procstest.Start(t, procstest.Options{ProgArgs: []string{"-DportOffset=7"}})
	tg := resolve(t, Request{PID: v(fmt.Sprint(srv.PID), "flag --pid"), Profile: v("mi", "flag --profile")})
	want := fmt.Sprintf("flag --profile mi expects the main class %s, but pid %d runs %s", procs.MainMI, srv.PID, procs.MainCarbon)
	if !strings.Contains(strings.Join(tg.Notes, "\n"), want) {
		t.Errorf("notes lack %q:\n%s", want, strings.Join(tg.Notes, "\n"))
	}
}

func TestTheServerWithoutAReadableHomeIsReadFromItsMainClass(t *testing.T) {
	srv := procstest.Start(t, procstest.Options{Product: procs.ProductMI, ProgArgs: []string{"-DportOffset=12"}})
	tg := resolve(t, Request{PID: v(fmt.Sprint(srv.PID), "flag --pid")})
	if tg.Spec.Profile != "mi" || tg.Spec.Offset.Value != 12 {
		t.Errorf("profile %s offset %d, want mi 12", tg.Spec.Profile, tg.Spec.Offset.Value)
	}
	if !strings.Contains(strings.Join(tg.Notes, "\n"), "does not read as a Carbon home") {
		t.Errorf("no note on the unreadable home: %q", tg.Notes)
	}
}

func TestNamedServerNotRunning(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	tg := resolve(t, Request{PID: v(fmt.Sprint(pid), "flag --pid"), Ports: v("1", "flag --ports")})
	want := fmt.Sprintf("flag --pid %d: no such process runs here", pid)
	if tg.Missing != want || tg.Gone == nil || tg.Gone.PID != pid || tg.Server != nil {
		t.Errorf("missing %q, gone %+v; want %q", tg.Missing, tg.Gone, want)
	}
	home := kernelHome(t, 0)
	tg = resolve(t, Request{CarbonHome: v(home, "$CARBON_HOME")})
	if !strings.HasPrefix(tg.Missing, "$CARBON_HOME "+home+": the server is not running: no wso2carbon.pid") || tg.Gone != nil {
		t.Errorf("missing %q, gone %+v", tg.Missing, tg.Gone)
	}
}

func TestFreshPidFileOfADeadProcessIsACrashedStart(t *testing.T) {
	home := kernelHome(t, 0)
	since := time.Now()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, procs.PidFileName), []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := resolve(t, Request{CarbonHome: v(home, "flag --carbon-home"), Since: since})
	if tg.Gone == nil || !strings.Contains(tg.Gone.Why, "after the wait began") {
		t.Errorf("gone %+v: want the server gone", tg.Gone)
	}
	// The same file from before the wait began is stale, not news.
	tg = resolve(t, Request{CarbonHome: v(home, "flag --carbon-home"), Since: since.Add(time.Hour)})
	if tg.Gone != nil || tg.Missing == "" {
		t.Errorf("a stale pid file: gone %+v, missing %q; want not running yet", tg.Gone, tg.Missing)
	}
}

func TestCmdMatch(t *testing.T) {
	one := procstest.Start(t, procstest.Options{ProgArgs: []string{"-Dtest.marker=target-one"}})
	tg := resolve(t, Request{CmdMatch: v(`test\.marker=target-one`, "flag --cmd-match"), Self: os.Getpid()})
	if tg.Server == nil || tg.Server.PID != one.PID || tg.Named == "" {
		t.Fatalf("server %+v, named %q; want pid %d", tg.Server, tg.Named, one.PID)
	}
	procstest.Start(t, procstest.Options{ProgArgs: []string{"-Dtest.marker=target-two"}})
	procstest.Start(t, procstest.Options{ProgArgs: []string{"-Dtest.marker=target-two"}})
	_, err := Resolve(context.Background(), Request{CmdMatch: v("target-two", "flag --cmd-match"), Self: os.Getpid()})
	var amb *AmbiguousError
	if !errors.As(err, &amb) || !strings.Contains(err.Error(), "matches 2 processes, expected one") {
		t.Errorf("err = %v, want an ambiguity naming both", err)
	}
}

func TestBadRequestIsEveryProblemAtOnce(t *testing.T) {
	_, err := Resolve(context.Background(), Request{PID: v("x", "flag --pid"), CmdMatch: v("(", "$CARBONPROBE_CMD_MATCH"),
		Offset: v("-1", "flag --offset")})
	for _, want := range []string{`flag --pid: "x" is not a process id`, `$CARBONPROBE_CMD_MATCH: "(" is not a regular expression`,
		"flag --pid and $CARBONPROBE_CMD_MATCH both name the server: give one", "flag --offset: -1 is negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err lacks %q:\n%v", want, err)
		}
	}
}

func TestPortsAloneLooksForNoServer(t *testing.T) {
	tg := resolve(t, Request{Ports: v("8080", "flag --ports")})
	if tg.Looked || tg.Server != nil || tg.Spec.Profile != expect.NoProfile {
		t.Errorf("looked %v, server %+v, profile %s: --ports alone dials only", tg.Looked, tg.Server, tg.Spec.Profile)
	}
}

func TestARestartIsFoundByTheHome(t *testing.T) {
	home := kernelHome(t, 0)
	first := procstest.Start(t, procstest.Options{Home: home, ProgArgs: []string{"-DportOffset=3"}})
	req := Request{PID: v(fmt.Sprint(first.PID), "flag --pid")}
	tg := resolve(t, req)
	prev := tg.Server
	first.Stop()
	second := procstest.Start(t, procstest.Options{Home: home, ProgArgs: []string{"-DportOffset=3"}})
	req.Previous = prev
	tg = resolve(t, req)
	if tg.Server == nil || tg.Server.PID != second.PID || tg.Spec.Offset.Value != 3 {
		t.Errorf("after the restart: server %+v offset %d, want pid %d at 3", tg.Server, tg.Spec.Offset.Value, second.PID)
	}
}

func TestDropForks(t *testing.T) {
	me, parent := os.Getpid(), os.Getppid()
	same := func(pid int) (int, string) { return pid, "sh -c x" }
	if got := dropForks([]int{me, parent}, same); len(got) != 1 || got[0] != parent {
		t.Errorf("same command line: %v, want only the parent %d", got, parent)
	}
	differ := func(pid int) (int, string) { return pid, fmt.Sprint(pid) }
	if got := dropForks([]int{me, parent}, differ); len(got) != 2 {
		t.Errorf("different command lines: %v, want both", got)
	}
}

func TestLocality(t *testing.T) {
	for _, tc := range []struct {
		host  string
		local bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.2", true},
		{"::1", true},
		{"0.0.0.0", true}, // a dial to the unspecified address reaches this host
		{"::", true},
		{"localhost", true},
		{"192.0.2.1", false}, // TEST-NET-1: classified, never dialled
		{"2001:db8::1", false},
	} {
		if _, local := Locality(context.Background(), tc.host, time.Second); local != tc.local {
			t.Errorf("%s: local %v, want %v", tc.host, local, tc.local)
		}
	}
}

func TestResolveAllRefusesWhatEachServerDecides(t *testing.T) {
	_, _, err := ResolveAll(context.Background(), Request{Offset: v("3", "$CARBONPROBE_OFFSET"), CarbonHome: v("/opt/wso2", "$CARBON_HOME"),
		Ports: v("1", "flag --ports")})
	for _, want := range []string{"$CARBONPROBE_OFFSET: --all checks each server with its own settings",
		"$CARBON_HOME: --all checks each server with its own settings", "flag --ports: --all"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err lacks %q:\n%v", want, err)
		}
	}
	_, _, err = ResolveAll(context.Background(), Request{Host: "192.0.2.1"})
	if err == nil || !strings.Contains(err.Error(), "--host 192.0.2.1 is not this host") {
		t.Errorf("err = %v", err)
	}
}

func TestResolveAllGivesEachServerItsOwnOffset(t *testing.T) {
	a := procstest.Start(t, procstest.Options{Home: kernelHome(t, 0), ProgArgs: []string{"-DportOffset=21"}})
	b := procstest.Start(t, procstest.Options{Product: procs.ProductMI, ProgArgs: []string{"-DportOffset=22"}})
	targets, _, err := ResolveAll(context.Background(), Request{EnvJavaOpts: v("-DportOffset=99", "$JAVA_OPTS"), Self: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{a.PID: 21, b.PID: 22}
	for _, tg := range targets {
		if off, ok := want[tg.Server.PID]; ok {
			if tg.Spec.Offset.Value != off {
				t.Errorf("pid %d: offset %d, want %d", tg.Server.PID, tg.Spec.Offset.Value, off)
			}
			delete(want, tg.Server.PID)
		}
	}
	if len(want) > 0 {
		t.Errorf("servers not found: %v", want)
	}
}

// TestPlaceholdersResolveFromTheServersEnvironment: `offset = "$env{X}"`
// in deployment.toml is what the server read from its own environment at
// start, not from carbonprobe's.
func TestPlaceholdersResolveFromTheServersEnvironment(t *testing.T) {
	home := t.TempDir()
	if err := os.CopyFS(home, os.DirFS("../expect/testdata/upstream/wso2mi-4.2.0")); err != nil {
		t.Fatal(err)
	}
	toml := filepath.Join(home, "conf", "deployment.toml")
	data, err := os.ReadFile(toml)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "# offset  = 10", `offset = "$env{CARBONPROBE_TEST_OFFSET}"`, 1))
	if err := os.WriteFile(toml, data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Setenv("CARBONPROBE_TEST_OFFSET", "17") // the server's environment only
	srv := procstest.Start(t, procstest.Options{Home: home, Product: procs.ProductMI})
	os.Unsetenv("CARBONPROBE_TEST_OFFSET")
	tg := resolve(t, Request{PID: v(fmt.Sprint(srv.PID), "flag --pid"), Getenv: os.LookupEnv})
	if tg.Spec.Offset.Value != 17 {
		t.Errorf("offset %d from %q, want 17 from the server's environment", tg.Spec.Offset.Value, tg.Spec.Offset.From)
	}
	// Without the server, this environment is asked, and lacks it: the
	// offset cannot be told, and the error names the variable.
	srv.Stop()
	_, err = Resolve(context.Background(), Request{CarbonHome: v(home, "flag --carbon-home"), Getenv: os.LookupEnv})
	if err == nil || !strings.Contains(err.Error(), "CARBONPROBE_TEST_OFFSET") || !strings.Contains(err.Error(), "this environment") {
		t.Errorf("err = %v, want the unresolved variable named", err)
	}
}
