package render

import (
	"io"

	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/probe/jmxdiag"
)

// JMXSchema names the JSON document of `carbonprobe jmx`.
const JMXSchema = "carbonprobe/jmx/v1"

// JMXText writes the two-hop JConsole diagnosis: one line per step, the
// service URL to paste, and the fix when something is wrong.
func JMXText(w io.Writer, rep jmxdiag.Report, why string, st Style) error {
	ew := &errWriter{w: w}
	ew.printf("%s\n", st.paint("JMX registry "+rep.Registry+" ("+why+")", bold))
	t := &table{header: []string{"STEP", "RESULT", "DETAIL"}}
	for _, s := range rep.Steps {
		t.add(plain(s.Name), colored(s.Status, stepColor(s.Status)), plain(s.Detail))
	}
	ew.table(t, st)
	if rep.ServiceURL != "" {
		ew.printf("JConsole URL: %s\n", rep.ServiceURL)
	}
	if rep.OK {
		ew.printf("%s: a JMX client can connect from here (log in with the server's credentials)\n", st.paint("OK", green+";"+bold))
	} else {
		ew.printf("%s: %s\n", st.paint("FAIL", red+";"+bold), rep.Fix)
	}
	return ew.err
}

func stepColor(status string) string {
	switch status {
	case jmxdiag.OK:
		return green
	case jmxdiag.Fail:
		return red
	case jmxdiag.Warn:
		return yellow
	}
	return dim
}

type jsonStep struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

type jsonEndpoint struct {
	Host    string `json:"host"`
	Port    int    `json:"port"`
	Ref     string `json:"ref"`
	Class   string `json:"class,omitempty"`
	Factory string `json:"factory,omitempty"`
}

// JMXJSON writes the diagnosis as one JSON document (schema carbonprobe/jmx/v1).
func JMXJSON(w io.Writer, rep jmxdiag.Report, why string) error {
	steps := make([]jsonStep, len(rep.Steps))
	for i, s := range rep.Steps {
		steps[i] = jsonStep(s)
	}
	var ep *jsonEndpoint
	if e := rep.Endpoint; e != nil {
		ep = &jsonEndpoint{e.Host, e.Port, e.Ref, e.Class, e.Factory}
	}
	return writeJSON(w, struct {
		Schema     string         `json:"schema"`
		Generator  buildinfo.Info `json:"generator"`
		OK         bool           `json:"ok"`
		Registry   string         `json:"registry"`
		Why        string         `json:"why"`
		Steps      []jsonStep     `json:"steps"`
		Endpoint   *jsonEndpoint  `json:"endpoint,omitempty"`
		ServiceURL string         `json:"service_url,omitempty"`
		Fix        string         `json:"fix,omitempty"`
	}{JMXSchema, buildinfo.Get(), rep.OK, rep.Registry, why, steps, ep, rep.ServiceURL, rep.Fix})
}
