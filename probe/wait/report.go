package wait

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/probe/render"
)

// Schema of WriteJSON's document (docs/wait.md). Fields are only ever added.
const Schema = "carbonprobe/wait/v1"

// WriteText writes the report as `check` does, then how the wait ended: the
// reason, the server watched and, when it exited, the last lines of its log.
func WriteText(w io.Writer, r Result, st render.Style) error {
	if err := render.CheckText(w, r.Report, st); err != nil {
		return err
	}
	var b bytes.Buffer
	head := map[Reason]string{Ready: "READY", TimedOut: "TIMED OUT", ServerExited: "SERVER EXITED",
		ServerUnknown: "SERVER UNKNOWN", Cancelled: "INTERRUPTED"}[r.Reason]
	code := "32;1"
	if r.Reason != Ready {
		code = "31;1"
	}
	if st.Color {
		head = "\x1b[" + code + "m" + head + "\x1b[0m"
	}
	fmt.Fprintf(&b, "%s: %s (%d dials, %d quick refusal checks)\n", head, r.Detail, r.Dials, r.Gates)
	if r.Server != nil {
		watched := r.Watch
		if watched == "" {
			watched = "not watched"
		}
		fmt.Fprintf(&b, "server: %s (exit watched by %s)\n", r.Server.What, watched)
	}
	for _, rs := range r.Restarts {
		fmt.Fprintf(&b, "restarted: %s (a new JVM of the same home, started by its launcher)\n", rs)
	}
	if e := r.Exit; e != nil {
		switch {
		case e.LogErr != "":
			fmt.Fprintf(&b, "server log: %s\n", e.LogErr)
		case len(e.LogTail) == 0:
			fmt.Fprintf(&b, "server log %s is empty\n", e.LogPath)
		default:
			fmt.Fprintf(&b, "last %d lines of %s:\n", len(e.LogTail), e.LogPath)
			for _, l := range e.LogTail {
				fmt.Fprintf(&b, "  | %s\n", l)
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// QuietLine is the one-line verdict with why the wait ended.
func QuietLine(r Result) string {
	note := r.Detail
	if e := r.Exit; e != nil && len(e.LogTail) > 0 {
		note += "; its log ends: " + e.LogTail[len(e.LogTail)-1]
	}
	return render.QuietLine(r.Report, note)
}

type jsonServer struct {
	PID       int    `json:"pid"`
	What      string `json:"what"`
	Log       string `json:"log,omitempty"`
	WatchedBy string `json:"watched_by,omitempty"`
}

type jsonExit struct {
	PID     int      `json:"pid"`
	AfterMS float64  `json:"after_ms"`
	Why     string   `json:"why"`
	Log     string   `json:"log,omitempty"`
	LogTail []string `json:"log_tail"`
	LogErr  string   `json:"log_error,omitempty"`
}

// WriteJSON writes one document of schema carbonprobe/wait/v1: how the wait
// ended, and under "check" the carbonprobe/check/v1 document of its report.
func WriteJSON(w io.Writer, r Result) error {
	doc := struct {
		Schema      string         `json:"schema"`
		Generator   buildinfo.Info `json:"generator"`
		Ready       bool           `json:"ready"`
		Reason      Reason         `json:"reason"`
		Detail      string         `json:"detail"`
		ElapsedMS   float64        `json:"elapsed_ms"`
		TimeoutMS   float64        `json:"timeout_ms"`
		Dials       int            `json:"dials"`
		QuickChecks int            `json:"quick_checks"`
		Server      *jsonServer    `json:"server"`
		Restarts    []string       `json:"restarts"`
		Exit        *jsonExit      `json:"exit"`
		Check       any            `json:"check"`
	}{Schema: Schema, Generator: buildinfo.Get(), Ready: r.Reason == Ready, Reason: r.Reason, Detail: r.Detail, ElapsedMS: ms(r.Elapsed),
		TimeoutMS: ms(r.Timeout), Dials: r.Dials, QuickChecks: r.Gates, Restarts: r.Restarts, Check: render.CheckDoc(r.Report)}
	if doc.Restarts == nil {
		doc.Restarts = []string{}
	}
	if s := r.Server; s != nil {
		doc.Server = &jsonServer{s.PID, s.What, s.LogPath, r.Watch}
	}
	if e := r.Exit; e != nil {
		tail := e.LogTail
		if tail == nil {
			tail = []string{}
		}
		doc.Exit = &jsonExit{e.PID, ms(e.After), e.Why, e.LogPath, tail, e.LogErr}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteJUnit writes the report as JUnit XML with two more test cases: the
// wait itself (ready within the timeout) and, when a server was watched or
// exited, that it stayed up.
func WriteJUnit(w io.Writer, r Result, started time.Time) error {
	opt := render.JUnitOptions{
		Timestamp: started,
		Properties: []render.JUnitProperty{
			{Name: "wait.reason", Value: string(r.Reason)},
			{Name: "wait.elapsed", Value: r.Elapsed.Round(time.Millisecond).String()},
			{Name: "wait.timeout", Value: r.Timeout.String()},
			{Name: "wait.dials", Value: fmt.Sprint(r.Dials)},
			{Name: "wait.restarts", Value: fmt.Sprint(len(r.Restarts))},
		},
	}
	waitCase := render.JUnitCase{Name: "ready within " + r.Timeout.String(), Time: r.Elapsed, Text: r.Detail}
	if r.Reason != Ready {
		waitCase.Failure, waitCase.Type = r.Detail, string(r.Reason)
	}
	opt.Cases = append(opt.Cases, waitCase)
	if r.Server != nil || r.Exit != nil {
		c := render.JUnitCase{Name: "server process stays up", Time: r.Elapsed}
		if r.Server != nil {
			c.Text = fmt.Sprintf("%s (exit watched by %s)", r.Server.What, r.Watch)
		}
		if e := r.Exit; e != nil {
			c.Failure, c.Type = e.Why, string(ServerExited)
			c.Text = e.Why
			if e.LogErr != "" {
				c.Text += "\nserver log: " + e.LogErr
			}
			if len(e.LogTail) > 0 {
				c.Text += fmt.Sprintf("\nlast %d lines of %s:", len(e.LogTail), filepath.Base(e.LogPath))
				for _, l := range e.LogTail {
					c.Text += "\n" + l
				}
			}
		}
		opt.Cases = append(opt.Cases, c)
	}
	return render.CheckJUnit(w, r.Report, opt)
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
