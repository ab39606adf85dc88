package preflight

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/internal/text"
)

// Schemas of the JSON documents (docs/wait.md). Fields are only ever added.
const (
	Schema        = "carbonprobe/preflight/v1"
	SuggestSchema = "carbonprobe/suggest/v1"
)

func title(spec expect.Spec) string {
	if spec.Profile == expect.NoProfile {
		return "ad-hoc ports (profile none), no offset"
	}
	return fmt.Sprintf("%s (profile %s), offset %d from %s", spec.Title, spec.Profile, spec.Offset.Value, spec.Offset.From)
}

// WriteText writes one row per port, who holds the busy ones, and the verdict.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nbind test on %s\n", title(r.Spec), r.Bind)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPORT\tPROTO\tNEED\tSTATE\tHELD BY")
	for _, res := range r.Results {
		held := make([]string, len(res.Holders))
		for i, h := range res.Holders {
			held[i] = h.String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", res.Port.Name, res.Port.Number, res.Port.Proto, res.Port.Need, res.State, strings.Join(held, "; "))
	}
	tw.Flush()
	tested, taken := 0, 0
	for _, res := range r.Results {
		if res.State != Skipped {
			tested++
		}
		if res.State == Busy || res.State == Failed {
			taken++
		}
	}
	if err := r.Err(); err != nil {
		fmt.Fprintf(&b, "BUSY: %d of %d ports tested are not free\n", taken, tested)
		for _, l := range text.Lines(err) {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	} else {
		fmt.Fprintf(&b, "FREE: all %d ports tested are free\n", tested)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSuggestion writes the offset alone on the first line, for a script to
// read, and then why.
func WriteSuggestion(w io.Writer, s Suggestion) error {
	var b strings.Builder
	if s.Found {
		fmt.Fprintf(&b, "%d\n", s.Offset)
	}
	b.WriteString(SuggestionWhy(s))
	_, err := io.WriteString(w, b.String())
	return err
}

// SuggestionWhy says how the offset was found, or why none was.
func SuggestionWhy(s Suggestion) string {
	var b strings.Builder
	if s.Found {
		var ports []string
		for _, r := range s.Report.Results {
			if r.State == Free {
				ports = append(ports, fmt.Sprintf("%d/%s", r.Port.Number, r.Port.Proto))
			}
		}
		fmt.Fprintf(&b, "offset %d is the lowest from %d whose %d ports are free on %s: %s\n", s.Offset, s.From, len(ports), s.Report.Bind, strings.Join(ports, " "))
	} else {
		fmt.Fprintf(&b, "no free offset: %s\n", s.Why)
	}
	for _, sk := range s.Skipped {
		fmt.Fprintf(&b, "  offset %d: %s\n", sk.Offset, strings.Join(sk.Busy, ", "))
	}
	hidden := s.Tried - len(s.Skipped)
	if s.Found {
		hidden-- // the free offset itself
	}
	if hidden > 0 && len(s.Skipped) == maxSkips {
		fmt.Fprintf(&b, "  ... and %d more busy offsets\n", hidden)
	}
	return b.String()
}

type jsonHolder struct {
	PID     int    `json:"pid,omitempty"`
	User    string `json:"user,omitempty"`
	Command string `json:"command"`
	Carbon  string `json:"carbon,omitempty"`
	Socket  string `json:"socket"`
}

type jsonPort struct {
	Name    string       `json:"name"`
	Number  int          `json:"number"`
	Proto   string       `json:"proto"`
	Need    string       `json:"need"`
	State   State        `json:"state"`
	Detail  string       `json:"detail,omitempty"`
	Holders []jsonHolder `json:"holders,omitempty"`
}

func portsJSON(r Report) []jsonPort {
	out := make([]jsonPort, len(r.Results))
	for i, res := range r.Results {
		jp := jsonPort{res.Port.Name, res.Port.Number, string(res.Port.Proto), string(res.Port.Need), res.State, res.Detail, nil}
		for _, h := range res.Holders {
			jp.Holders = append(jp.Holders, jsonHolder(h))
		}
		out[i] = jp
	}
	return out
}

type jsonOffset struct {
	Value int    `json:"value"`
	Kind  string `json:"kind"`
	From  string `json:"from"`
}

// WriteJSON writes one document of schema carbonprobe/preflight/v1.
func WriteJSON(w io.Writer, r Report) error {
	problems := []string{}
	if err := r.Err(); err != nil {
		problems = text.Lines(err)
	}
	notes := r.Notes
	if notes == nil {
		notes = []string{}
	}
	return writeJSON(w, struct {
		Schema    string         `json:"schema"`
		Generator buildinfo.Info `json:"generator"`
		Free      bool           `json:"free"`
		Profile   string         `json:"profile"`
		Title     string         `json:"title"`
		Offset    jsonOffset     `json:"offset"`
		Bind      string         `json:"bind"`
		Ports     []jsonPort     `json:"ports"`
		Problems  []string       `json:"problems"`
		Notes     []string       `json:"notes"`
	}{Schema, buildinfo.Get(), len(problems) == 0, r.Spec.Profile, r.Spec.Title,
		jsonOffset{r.Spec.Offset.Value, string(r.Spec.Offset.Kind), r.Spec.Offset.From}, r.Bind, portsJSON(r), problems, notes})
}

// WriteSuggestionJSON writes one document of schema carbonprobe/suggest/v1.
func WriteSuggestionJSON(w io.Writer, s Suggestion) error {
	type skip struct {
		Offset int      `json:"offset"`
		Busy   []string `json:"busy"`
	}
	skips := make([]skip, len(s.Skipped))
	for i, sk := range s.Skipped {
		skips[i] = skip(sk)
	}
	var offset *int
	if s.Found {
		offset = &s.Offset
	}
	return writeJSON(w, struct {
		Schema    string         `json:"schema"`
		Generator buildinfo.Info `json:"generator"`
		Found     bool           `json:"found"`
		Offset    *int           `json:"offset"`
		From      int            `json:"from"`
		Tried     int            `json:"tried"`
		Why       string         `json:"why,omitempty"`
		Bind      string         `json:"bind"`
		Ports     []jsonPort     `json:"ports"`
		Skipped   []skip         `json:"skipped"`
	}{SuggestSchema, buildinfo.Get(), s.Found, offset, s.From, s.Tried, s.Why, s.Report.Bind, portsJSON(s.Report), skips})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
