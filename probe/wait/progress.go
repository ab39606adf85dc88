package wait

import (
	"fmt"
	"io"
	"time"

	"github.com/carbonprobe/carbonprobe/probe"
)

// Progress is told of every change during a wait, and of its end. Calls come
// from the wait's own goroutine, one at a time.
type Progress interface {
	Update(Status)
	Done(Result)
}

// Status is where a wait stands.
type Status struct {
	Elapsed  time.Duration
	Event    string // what just changed, for people
	Up       int    // required ports up
	Required int
	Pending  []PortStatus // the required ports not up yet, in spec order
	Server   string       // the watched server, "" until one is found
}

// PortStatus is a required port that is not up yet.
type PortStatus struct {
	Label  string
	State  probe.State
	Detail string
}

func (w *waiter) event(format string, args ...any) {
	if w.opt.Progress == nil {
		return
	}
	st := Status{Elapsed: time.Since(w.start), Event: fmt.Sprintf(format, args...), Up: w.upCount(), Required: w.required()}
	for _, p := range w.ports {
		if p.required && !p.up {
			ps := PortStatus{Label: p.port.Label(), State: p.last.State, Detail: p.last.Detail}
			if !p.dialled {
				ps.State = Pending
			}
			st.Pending = append(st.Pending, ps)
		}
	}
	if w.res.Server != nil {
		st.Server = w.res.Server.What
	}
	w.opt.Progress.Update(st)
}

// Lines writes one plain line per change: for logs, CI output, anything that
// is not a terminal.
func Lines(w io.Writer) Progress { return lines{w} }

type lines struct{ w io.Writer }

func (l lines) Update(s Status) {
	fmt.Fprintf(l.w, "carbonprobe wait %7.3fs: %s (%d/%d required up)\n", s.Elapsed.Seconds(), s.Event, s.Up, s.Required)
}

func (l lines) Done(r Result) {
	fmt.Fprintf(l.w, "carbonprobe wait %7.3fs: %s\n", r.Elapsed.Seconds(), r.Detail)
}
