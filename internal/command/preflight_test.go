package command

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/probe/preflight"
)

func TestPreflightSquattedPort(t *testing.T) {
	held := testnet.Listen(t, "127.0.0.1:0").Port
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	code, stdout, stderr := runCLI(t, nil, "preflight", "--ports", fmt.Sprintf("%d,%d", held, free))
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		"BUSY: 1 of 2 ports tested are not free",
		fmt.Sprintf("  - %d/tcp: busy: in use: the server's bind would fail with \"Address already in use\"; held by pid %d", held, os.Getpid()),
		fmt.Sprintf("[tcp 127.0.0.1:%d LISTEN]", held),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = runCLI(t, nil, "preflight", "--ports", fmt.Sprint(free), "--format", "json")
	var doc struct {
		Schema string
		Free   bool
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 || doc.Schema != "carbonprobe/preflight/v1" || !doc.Free {
		t.Errorf("exit %d, json %+v (%v):\n%s", code, doc, err, stdout)
	}
}

// TestPreflightSuggest squats a port of the mi profile at a free offset: the
// suggestion must be another offset, whose whole set binds.
func TestPreflightSuggest(t *testing.T) {
	// A starting offset whose set is free now, found by the package itself.
	base, err := expect.Resolve(expect.Input{Profile: expect.Text{Value: "mi", Origin: "test"}, Offset: expect.Text{Value: "1000", Origin: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	start := preflight.Suggest(context.Background(), 1000, func(off int) (expect.Spec, error) { return base.AtOffset(off, "test") }, preflight.Options{})
	if !start.Found {
		t.Fatalf("no free offset from 1000 here: %s", start.Why)
	}
	from := start.Offset
	squat, err := net.Listen("tcp", fmt.Sprintf(":%d", 8280+from)) // passthrough-http at that offset
	if err != nil {
		t.Fatal(err)
	}
	defer squat.Close()

	code, stdout, stderr := runCLI(t, nil, "preflight", "--suggest", "--from", strconv.Itoa(from), "--profile", "mi")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	got, err := strconv.Atoi(strings.TrimSpace(stdout))
	if err != nil {
		t.Fatalf("stdout is not the offset alone: %q", stdout)
	}
	if got <= from {
		t.Errorf("suggested %d, want above the squatted %d", got, from)
	}
	if !strings.Contains(stderr, fmt.Sprintf("  offset %d: passthrough-http %d/tcp: busy", from, 8280+from)) {
		t.Errorf("stderr does not say why offset %d was passed over:\n%s", from, stderr)
	}
	// The suggested offset's set is free: preflight itself agrees.
	if code, out, _ := runCLI(t, nil, "preflight", "--profile", "mi", "--offset", strconv.Itoa(got)); code != 0 {
		t.Errorf("preflight --offset %d: exit %d\n%s", got, code, out)
	}
	code, stdout, _ = runCLI(t, nil, "preflight", "--suggest", "--from", strconv.Itoa(from), "--profile", "mi", "--format", "json")
	var doc struct {
		Schema string
		Found  bool
		Offset int
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 || doc.Schema != "carbonprobe/suggest/v1" || !doc.Found || doc.Offset != got {
		t.Errorf("exit %d, json %+v (%v)", code, doc, err)
	}
}

func TestPreflightBadUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"suggest with --offset", []string{"preflight", "--suggest", "--offset", "3"}, "give --from N to start the search at N, not --offset"},
		{"suggest with --ports alone", []string{"preflight", "--suggest", "--ports", "8080"}, "--suggest needs a profile"},
		{"from without suggest", []string{"preflight", "--from", "3"}, "--from goes with --suggest"},
		{"bad from", []string{"preflight", "--suggest", "--from", "-1"}, `flag --from: "-1" is not an offset`},
		{"bad bind", []string{"preflight", "--bind", "localhost"}, `flag --bind: "localhost" is not an IP address`},
		{"an argument", []string{"preflight", "3"}, `unexpected argument "3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tc.args...)
			if code != 3 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 3 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}
