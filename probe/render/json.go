package render

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
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
	Unknown       string `json:"unknown,omitempty"`
	Cluster       bool   `json:"cluster,omitempty"`
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
		p.Why, p.Condition, p.Source, p.AdHoc, p.From, p.Unknown, p.Cluster}
}

// PortsJSON writes a spec as one JSON document (schema carbonprobe/ports/v1).
func PortsJSON(w io.Writer, tg target.Target) error {
	spec := tg.Spec
	docs := make([]jsonDocs, len(spec.Docs))
	for i, d := range spec.Docs {
		docs[i] = jsonDocs(d)
	}
	notes := tg.Notes
	if notes == nil {
		notes = []string{}
	}
	return writeJSON(w, struct {
		Schema    string         `json:"schema"`
		Generator buildinfo.Info `json:"generator"`
		jsonSpec
		Docs      []jsonDocs     `json:"docs"`
		Discovery *jsonDiscovery `json:"discovery,omitempty"`
		Missing   string         `json:"missing,omitempty"`
		Target    []string       `json:"target_notes"`
	}{PortsSchema, buildinfo.Get(), specJSON(spec), docs, discoveryJSON(tg), tg.Missing, notes})
}

type jsonResult struct {
	jsonPort
	State     string      `json:"state"`
	LatencyMS float64     `json:"latency_ms"`
	Detail    string      `json:"detail,omitempty"`
	Answer    *jsonAnswer `json:"answer,omitempty"`
	Holder    *jsonHolder `json:"holder,omitempty"`
	Conflict  string      `json:"conflict,omitempty"`
	Queue     *jsonQueue  `json:"accept_queue,omitempty"`
	CutShort  bool        `json:"cut_short,omitempty"`
	Level     string      `json:"level"`
}

type jsonQueue struct {
	Length int `json:"length"`
	Max    int `json:"max"`
}

func queueJSON(q *probe.Queue) *jsonQueue {
	if q == nil {
		return nil
	}
	return &jsonQueue{q.Len, q.Max}
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

func discoveryJSON(t target.Target) *jsonDiscovery {
	if !t.Looked && t.Skipped == "" {
		return nil
	}
	out := &jsonDiscovery{Skipped: t.Skipped}
	if s := t.Server; s != nil {
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
	// The numbers among the fields, as numbers.
	StatusCode *int `json:"status_code,omitempty"`
	DaysLeft   *int `json:"days_left,omitempty"`
}

func answerJSON(a *probe.Answer) *jsonAnswer {
	if a == nil {
		return nil
	}
	return &jsonAnswer{a.Protocol, a.OK, a.Detail, a.Seen, a.Fields, a.Warnings, ms(a.Took),
		number(a.Fields["status_code"]), number(a.Fields["days_left"])}
}

// number reads a field that holds a whole number; nil when it holds none.
func number(s string) *int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil
	}
	return &n
}

type jsonSignal struct {
	Kind      string  `json:"kind"`
	Port      string  `json:"port"`
	Number    int     `json:"number"`
	Path      string  `json:"path"`
	Need      string  `json:"need"`
	Asked     bool    `json:"asked"`
	OK        bool    `json:"ok"`
	Status    int     `json:"status_code,omitempty"`
	Detail    string  `json:"detail"`
	LatencyMS float64 `json:"latency_ms"`
	Means     string  `json:"means,omitempty"`
	Source    string  `json:"source,omitempty"`
	From      string  `json:"from,omitempty"`
}

func signalsJSON(ss []probe.SignalResult) []jsonSignal {
	out := make([]jsonSignal, len(ss))
	for i, s := range ss {
		path := s.Signal.Expect.Path
		if path == "" {
			path = "/"
		}
		out[i] = jsonSignal{s.Signal.Kind, s.Signal.Port, s.Number, path, string(s.Signal.Need), s.Asked, s.OK, s.Status, s.Detail, ms(s.Latency), s.Signal.Means, s.Signal.Source, s.Signal.From}
	}
	return out
}

type jsonStartLog struct {
	Path    string `json:"path"`
	Started bool   `json:"started"`
	Line    string `json:"line,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

func startLogJSON(l *probe.StartLog) *jsonStartLog {
	if l == nil {
		return nil
	}
	return &jsonStartLog{l.Path, l.Started, l.Line, l.Detail}
}

// CheckJSON writes a check report as one JSON document (schema carbonprobe/check/v1).
func CheckJSON(w io.Writer, rep probe.Report) error {
	doc := checkDoc(rep)
	g := buildinfo.Get()
	doc.Generator = &g
	return writeJSON(w, doc)
}

// CheckDoc is the check/v1 document of a report for another document to
// hold (wait/v1's "check"): without a generator, which the outer one names.
func CheckDoc(rep probe.Report) any { return checkDoc(rep) }

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
		problems = text.Lines(err)
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
	Level     string          `json:"level"`
	Signals   []jsonSignal    `json:"signals"`
	StartLog  *jsonStartLog   `json:"start_log,omitempty"`
}

func checkDoc(rep probe.Report) jsonCheck {
	spec := specJSON(rep.Target.Spec)
	results := make([]jsonResult, len(rep.Results))
	for i, r := range rep.Results {
		results[i] = jsonResult{portJSON(r.Port), string(r.State), ms(r.Latency), r.Detail, answerJSON(r.Answer),
			holderJSON(r.Owner), r.Conflict, queueJSON(r.Queue), r.CutShort, string(r.Level())}
	}
	problems := []string{}
	if err := rep.Err(); err != nil {
		problems = text.Lines(err)
	}
	warnings := rep.Warnings()
	if warnings == nil {
		warnings = []string{}
	}
	verdict := "healthy"
	if len(problems) > 0 {
		verdict = "unhealthy"
	}
	return jsonCheck{CheckSchema, nil, verdict, len(problems) == 0, rep.Target.Host, spec.Profile, spec.Title, spec.Offset,
		ms(rep.Timeout), ms(rep.Elapsed), results, spec.Random, problems, warnings,
		discoveryJSON(rep.Target), extrasJSON(rep.Extras), string(rep.Level()), signalsJSON(rep.Signals), startLogJSON(rep.StartLog)}
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
