package carbonlike

import (
	"bytes"
	"sync"
)

const (
	maxOutput = 256 << 10
	maxLine   = 16 << 10
)

// output keeps the tail of what the JVM prints, so a chatty server cannot grow the test's memory,
// and hands every complete line (cut at maxLine) to onLine.
type output struct {
	mu      sync.Mutex
	buf     []byte
	dropped int
	partial []byte
	onLine  func(string)
}

func newOutput(onLine func(string)) *output { return &output{onLine: onLine} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf = append(o.buf, p...)
	if over := len(o.buf) - maxOutput; over > 0 {
		o.buf = append(o.buf[:0], o.buf[over:]...)
		o.dropped += over
	}
	var lines []string
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			room := maxLine - len(o.partial)
			o.partial = append(o.partial, rest[:min(room, len(rest))]...)
			break
		}
		room := maxLine - len(o.partial)
		o.partial = append(o.partial, rest[:min(room, i)]...)
		lines = append(lines, string(bytes.TrimSuffix(o.partial, []byte("\r"))))
		o.partial = o.partial[:0]
		rest = rest[i+1:]
	}
	o.mu.Unlock()
	// Outside the lock: onLine takes the Server's lock, and Output must stay callable meanwhile.
	for _, l := range lines {
		o.onLine(l)
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dropped > 0 {
		return "[... earlier output dropped ...]\n" + string(o.buf)
	}
	return string(o.buf)
}
