package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
)

// CheckAllText writes the check of each Carbon server on the host, the
// ports two of them claim, and one verdict for the host.
func CheckAllText(w io.Writer, all probe.HostReport, st Style) error {
	ew := &errWriter{w: w}
	for i, rep := range all.Reports {
		if i > 0 {
			ew.printf("\n")
		}
		if ew.err == nil {
			ew.err = CheckText(w, rep, st)
		}
	}
	for _, n := range all.Notes {
		ew.printf("note: %s\n", n)
	}
	if len(all.Conflicts) > 0 {
		ew.printf("\n%s\n", st.paint("CONFLICTS (a port that two servers' sets both claim)", bold))
		t := &table{header: []string{"PORT", "EXPECTED BY"}}
		for _, c := range all.Conflicts {
			who := make([]string, len(c.PIDs))
			for i, pid := range c.PIDs {
				who[i] = fmt.Sprintf("pid %d (%s)", pid, c.Names[i])
			}
			t.add(colored(c.Key, red), plain(strings.Join(who, ", ")))
		}
		ew.table(t, st)
	}
	if err := all.Err(); err != nil {
		ew.printf("\n%s: %d server(s), %d problem(s) in all\n", st.paint("HOST UNHEALTHY", red+";"+bold), len(all.Reports), len(text.Lines(err)))
	} else {
		ew.printf("\n%s: %d server(s), no overlap\n", st.paint("HOST HEALTHY", green+";"+bold), len(all.Reports))
	}
	return ew.err
}
