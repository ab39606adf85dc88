package expect

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
)

// Every reader has a fuzz target. The seed corpus is the realistic homes'
// files plus hostile inputs (testdata/fuzz/<target>/); `go test` runs the
// seeds as ordinary tests, `go test -fuzz=FuzzX` explores from them.
//
// The invariants: no panic; an error is one line naming a line inside the
// input; every setting read points at a line inside the input.

// addHomeFiles seeds a target with every file of the test homes named name.
func addHomeFiles(f *testing.F, name string) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", "homes"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != name {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

// lineCount is how many lines the input has at most: YAML and .properties
// also break lines at a lone carriage return.
func lineCount(data []byte) int {
	return bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
}

// checkErr holds a reader's error to the rules every error of carbonprobe keeps.
func checkErr(t *testing.T, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var errs []error
	var m *multierror.Error
	if errors.As(err, &m) {
		errs = m.Errors
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		msg := e.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("error on more than one line: %q", msg)
		}
		var le lineError
		if !errors.As(e, &le) {
			t.Errorf("error without a line: %q", msg)
			continue
		}
		if le.Line < 1 || le.Line > lineCount(data) {
			t.Errorf("error at line %d of a %d-line input: %q", le.Line, lineCount(data), msg)
		}
	}
}

func checkSetting(t *testing.T, data []byte, s Setting) {
	t.Helper()
	if !s.Found() {
		return
	}
	if s.Line > lineCount(data) {
		t.Errorf("%s: line %d past the input's %d lines", s.Key, s.Line, lineCount(data))
	}
	if strings.ContainsAny(s.Where(), "\r\n") {
		t.Errorf("Where() on more than one line: %q", s.Where())
	}
}

func FuzzCarbonXML(f *testing.F) {
	addHomeFiles(f, "carbon.xml")
	f.Add([]byte(carbonXML("3")))
	f.Fuzz(func(t *testing.T, data []byte) {
		cx, err := ParseCarbonXML(data, "carbon.xml")
		checkErr(t, data, err)
		for k, s := range cx.Ports {
			if !strings.HasPrefix(k, "Ports.") || len(k) > maxCarbonKey {
				t.Errorf("key %q", k)
			}
			checkSetting(t, data, s)
		}
		checkSetting(t, data, cx.Offset)
		checkSetting(t, data, cx.HostName)
		if cx.Offset.Found() && cx.Ports["Ports.Offset"].Line != cx.Offset.Line {
			t.Errorf("Offset at line %d, Ports.Offset at %d", cx.Offset.Line, cx.Ports["Ports.Offset"].Line)
		}
	})
}

func FuzzJMXXML(f *testing.F) {
	addHomeFiles(f, "jmx.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := ParseJMXXML(data, "jmx.xml")
		checkErr(t, data, err)
		for _, s := range []Setting{j.Start, j.HostName, j.RegistryPort, j.ServerPort} {
			checkSetting(t, data, s)
			if len(s.Value) > maxXMLText {
				t.Errorf("%s holds %d bytes, past %d", s.Key, len(s.Value), maxXMLText)
			}
		}
	})
}

func FuzzAxis2XML(f *testing.F) {
	addHomeFiles(f, "axis2.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAxis2XML(data, "axis2.xml")
		checkErr(t, data, err)
		c := a.Clustering
		for _, s := range []Setting{c.Enable, c.Scheme, c.LocalMemberPort, c.McastPort} {
			checkSetting(t, data, s)
		}
		for _, s := range a.Receivers {
			checkSetting(t, data, s)
		}
	})
}

func checkSyslog(t *testing.T, s Syslog) {
	t.Helper()
	if s.Why == "" || strings.ContainsAny(s.Why, "\r\n") {
		t.Errorf("Why = %q: want one non-empty line", s.Why)
	}
	if s.Opens && s.From == "" {
		t.Errorf("a socket is expected, but From does not say where: %+v", s)
	}
	if s.Proto != UDP && s.Proto != TCP {
		t.Errorf("proto %q", s.Proto)
	}
}

func FuzzLog4j(f *testing.F) {
	addHomeFiles(f, "log4j.properties")
	f.Add([]byte("log4j.rootCategory=, S\nlog4j.appender.S=org.apache.log4j.net.SyslogAppender\nlog4j.appender.S.SyslogHost=[::1]:5514\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSyslog(t, ParseLog4j(data, "log4j.properties"))
	})
}

func FuzzLog4j2(f *testing.F) {
	addHomeFiles(f, "log4j2.properties")
	f.Add([]byte("appender.s.type = Syslog\nappender.s.name = s\nappender.s.protocol = UDP\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSyslog(t, ParseLog4j2(data, "log4j2.properties"))
	})
}

func FuzzDeploymentTOML(f *testing.F) {
	addHomeFiles(f, "deployment.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDeploymentTOML(data, "deployment.toml")
		checkErr(t, data, err)
		for k, s := range d.Values {
			if len(k) > maxCarbonKey {
				t.Errorf("key of %d bytes", len(k))
			}
			checkSetting(t, data, s)
		}
	})
}

func checkRows(t *testing.T, data []byte, rows []ExpectRow, err error) {
	t.Helper()
	checkErr(t, data, err)
	if err != nil {
		return
	}
	for _, r := range rows {
		if r.Line < 1 || r.Line > lineCount(data) {
			t.Errorf("row %q at line %d of %d", r.Name, r.Line, lineCount(data))
		}
		if r.Base < 1 || r.Base > MaxPort || r.Role.Proto() != r.Proto || (r.Need != Required && r.Need != Optional) {
			t.Errorf("an invalid row passed: %+v", r)
		}
	}
}

func FuzzExpectTOML(f *testing.F) {
	f.Add([]byte(expectTOMLExample))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseExpectFile(data, "ports.toml")
		checkRows(t, data, rows, err)
	})
}

func FuzzExpectYAML(f *testing.F) {
	f.Add([]byte(expectYAMLExample))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseExpectFile(data, "ports.yaml")
		checkRows(t, data, rows, err)
	})
}

// addUpstreamFiles seeds a target with every file of the upstream homes named name.
func addUpstreamFiles(f *testing.F, name string) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", "upstream"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != name {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

func FuzzCatalinaXML(f *testing.F) {
	addUpstreamFiles(f, "catalina-server.xml")
	f.Add([]byte("<Server><Service><Connector port=\"${http.port}\"/><Connector port=\"9443\" SSLEnabled=\"true\"/><Connector/></Service></Server>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalinaXML(data, "catalina-server.xml")
		checkErr(t, data, err)
		if len(c.Connectors) > maxConnectors {
			t.Errorf("%d connectors kept, past %d", len(c.Connectors), maxConnectors)
		}
		for _, k := range c.Connectors {
			checkSetting(t, data, k.Port)
			if len(k.Port.Value) > maxXMLText {
				t.Errorf("port attribute of %d bytes", len(k.Port.Value))
			}
		}
		if https := c.pick("https"); https != nil && !https.Secure {
			t.Errorf("pick(https) returned a plain connector")
		}
		if n := len(c.extras()); n > len(c.Connectors) {
			t.Errorf("%d extras of %d connectors", n, len(c.Connectors))
		}
	})
}

func FuzzInboundEndpoint(f *testing.F) {
	addUpstreamFiles(f, "WebSocketInboundEndpoint.xml")
	addUpstreamFiles(f, "SecureWebSocketInboundEndpoint.xml")
	addUpstreamFiles(f, "WebhookServer.xml")
	f.Add([]byte(`<inboundEndpoint name="h" protocol="http" suspend="true"><parameters><parameter name="inbound.http.port">$env{P}</parameter></parameters></inboundEndpoint>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ep, err := ParseInboundEndpoint(data, "ep.xml")
		checkErr(t, data, err)
		for _, s := range []Setting{ep.Suspend, ep.Port, ep.UseOffset} {
			checkSetting(t, data, s)
		}
		if strings.ContainsAny(ep.Name+ep.Protocol, "\r\n") || len(ep.Name) > maxCarbonKey {
			t.Errorf("name %q protocol %q", ep.Name, ep.Protocol)
		}
		if ep.Port.Found() && !isInboundPortParam(ep.Port.Key) {
			t.Errorf("port from parameter %q", ep.Port.Key)
		}
	})
}

// FuzzPlaceholders holds the placeholder expansion to its rules: it ends,
// it never panics, an error names the setting's line, and a value it calls
// known holds no placeholder it was asked to resolve.
func FuzzPlaceholders(f *testing.F) {
	for _, s := range []string{"$env{PORT}", "${carbon.home}/x", "$sys{p}$env{Q}", "$ref{a.b}", "$ref{loop}", "${", "$env{", "$secret{x}", "8280"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, value string, inTOML bool) {
		if len(value) > 4096 {
			return
		}
		toml := &DeploymentTOML{File: "conf/deployment.toml", Values: map[string]Setting{
			"a.b":  {Value: "$env{PORT}", File: "conf/deployment.toml", Line: 2, Key: "[a] b"},
			"loop": {Value: "$ref{loop}", File: "conf/deployment.toml", Line: 3, Key: "loop"},
		}}
		v := vars{props: sysProps{"p": "1", "carbon.home": "/h"}, propsFrom: "test", envFrom: "test env",
			environ: func(n string) (string, bool) {
				if n == "PORT" || n == "Q" {
					return "8280", true
				}
				return "", false
			}, toml: toml}
		file := "conf/carbon.xml"
		if inTOML {
			file = "conf/deployment.toml"
		}
		s := Setting{Value: value, File: file, Line: 7, Key: "k"}
		out, unknown, err := v.expand(s, "/home")
		switch {
		case err != nil:
			checkErr(t, []byte(strings.Repeat("\n", 7)), unwrapLine(err))
		case unknown != "":
			if strings.ContainsAny(unknown, "\r\n") && !strings.ContainsAny(value, "\r\n") {
				t.Errorf("unknown on more than one line: %q", unknown)
			}
		case strings.Contains(out.Value, "$env{") || strings.Contains(out.Value, "$sys{"):
			if inTOML && !strings.Contains(value, "${") {
				t.Errorf("%q expanded to %q, still holding a placeholder", value, out.Value)
			}
		}
	})
}

// unwrapLine turns "path:7: msg" back into a lineError for checkErr.
func unwrapLine(err error) error {
	msg := err.Error()
	parts := strings.SplitN(msg, ":", 3)
	if len(parts) < 3 {
		return err
	}
	n := 0
	for _, c := range parts[1] {
		if c < '0' || c > '9' {
			return err
		}
		n = n*10 + int(c-'0')
	}
	return lineError{n, parts[2]}
}
