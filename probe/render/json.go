package render

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/probe"
)

// Schema names. A field is only ever added to a schema version; a change
// that could break a reader gets a new version. See docs/json.md.
const (
	PortsSchema    = "carbonprobe/ports/v1"
	CheckSchema    = "carbonprobe/check/v1"
	CheckAllSchema = "carbonprobe/check-all/v1"
)

type jsonOffset struct {
	Value  int    `json:"value"`
	Kind   string `json:"kind"`
	From   string `json:"from"`
	Source string `json:"source,omitempty"`
}

type jsonPort struct {
	Name          string `json:"name"`
	Number        int    `json:"number"`
	Proto         string `json:"proto"`
	Role          string `json:"role"`
	Need          string `json:"need"`
	Base          int    `json:"base"`
	OffsetApplies bool   `json:"offset_applies"`
	Why           string `json:"why"`
	Condition     string `json:"condition,omitempty"`
	Source        string `json:"source"`
	AdHoc         bool   `json:"adhoc,omitempty"`
	From          string `json:"from,omitempty"`
}

type jsonRandom struct {
	Kind     string `json:"kind"`
	Proto    string `json:"proto"`
	Expected bool   `json:"expected"`
	Why      string `json:"why"`
	Pin      string `json:"pin"`
	Source   string `json:"source"`
	From     string `json:"from,omitempty"`
}

type jsonDocs struct {
	Claim  string `json:"claim"`
	Fact   string `json:"fact"`
	Source string `json:"source"`
}

type jsonSpec struct {
	Profile string       `json:"profile"`
	Title   string       `json:"title"`
	Offset  jsonOffset   `json:"offset"`
	Ports   []jsonPort   `json:"ports"`
	Random  []jsonRandom `json:"random"`
	Home    string       `json:"home,omitempty"`
	Version string       `json:"version,omitempty"`
	Chosen  string       `json:"chosen,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
}

func specJSON(spec expect.Spec) jsonSpec {
	js := jsonSpec{
		Profile: spec.Profile, Title: spec.Title,
		Offset: jsonOffset{spec.Offset.Value, string(spec.Offset.Kind), spec.Offset.From, spec.Offset.Source},
		Ports:  make([]jsonPort, len(spec.Ports)),
		Random: make([]jsonRandom, len(spec.Random)),
		Home:   spec.Home, Version: spec.Version, Notes: spec.Notes,
	}
	if spec.Home != "" {
		js.Chosen = spec.Chosen
	}
	for i, p := range spec.Ports {
		js.Ports[i] = portJSON(p)
	}
	for i, r := range spec.Random {
		js.Random[i] = jsonRandom{r.Kind, string(r.Proto), r.Expected, r.Why, r.Pin, r.Source, r.From}
	}
	return js
}

func portJSON(p expect.Port) jsonPort {
	return jsonPort{p.Name, p.Number, string(p.Proto), string(p.Role), string(p.Need), p.Base, p.Offset,
		p.Why, p.Condition, p.Source, p.AdHoc, p.From}
}

// PortsJSON writes a spec as one JSON document (schema carbonprobe/ports/v1).
func PortsJSON(w io.Writer, spec expect.Spec) error {
	docs := make([]jsonDocs, len(spec.Docs))
	for i, d := range spec.Docs {
		docs[i] = jsonDocs(d)
	}
	return writeJSON(w, struct {
		Schema    string         `json:"schema"`
		Generator buildinfo.Info `json:"generator"`
		jsonSpec
		Docs []jsonDocs `json:"docs"`
	}{PortsSchema, buildinfo.Get(), specJSON(spec), docs})
}

type jsonResult struct {
	jsonPort
	State     string      `json:"state"`
	LatencyMS float64     `json:"latency_ms"`
	Detail    string      `json:"detail,omitempty"`
	Answer    *jsonAnswer `json:"answer,omitempty"`
	Holder    *jsonHolder `json:"holder,omitempty"`
	Conflict  string      `json:"conflict,omitempty"`
}

type jsonHolder struct {
	PID     int    `json:"pid,omitempty"` // 0: the socket exists but its process could not be read
	User    string `json:"user,omitempty"`
	Command string `json:"command,omitempty"`
	Scope   string `json:"scope"`
}

func holderJSON(o *probe.Owner) *jsonHolder {
	if o == nil {
		return nil
	}
	return &jsonHolder{o.PID, o.User, o.Command(), o.Scope}
}

type jsonServer struct {
	PID     int    `json:"pid"`
	From    string `json:"from"`
	Product string `json:"product,omitempty"`
	Home    string `json:"home,omitempty"`
	Offset  *int   `json:"offset,omitempty"`
}

type jsonDiscovery struct {
	Server  *jsonServer `json:"server,omitempty"`
	Skipped string      `json:"skipped,omitempty"`
}

func discoveryJSON(d *probe.Discovery) *jsonDiscovery {
	if d == nil {
		return nil
	}
	out := &jsonDiscovery{Skipped: d.Skipped}
	if s := d.Server; s != nil {
		out.Server = &jsonServer{PID: s.PID, From: s.From}
		if c := s.Carbon; c != nil {
			out.Server.Product, out.Server.Home, out.Server.Offset = c.Product, c.Home, c.Offset
		}
	}
	return out
}

type jsonExtra struct {
	Proto       string `json:"proto"`
	Address     string `json:"address"`
	Port        int    `json:"port"`
	Scope       string `json:"scope"`
	Attribution string `json:"attribution"`
	What        string `json:"what"`
	Evidence    string `json:"evidence"`
	Checked     string `json:"checked,omitempty"`
}

func extrasJSON(xs []probe.Extra) []jsonExtra {
	out := make([]jsonExtra, len(xs))
	for i, x := range xs {
		out[i] = jsonExtra{x.Socket.Proto, x.Socket.Local.Addr().String(), int(x.Socket.Local.Port()), x.Socket.Scope(),
			x.Attribution, x.What, x.Evidence, x.Confirmed}
	}
	return out
}

type jsonAnswer struct {
	Protocol string            `json:"protocol"`
	OK       bool              `json:"ok"`
	Detail   string            `json:"detail"`
	Seen     string            `json:"seen,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	TookMS   float64           `json:"took_ms"`
}

func answerJSON(a *probe.Answer) *jsonAnswer {
	if a == nil {
		return nil
	}
	return &jsonAnswer{a.Protocol, a.OK, a.Detail, a.Seen, a.Fields, a.Warnings, ms(a.Took)}
}

// CheckJSON writes a check report as one JSON document (schema carbonprobe/check/v1).
func CheckJSON(w io.Writer, rep probe.Report) error {
	doc := checkDoc(rep)
	g := buildinfo.Get()
	doc.Generator = &g
	return writeJSON(w, doc)
}

// CheckAllJSON writes the reports of every Carbon server on a host and the
// ports two of them claim (schema carbonprobe/check-all/v1).
func CheckAllJSON(w io.Writer, all probe.HostReport) error {
	docs := make([]jsonCheck, len(all.Reports))
	for i, rep := range all.Reports {
		docs[i] = checkDoc(rep)
	}
	conflicts := make([]jsonConflict, len(all.Conflicts))
	for i, c := range all.Conflicts {
		conflicts[i] = jsonConflict{c.Key, c.PIDs, c.Names}
	}
	problems := []string{}
	if err := all.Err(); err != nil {
		problems = problemLines(err)
	}
	return writeJSON(w, struct {
		Schema    string         `json:"schema"`
		Generator buildinfo.Info `json:"generator"`
		Healthy   bool           `json:"healthy"`
		Servers   []jsonCheck    `json:"servers"`
		Conflicts []jsonConflict `json:"conflicts"`
		Problems  []string       `json:"problems"`
		Notes     []string       `json:"notes,omitempty"`
	}{CheckAllSchema, buildinfo.Get(), len(problems) == 0, docs, conflicts, problems, all.Notes})
}

type jsonConflict struct {
	Port  string   `json:"port"`
	PIDs  []int    `json:"pids"`
	Names []string `json:"names"`
}

type jsonCheck struct {
	Schema string `json:"schema"`
	// Generator is the build that wrote the document: only on a document of
	// its own, not on each server of check --all.
	Generator *buildinfo.Info `json:"generator,omitempty"`
	Verdict   string          `json:"verdict"`
	Healthy   bool            `json:"healthy"`
	Host      string          `json:"host"`
	Profile   string          `json:"profile"`
	Title     string          `json:"title"`
	Offset    jsonOffset      `json:"offset"`
	TimeoutMS float64         `json:"timeout_ms"`
	ElapsedMS float64         `json:"elapsed_ms"`
	Ports     []jsonResult    `json:"ports"`
	Random    []jsonRandom    `json:"random"`
	Problems  []string        `json:"problems"`
	Warnings  []string        `json:"warnings"`
	Discovery *jsonDiscovery  `json:"discovery,omitempty"`
	Extras    []jsonExtra     `json:"extras,omitempty"`
}

func checkDoc(rep probe.Report) jsonCheck {
	spec := specJSON(rep.Spec)
	results := make([]jsonResult, len(rep.Results))
	for i, r := range rep.Results {
		results[i] = jsonResult{portJSON(r.Port), string(r.State), ms(r.Latency), r.Detail, answerJSON(r.Answer),
			holderJSON(r.Owner), r.Conflict}
	}
	problems := []string{}
	if err := rep.Err(); err != nil {
		problems = problemLines(err)
	}
	warnings := rep.Warnings()
	if warnings == nil {
		warnings = []string{}
	}
	verdict := "healthy"
	if len(problems) > 0 {
		verdict = "unhealthy"
	}
	return jsonCheck{CheckSchema, nil, verdict, len(problems) == 0, rep.Host, spec.Profile, spec.Title, spec.Offset,
		ms(rep.Timeout), ms(rep.Elapsed), results, spec.Random, problems, warnings,
		discoveryJSON(rep.Discovery), extrasJSON(rep.Extras)}
}

// ms is a duration in milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
