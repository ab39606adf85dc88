package render

import (
	"bytes"
	"encoding/xml"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
)

var junitStart = time.Date(2026, 11, 25, 18, 30, 5, 0, time.UTC)

func junitReports(t *testing.T) map[string]probe.Report {
	healthy := report(t, spec(t, "mi", "3", ""), map[string]probe.State{"ldap": probe.Refused, "kdc": probe.Refused, "jmx-registry": probe.Refused, "jmx-server": probe.Refused})
	unhealthy := report(t, spec(t, "carbon", "2", "8000/udp"), map[string]probe.State{
		"https": probe.Refused, "jmx-server": probe.Timeout, "ldap": probe.Refused, "kdc": probe.Refused, "8000/udp": probe.Silent})
	// What a log line or an error text can bring in: markup, quotes, a
	// control byte that XML 1.0 cannot carry.
	hostile := report(t, spec(t, "none", "", "8080,8081"), map[string]probe.State{"8081/tcp": probe.Failed})
	hostile.Results[1].Detail = `connect: <weird> & "quoted" 'text' ]]> end` + "\x01\x1b[31m"
	nohost := report(t, spec(t, "mi", "", ""), nil)
	nohost.HostErr = "host carbon.invalid does not resolve here"
	for i := range nohost.Results {
		nohost.Results[i].State, nohost.Results[i].Latency = probe.Skipped, 0
	}
	nohost.Target.Host = "carbon.invalid"
	verified := report(t, spec(t, "carbon", "2", ""), map[string]probe.State{"ldap": probe.Refused, "kdc": probe.Refused})
	answers := map[string]*probe.Answer{
		"https": {Protocol: "https", OK: true, Detail: "TLS 1.3, CN=localhost, O=WSO2 (self-issued), 364 days left; HTTP/1.1 200",
			Warnings: []string{"WSO2's default self-signed certificate: replace it before production"}},
		"http":         {Protocol: "http", OK: true, Detail: "HTTP/1.1 200, Server: WSO2 Carbon Server"},
		"jmx-registry": {Protocol: "rmi-registry", Detail: "RMI server: JRMP with exported objects, no registry", Seen: "an RMI server"},
		"ldap":         {Protocol: "ldap", Detail: "TLS handshake, not LDAP", Seen: "TLS"},
	}
	for i := range verified.Results {
		verified.Results[i].Answer = answers[verified.Results[i].Port.Name]
	}
	verified.Results[4].State = probe.Bound // ldap: accepted, but the wrong protocol; optional
	return map[string]probe.Report{
		"check-carbon-verified.xml":  verified,
		"check-mi-healthy.xml":       healthy,
		"check-carbon-unhealthy.xml": unhealthy,
		"check-hostile-detail.xml":   hostile,
		"check-host-unresolved.xml":  nohost,
	}
}

func TestCheckJUnitGolden(t *testing.T) {
	for name, rep := range junitReports(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := CheckJUnit(&b, rep, JUnitOptions{Timestamp: junitStart}); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("junit", name), b.Bytes())
			validateJUnit(t, b.Bytes())
		})
	}
}

// TestCheckJUnitCounts reads the document back and checks that the counts
// and outcomes agree with the verdict, case by case.
func TestCheckJUnitCounts(t *testing.T) {
	rep := junitReports(t)["check-carbon-unhealthy.xml"]
	extra := JUnitCase{Name: "server process stays up", Failure: "pid 42 exited", Type: "server-exited", Text: "last log lines"}
	var b bytes.Buffer
	err := CheckJUnit(&b, rep, JUnitOptions{Suite: "s", Properties: []JUnitProperty{{"wait.reason", "timeout"}}, Cases: []JUnitCase{extra}})
	if err != nil {
		t.Fatal(err)
	}
	validateJUnit(t, b.Bytes())
	var doc struct {
		Suites []struct {
			Name      string `xml:"name,attr"`
			Tests     int    `xml:"tests,attr"`
			Failures  int    `xml:"failures,attr"`
			Errors    int    `xml:"errors,attr"`
			Skipped   int    `xml:"skipped,attr"`
			Timestamp string `xml:"timestamp,attr"`
			Props     []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	// 8 ports + the extra case; failures: https (refused), jmx-server (timeout), the extra;
	// skipped: ldap, kdc (optional, refused), hazelcast, multicast (off).
	if s.Name != "s" || s.Tests != 10 || s.Failures != 3 || s.Errors != 0 || s.Skipped != 4 || s.Timestamp != "" {
		t.Errorf("suite %q: tests %d failures %d errors %d skipped %d timestamp %q", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, s.Timestamp)
	}
	failed := map[string]string{}
	for _, c := range s.Cases {
		if c.Failure != nil {
			failed[c.Name] = c.Failure.Type + " | " + c.Failure.Message
		}
	}
	want := map[string]string{
		"https 9445/tcp":          "refused | https 9445/tcp: refused: nothing listens (expected 9443 + offset 2 from flag --offset: is the server running with that offset?)",
		"jmx-server 11113/tcp":    "timeout | jmx-server 11113/tcp: timeout: no answer within the deadline (expected 11111 + offset 2 from flag --offset: is the server running with that offset?)",
		"server process stays up": "server-exited | pid 42 exited",
	}
	if len(failed) != len(want) {
		t.Errorf("failed cases %v, want %v", failed, want)
	}
	for k, v := range want {
		if failed[k] != v {
			t.Errorf("case %q: failure %q, want %q", k, failed[k], v)
		}
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	for _, k := range []string{"host", "profile", "offset", "offset.from", "random.jmxremote/tcp", "random.syslog/udp", "wait.reason"} {
		if props[k] == "" {
			t.Errorf("property %q missing: %v", k, props)
		}
	}
	if !strings.Contains(props["random.jmxremote/tcp"], "never in the verdict") {
		t.Errorf("random port property does not say it is kept out of the verdict: %q", props["random.jmxremote/tcp"])
	}
}

// TestJUnitSchemaRejects proves the schema check can fail: documents that
// break the format are refused by xmllint.
func TestJUnitSchemaRejects(t *testing.T) {
	requireXmllint(t)
	for name, doc := range map[string]string{
		"no name":          `<testsuites><testsuite tests="1" failures="0" errors="0" time="0" hostname="h"/></testsuites>`,
		"two outcomes":     `<testsuites><testsuite name="s" tests="1" failures="1" errors="0" time="0" hostname="h"><testcase name="c" classname="k" time="0"><failure/><skipped/></testcase></testsuite></testsuites>`,
		"bad time":         `<testsuites><testsuite name="s" tests="0" failures="0" errors="0" time="1s" hostname="h"/></testsuites>`,
		"zoned timestamp":  `<testsuites><testsuite name="s" tests="0" failures="0" errors="0" time="0" hostname="h" timestamp="2026-11-25T18:30:05Z"/></testsuites>`,
		"properties after": `<testsuites><testsuite name="s" tests="1" failures="0" errors="0" time="0" hostname="h"><testcase name="c" classname="k" time="0"/><properties/></testsuite></testsuites>`,
	} {
		t.Run(name, func(t *testing.T) {
			if out, err := xmllint(t, []byte(doc)); err == nil {
				t.Errorf("xmllint accepted an invalid document:\n%s", out)
			}
		})
	}
}

func TestCheckJUnitWriteError(t *testing.T) {
	rep := junitReports(t)["check-mi-healthy.xml"]
	if err := CheckJUnit(failWriter{}, rep, JUnitOptions{}); err == nil {
		t.Error("CheckJUnit hid a write error")
	}
}

func requireXmllint(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint not found: apt-get install libxml2-utils (scripts/install-deps.sh installs it)")
	}
}

func xmllint(t *testing.T, doc []byte) ([]byte, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	return exec.Command("xmllint", "--noout", "--nonet", "--schema", filepath.Join("testdata", "junit", "junit.xsd"), f).CombinedOutput()
}

func validateJUnit(t *testing.T, doc []byte) {
	t.Helper()
	requireXmllint(t)
	if out, err := xmllint(t, doc); err != nil {
		t.Errorf("not valid against testdata/junit/junit.xsd: %v\n%s\n%s", err, out, doc)
	}
}

// TestCheckJUnitServerProblems: a problem of no port (the named server not
// running, a random port under --strict-extras) is a failed case too, so
// that the JUnit result agrees with the exit code.
func TestCheckJUnitServerProblems(t *testing.T) {
	rep := report(t, spec(t, "carbon", "2", ""), nil)
	rep.Target.Missing = "the server named by flag --pid 4242 is not running"
	rep.StrictExtras = true
	rep.Extras = []probe.Extra{{Extra: sockets.Extra{Socket: sockets.Socket{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:44685")}, What: "JDK local JMX connector"}}}
	if rep.Healthy() {
		t.Fatal("the report is healthy")
	}
	var b bytes.Buffer
	if err := CheckJUnit(&b, rep, JUnitOptions{}); err != nil {
		t.Fatal(err)
	}
	validateJUnit(t, b.Bytes())
	out := b.String()
	for _, want := range []string{`failures="2"`, "is not running", "--strict-extras allows the fixed ports only"} {
		if !strings.Contains(out, want) {
			t.Errorf("JUnit lacks %q:\n%s", want, out)
		}
	}
}
