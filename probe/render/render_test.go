package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	goldenfile "github.com/carbonprobe/carbonprobe/internal/golden"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.Check(t, name, got) }

// update is the shared -update flag.
var update = goldenfile.Update

func spec(t *testing.T, profile, offset, ports string) expect.Spec {
	t.Helper()
	in := expect.Input{Profile: expect.Text{Value: profile, Origin: "flag --profile"}, Ports: expect.Text{Value: ports, Origin: "flag --ports"}}
	if offset != "" {
		in.Offset = expect.Text{Value: offset, Origin: "flag --offset"}
	}
	s, err := expect.Resolve(in)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// report builds a fixed report, so output does not depend on timing.
func report(t *testing.T, sp expect.Spec, states map[string]probe.State) probe.Report {
	t.Helper()
	rep := probe.Report{Target: target.Target{Spec: sp, Host: "127.0.0.1"}, Timeout: 2 * time.Second, Elapsed: 3210 * time.Microsecond}
	for i, p := range sp.Ports {
		r := probe.Result{Port: p, State: probe.Bound, Latency: time.Duration(150+i*10) * time.Microsecond}
		if st, ok := states[p.Name]; ok {
			r.State = st
		}
		switch r.State {
		case probe.Refused:
			r.Detail = "nothing listens"
		case probe.Timeout:
			r.Detail, r.Latency = "no answer within the deadline", 2*time.Second
		case probe.Silent:
			r.Detail = "no answer and no ICMP refusal: something may listen, or a firewall drops; UDP silence proves nothing"
		}
		if p.Need == expect.Off {
			r.State, r.Detail, r.Latency = probe.Skipped, p.Condition, 0
		}
		rep.Results = append(rep.Results, r)
	}
	return rep
}

func TestPortsGolden(t *testing.T) {
	for _, tc := range []struct{ name, profile, offset, ports string }{
		{"ports-mi-offset3.txt", "mi", "3", ""},
		{"ports-mi-default.txt", "mi", "", ""},
		{"ports-carbon-offset2.txt", "carbon", "2", ""},
		{"ports-none.txt", "none", "", "8080,8000/udp=kdc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := PortsText(&b, target.Target{Spec: spec(t, tc.profile, tc.offset, tc.ports)}, Style{}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
	var b bytes.Buffer
	if err := PortsJSON(&b, target.Target{Spec: spec(t, "mi", "3", "")}); err != nil {
		t.Fatal(err)
	}
	golden(t, "ports-mi-offset3.json", b.Bytes())
}

func TestCheckGolden(t *testing.T) {
	healthy := report(t, spec(t, "mi", "3", ""), map[string]probe.State{"ldap": probe.Refused, "kdc": probe.Refused, "jmx-registry": probe.Refused, "jmx-server": probe.Refused})
	unhealthy := report(t, spec(t, "carbon", "2", "8000/udp"), map[string]probe.State{
		"https": probe.Refused, "jmx-server": probe.Timeout, "ldap": probe.Refused, "kdc": probe.Refused, "8000/udp": probe.Silent})
	verified := report(t, spec(t, "carbon", "2", ""), map[string]probe.State{"ldap": probe.Refused, "kdc": probe.Refused})
	answers := map[string]*probe.Answer{
		"https": {Protocol: "https", OK: true, Detail: "TLS 1.3, CN=localhost, O=WSO2 (self-issued), 364 days left; HTTP/1.1 200",
			Warnings: []string{"WSO2's default self-signed certificate: replace it before production"}, Took: 900 * time.Microsecond},
		"http":         {Protocol: "http", OK: true, Detail: "HTTP/1.1 200, Server: WSO2 Carbon Server", Took: 60 * time.Microsecond},
		"jmx-registry": {Protocol: "rmi-registry", Detail: "RMI server: JRMP with exported objects, no registry", Seen: "an RMI server", Fields: map[string]string{"rmi_role": "object-endpoint"}},
		"jmx-server":   {Protocol: "rmi-server", Detail: "RMI registry; jmxrmi -> 127.0.0.1:10001 (UnicastRef)", Seen: "an RMI registry", Fields: map[string]string{"rmi_role": "registry"}},
	}
	for i := range verified.Results {
		verified.Results[i].Answer = answers[verified.Results[i].Port.Name]
	}
	verified.Notes = []string{"the JMX ports are swapped: the registry answers on 11113 and the RMI server on 10001"}
	for _, tc := range []struct {
		name  string
		rep   probe.Report
		style Style
	}{
		{"check-carbon-verified.txt", verified, Style{}},
		{"check-mi-healthy.txt", healthy, Style{}},
		{"check-carbon-unhealthy.txt", unhealthy, Style{}},
		{"check-carbon-unhealthy.color.txt", unhealthy, Style{Color: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := CheckText(&b, tc.rep, tc.style); err != nil {
				t.Fatal(err)
			}
			if !tc.style.Color && bytes.Contains(b.Bytes(), []byte("\x1b[")) {
				t.Error("colour codes in plain output")
			}
			golden(t, tc.name, b.Bytes())
		})
	}
	for _, tc := range []struct {
		name string
		rep  probe.Report
	}{{"check-mi-healthy.json", healthy}, {"check-carbon-unhealthy.json", unhealthy}, {"check-carbon-verified.json", verified}} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := CheckJSON(&b, tc.rep); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

// TestCheckJSONSchema pins the fields docs/json.md promises, so a rename
// cannot slip through a golden-file update unnoticed.
func TestCheckJSONSchema(t *testing.T) {
	rep := report(t, spec(t, "carbon", "2", ""), map[string]probe.State{"https": probe.Refused})
	var b bytes.Buffer
	if err := CheckJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "verdict", "healthy", "host", "profile", "title", "offset", "timeout_ms", "elapsed_ms", "ports", "random", "problems", "warnings", "generator", "level", "signals"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("top-level field %q missing", k)
		}
	}
	if doc["schema"] != CheckSchema || doc["verdict"] != "unhealthy" || doc["healthy"] != false {
		t.Errorf("schema/verdict/healthy = %v/%v/%v", doc["schema"], doc["verdict"], doc["healthy"])
	}
	port := doc["ports"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "number", "proto", "role", "need", "base", "offset_applies", "why", "source", "state", "latency_ms", "level"} {
		if _, ok := port[k]; !ok {
			t.Errorf("port field %q missing", k)
		}
	}
	if port["state"] != "refused" || port["number"] != float64(9445) {
		t.Errorf("first port = %v", port)
	}
}

func TestWriteErrorsAreReturned(t *testing.T) {
	rep := report(t, spec(t, "mi", "3", ""), nil)
	if err := CheckText(failWriter{}, rep, Style{}); err == nil {
		t.Error("CheckText hid a write error")
	}
	if err := PortsText(failWriter{}, rep.Target, Style{}); err == nil {
		t.Error("PortsText hid a write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// TestNarrowTerminalTable: on a terminal narrower than the table, the
// detail goes under its row instead of wrapping the line.
func TestNarrowTerminalTable(t *testing.T) {
	rep := report(t, spec(t, "mi", "3", ""), map[string]probe.State{})
	var wide, narrow bytes.Buffer
	if err := CheckText(&wide, rep, Style{}); err != nil {
		t.Fatal(err)
	}
	if err := CheckText(&narrow, rep, Style{Width: 60}); err != nil {
		t.Fatal(err)
	}
	longest := func(s string) (n int) {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "NAME") || strings.HasPrefix(l, "passthrough") || strings.HasPrefix(l, "internal") {
				n = max(n, len(l))
			}
		}
		return n
	}
	if longest(wide.String()) <= 60 {
		t.Fatalf("the wide table is only %d columns: nothing to test", longest(wide.String()))
	}
	if n := longest(narrow.String()); n > 60 {
		t.Errorf("a table row of %d columns on a 60-column terminal:\n%s", n, narrow.String())
	}
	if !strings.Contains(narrow.String(), "\n    ") {
		t.Errorf("no detail under its row:\n%s", narrow.String())
	}
}

// TestRequiredCountsAgree: the text verdict and the quiet line count the
// same required ports; one whose number cannot be known is in neither.
func TestRequiredCountsAgree(t *testing.T) {
	sp := spec(t, "carbon", "2", "")
	sp.Ports[0].Unknown = "$env{HTTPS_PORT} is not set"
	rep := report(t, sp, nil)
	rep.Results[0].State, rep.Results[0].Detail = probe.Skipped, sp.Ports[0].Skipped()
	up, of := rep.RequiredUp()
	var text bytes.Buffer
	if err := CheckText(&text, rep, Style{}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d of %d required ports up", up, of)
	if !strings.Contains(text.String(), want) || up != of {
		t.Errorf("text lacks %q:\n%s", want, text.String())
	}
	if q := QuietLine(rep); !strings.Contains(q, fmt.Sprintf("%d/%d required ports up", up, of)) {
		t.Errorf("quiet line %q, want %d/%d", q, up, of)
	}
}
