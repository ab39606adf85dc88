package preflight

import (
	"context"
	"fmt"

	"github.com/carbonprobe/carbonprobe/expect"
)

// maxSkips bounds how many busy offsets a Suggestion lists; the count is kept.
const maxSkips = 10

// Skip is an offset passed over, and its ports that were not free.
type Skip struct {
	Offset int
	Busy   []string // "passthrough-http 8290/tcp: busy"
}

// Suggestion is the lowest offset whose whole set is free.
type Suggestion struct {
	From    int
	Found   bool
	Offset  int
	Report  Report // the free offset's test (with holders when asked), or the last one tried
	Skipped []Skip // the first maxSkips offsets passed over
	Tried   int
	Why     string // when none was found
}

// Suggest tests offsets upward from from, with specFor giving the ports of
// each, and stops at the first whose every tested port is free, or when an
// offset pushes a port past 65535 (specFor's error). Bind results are kept
// per port, since offsets share numbers (9443 + 320 = 9763 + 0).
func Suggest(ctx context.Context, from int, specFor func(offset int) (expect.Spec, error), opt Options) Suggestion {
	sug := Suggestion{From: from}
	type key struct {
		proto expect.Proto
		port  int
	}
	seen := map[key]Result{}
	for off := from; ; off++ {
		if err := ctx.Err(); err != nil {
			sug.Why = fmt.Sprintf("stopped at offset %d: %v", off, err)
			return sug
		}
		spec, err := specFor(off)
		if err != nil {
			sug.Why = fmt.Sprintf("no offset from %d to %d leaves the whole set free; offset %d: %v", from, off-1, off, err)
			if off == from {
				sug.Why = err.Error()
			}
			return sug
		}
		rep := Report{Spec: spec, Bind: bindWords(opt.Bind), Results: make([]Result, len(spec.Ports))}
		free := true
		var busy []string
		for i, p := range spec.Ports {
			res := Result{Port: p, State: Skipped, Detail: p.Condition}
			if p.Checked() {
				k := key{p.Proto, p.Number}
				prev, ok := seen[k]
				if !ok {
					prev.State, prev.Detail = test(p.Proto, opt.Bind, p.Number)
					seen[k] = prev
				}
				res.State, res.Detail = prev.State, prev.Detail
				rep.Results[i] = res
				if res.State != Free {
					free = false
					busy = append(busy, fmt.Sprintf("%s: %s", p.Label(), res.State))
					if !p.Offset {
						sug.Report, sug.Tried = rep, off-from+1
						sug.Why = fmt.Sprintf("%s takes no offset and is %s: no offset frees it (%s)", p.Label(), res.State, res.Detail)
						return sug
					}
				}
			}
			rep.Results[i] = res
		}
		sug.Tried++
		sug.Report = rep
		if free {
			sug.Found, sug.Offset = true, off
			return sug
		}
		if len(sug.Skipped) < maxSkips {
			sug.Skipped = append(sug.Skipped, Skip{Offset: off, Busy: busy})
		}
	}
}
