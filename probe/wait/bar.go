package wait

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Bar draws a wait on a terminal, redrawn in place ten times a second: a bar
// of the required ports that are up with the elapsed time, and below it the
// ports still pending, each with its last state, and the last change.
//
// It is drawn here rather than with a progress-bar library. The one used
// before, github.com/vbauerster/mpb/v8, brought a regular expression compiled
// at every start of carbonprobe (github.com/acarl005/stripansi, 0.1 ms) and
// Unicode width tables (github.com/mattn/go-runewidth: 0.04 ms of
// initialisation, 2 MB of the binary), while a wait draws three lines of
// ASCII (docs/performance.md).
func Bar(w io.Writer) Progress { return &bar{w: w} }

const barRefresh = 100 * time.Millisecond

type bar struct {
	w io.Writer

	mu       sync.Mutex
	start    time.Time
	up, of   int
	pending  string
	last     string
	drawn    int // lines drawn last time, to move back over
	stop     chan struct{}
	stopped  chan struct{}
	finished bool
}

func (b *bar) Update(s Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.up, b.of = s.Up, s.Required
	b.pending = pendingText(s.Pending)
	b.last = s.Event
	if b.stop == nil {
		b.start = time.Now().Add(-s.Elapsed)
		b.stop, b.stopped = make(chan struct{}), make(chan struct{})
		go b.refresh()
	}
	b.draw()
}

// refresh redraws while nothing changes, so that the elapsed time moves.
func (b *bar) refresh() {
	defer close(b.stopped)
	t := time.NewTicker(barRefresh)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.mu.Lock()
			b.draw()
			b.mu.Unlock()
		case <-b.stop:
			return
		}
	}
}

func (b *bar) Done(r Result) {
	b.mu.Lock()
	if b.stop == nil || b.finished {
		b.mu.Unlock()
		return
	}
	b.finished = true
	b.last = r.Detail
	if r.Reason == Ready {
		b.pending = "pending: none"
	}
	close(b.stop)
	b.mu.Unlock()
	<-b.stopped
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw() // the last picture stays on screen
}

// draw writes the three lines over the ones drawn before. b.mu is held.
func (b *bar) draw() {
	width := 80
	if f, ok := b.w.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			width = w
		}
	}
	head := fmt.Sprintf("required ports up %d/%d ", b.up, b.of)
	tail := " " + time.Since(b.start).Round(time.Second/10).String()
	lines := []string{head + meter(b.up, b.of, width-len(head)-len(tail)-1) + tail, b.pending, b.last}
	var sb strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", b.drawn) // back to the first line
	}
	for _, l := range lines {
		sb.WriteString("\r\x1b[2K") // clear the line, then write it
		sb.WriteString(fit(l, width-1))
		sb.WriteString("\n")
	}
	b.drawn = len(lines)
	_, _ = io.WriteString(b.w, sb.String())
}

// meter is "[=====>     ]" in width columns.
func meter(up, of, width int) string {
	if width < 4 || of <= 0 {
		return ""
	}
	inner := width - 2
	full := up * inner / of
	s := strings.Repeat("=", full)
	if full < inner {
		s += ">" + strings.Repeat(" ", inner-full-1)
	}
	return "[" + s + "]"
}

func pendingText(ps []PortStatus) string {
	if len(ps) == 0 {
		return "pending: none"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s %s", p.Label, p.State)
	}
	return "pending: " + strings.Join(parts, ", ")
}

// fit cuts a line to the terminal's width: a wrapped line would break the redraw.
func fit(s string, width int) string {
	if width <= 0 {
		width = 80
	}
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:max(width-3, 0)]) + "..."
}
