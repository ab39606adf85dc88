package wait

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Bar draws a wait on a terminal, redrawn in place: a bar of the required
// ports that are up with the elapsed time, and below it the ports still
// pending, each with its last state, and the last change.
//
// It uses github.com/vbauerster/mpb/v8 rather than schollz/progressbar/v3:
// mpb redraws several lines in place (the bar plus the pending list), takes
// decorators computed at each redraw (the elapsed time keeps moving while no
// port changes), writes to any io.Writer, and has no dependency beyond
// x/sys and runewidth; progressbar draws one line.
func Bar(w io.Writer) Progress { return &bar{w: w} }

type bar struct {
	w       io.Writer
	p       *mpb.Progress
	b       *mpb.Bar
	mu      sync.Mutex
	pending string
	last    string
}

func (b *bar) Update(s Status) {
	b.mu.Lock()
	b.pending = pendingText(s.Pending)
	b.last = s.Event
	b.mu.Unlock()
	if b.p == nil {
		b.start(s.Required)
	}
	b.b.SetCurrent(int64(s.Up))
}

func (b *bar) start(required int) {
	b.p = mpb.New(mpb.WithOutput(b.w), mpb.WithRefreshRate(100*time.Millisecond), mpb.WithAutoRefresh())
	line := func(get func() string) mpb.BarFiller {
		return mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
			_, err := io.WriteString(w, fit(get(), st.AvailableWidth)+"\n")
			return err
		})
	}
	// Total 0 keeps the bar from completing by itself when the count reaches
	// the total: the wait is over only after the final check, which Done tells.
	b.b = b.p.AddBar(0,
		mpb.PrependDecorators(decor.Name("required ports up "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)),
		mpb.BarBtmExtender(
			line(func() string { b.mu.Lock(); defer b.mu.Unlock(); return b.pending }),
			line(func() string { b.mu.Lock(); defer b.mu.Unlock(); return b.last }),
		),
	)
	b.b.SetTotal(int64(required), false)
}

func (b *bar) Done(r Result) {
	if b.p == nil {
		return
	}
	b.mu.Lock()
	b.last = r.Detail
	if r.Reason == Ready {
		b.pending = "pending: none"
	}
	b.mu.Unlock()
	if r.Reason == Ready {
		b.b.SetTotal(-1, true) // complete at its current count
	} else {
		b.b.Abort(false) // keep the last picture on screen
	}
	b.p.Wait()
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
