package command

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
)

// kernelHome is a Carbon 4.4.40 home's files: carbon.xml at offset 0, as a
// server started with `bin/wso2server.sh -DportOffset=N` leaves it.
const kernelHome = "expect/testdata/homes/carbon-4.4.40"

// seen is what one command's JSON says of the target.
type seen struct {
	code    int
	offset  int
	profile string
	pid     int // the server found; 0 when the document does not say
}

// targetOf runs one command with --format json and reads its target back.
func targetOf(t *testing.T, env map[string]string, command string, args ...string) (seen, string) {
	t.Helper()
	extra := map[string][]string{
		"check":     {"--timeout", "5s"},
		"wait":      {"--timeout", "1m", "--dial-timeout", "5s", "--progress", "none"},
		"jmx":       {"--timeout", "5s"},
		"ports":     nil,
		"preflight": nil,
	}[command]
	code, stdout, stderr := runCLI(t, env, append(append(append([]string{command}, args...), extra...), "--format", "json")...)
	var doc struct {
		Profile string
		Offset  struct{ Value int }
		// check, ports
		Discovery struct{ Server struct{ PID int } }
		// wait
		Server *struct{ PID int }
		Check  *struct {
			Profile string
			Offset  struct{ Value int }
		}
		// jmx: "host:port" of the registry
		Registry string
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%s: exit %d, not one JSON document (%v):\n%s%s", command, code, err, stdout, stderr)
	}
	s := seen{code: code, offset: doc.Offset.Value, profile: doc.Profile, pid: doc.Discovery.Server.PID}
	switch {
	case doc.Check != nil:
		s.offset, s.profile = doc.Check.Offset.Value, doc.Check.Profile
		if doc.Server != nil {
			s.pid = doc.Server.PID
		}
	case doc.Registry != "":
		var port int
		if _, err := fmt.Sscanf(doc.Registry[strings.LastIndex(doc.Registry, ":")+1:], "%d", &port); err != nil {
			t.Fatalf("jmx: registry %q", doc.Registry)
		}
		s.offset = port - 9999 // jmx's document names no profile: the registry port says the offset
	}
	return s, stdout + stderr
}

// TestEveryCommandFindsTheSameTarget is the cross-command table: a server
// started as `bin/wso2server.sh -DportOffset=N` in a home whose carbon.xml
// says 0, named in every way a user names it, gives every command the same
// target: the server's own offset, product and pid.
func TestEveryCommandFindsTheSameTarget(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{HomeFrom: kernelHome})
	home, pid := srv.Home, fmt.Sprint(srv.PID)
	inputs := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"--carbon-home", nil, []string{"--carbon-home", home}},
		{"$CARBON_HOME", map[string]string{"CARBON_HOME": home}, nil},
		{"--carbon-home, $JAVA_OPTS without an offset", map[string]string{"JAVA_OPTS": "-Xmx1g"}, []string{"--carbon-home", home}},
		{"--carbon-home, $JAVA_OPTS with another offset", map[string]string{"JAVA_OPTS": "-DportOffset=1"}, []string{"--carbon-home", home}},
		{"--pid", nil, []string{"--pid", pid}},
		{"$CARBONPROBE_PID", map[string]string{"CARBONPROBE_PID": pid}, nil},
		{"--cmd-match", nil, []string{"--cmd-match", regexp.QuoteMeta("-Dcarbon.home=" + home + " ")}},
	}
	wantCode := map[string]int{"ports": 0, "check": 0, "wait": 0, "jmx": 0, "preflight": 1 /* every port is the server's */}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			for _, command := range []string{"ports", "check", "wait", "jmx", "preflight"} {
				got, out := targetOf(t, in.env, command, in.args...)
				if got.code != wantCode[command] || got.offset != srv.Offset || (command != "jmx" && got.profile != "carbon") {
					t.Errorf("%s: exit %d, profile %s, offset %d; want exit %d, carbon, offset %d (the server's):\n%s",
						command, got.code, got.profile, got.offset, wantCode[command], srv.Offset, out)
				}
				if got.pid != 0 && got.pid != srv.PID {
					t.Errorf("%s: server pid %d, want %d", command, got.pid, srv.PID)
				}
				if (command == "check" || command == "ports" || command == "wait") && got.pid == 0 {
					t.Errorf("%s: no server found:\n%s", command, out)
				}
			}
		})
	}

	// A flag is what the user says the server runs with: it wins, and the
	// report says that the server disagrees.
	code, stdout, _ := runCLI(t, nil, "check", "--carbon-home", home, "--offset", fmt.Sprint(srv.Offset+1), "--timeout", "1s", "--no-verify")
	want := fmt.Sprintf("the server (pid %d) runs with offset %d (-DportOffset=%d after the main class (program argument)), but this check expects %d (from flag --offset)",
		srv.PID, srv.Offset, srv.Offset, srv.Offset+1)
	if code != 1 || !strings.Contains(stdout, want) {
		t.Errorf("--offset %d: exit %d, want 1 and %q:\n%s", srv.Offset+1, code, want, stdout)
	}
	// ... and the server's own listeners say where it really runs; they are
	// its fixed ports, not random ones.
	wantMatch := fmt.Sprintf("the server runs at offset %d (its listeners match this set at that offset", srv.Offset)
	if !strings.Contains(stdout, wantMatch) {
		t.Errorf("no word of the offset the listeners match (%q):\n%s", wantMatch, stdout)
	}
	if strings.Contains(stdout, "unexplained") {
		t.Errorf("the server's fixed ports at its real offset are listed as random:\n%s", stdout)
	}
}

// TestAllRefusesTheVariablesOfTheFlagsItRefuses: check --all with
// CARBONPROBE_OFFSET set would check every server at that offset.
func TestAllRefusesTheVariablesOfTheFlagsItRefuses(t *testing.T) {
	code, _, stderr := runCLI(t, map[string]string{"CARBONPROBE_OFFSET": "3", "CARBONPROBE_PROFILE": "mi"}, "check", "--all")
	for _, want := range []string{"$CARBONPROBE_OFFSET: --all checks each server with its own settings", "$CARBONPROBE_PROFILE: --all checks each server with its own settings"} {
		if code != 3 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
}

// TestWaitBegunBeforeTheServer: an entrypoint starts the server in the
// background and waits for it; the wait begins before the JVM exists, and is
// ready at the offset the server was started with.
func TestWaitBegunBeforeTheServer(t *testing.T) {
	home := t.TempDir()
	off := carbonlike.FreeOffset(t, "carbon")
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	// The home's files must be there for the wait to read: copied by a first
	// server start that is stopped at once.
	first := carbonlike.Start(t, carbonlike.Options{Home: home, HomeFrom: kernelHome, Offset: off, OffsetSet: true})
	first.Stop()
	go func() {
		code, stdout, stderr := runCLI(t, nil, "wait", "--carbon-home", home, "--timeout", "2m", "--progress", "lines", "--format", "json")
		done <- result{code, stdout, stderr}
	}()
	srv := carbonlike.Start(t, carbonlike.Options{Home: home, Offset: off, OffsetSet: true, NoWait: true, Props: map[string]string{"carbonlike.delay": "300"}})
	r := <-done
	var doc struct {
		Ready  bool
		Server struct{ PID int }
		Check  struct{ Offset struct{ Value int } }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || !doc.Ready {
		t.Fatalf("exit %d (%v):\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if doc.Check.Offset.Value != off || doc.Server.PID != srv.PID {
		t.Errorf("ready at offset %d with pid %d, want %d and pid %d:\n%s", doc.Check.Offset.Value, doc.Server.PID, off, srv.PID, r.stderr)
	}
}

// TestWaitFollowsARestart: the JVM exits with status 121 before it binds,
// and the wso2server.sh-like loop starts a new one: wait says so and is
// ready on the new JVM.
func TestWaitFollowsARestart(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{HomeFrom: kernelHome, Launcher: true, NoWait: true,
		Props: map[string]string{"carbonlike.restartAfter": "500"}})
	code, stdout, stderr := runCLI(t, nil, "wait", "--carbon-home", srv.Home, "--timeout", "2m", "--progress", "lines")
	second := srv.JVMPID(t)
	for _, want := range []string{fmt.Sprintf("restarted (pid %d -> pid %d)", srv.PID, second), "READY: ready after"} {
		if code != 0 || !strings.Contains(stdout+stderr, want) {
			t.Errorf("exit %d; output lacks %q:\n%s%s", code, want, stdout, stderr)
		}
	}
	if strings.Contains(stdout+stderr, "SERVER EXITED") {
		t.Errorf("a restart was taken for an exit:\n%s", stdout)
	}
}
