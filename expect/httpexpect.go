package expect

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// maxHTTPPath bounds a path to request; a longer one is a mistake.
const maxHTTPPath = 1024

var (
	// statusRE is a status class ("2xx") or code ("503").
	statusRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-5](xx|[0-9]{2})$`) })
	// headerNameRE is an HTTP field name (an RFC 9110 token).
	headerNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") })
)

// check says what is wrong with an HTTP expectation for a port of role, all
// at once; nil when it is sound. The one rule for --ports, --expect and the
// profiles' signals.
func (h *HTTPExpect) check(role Role) []string {
	var out []string
	if role != RoleHTTP && role != RoleHTTPS {
		out = append(out, fmt.Sprintf("a path, a status, a body or a header goes with role http or https, not %s", role))
	}
	switch p := h.Path; {
	case p == "":
	case !strings.HasPrefix(p, "/"):
		out = append(out, fmt.Sprintf("path %q: want an absolute path, starting with /", short(p)))
	case len(p) > maxHTTPPath:
		out = append(out, fmt.Sprintf("path of %d bytes: at most %d", len(p), maxHTTPPath))
	case strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		out = append(out, fmt.Sprintf("path %q: no spaces or control characters (encode them as %%20 ...)", short(p)))
	}
	for _, s := range h.Status {
		if !statusRE().MatchString(strings.TrimSpace(s)) {
			out = append(out, fmt.Sprintf("status %q: want a class (2xx) or a code (204)", short(s)))
		}
	}
	if h.Body != "" {
		if _, err := regexp.Compile(h.Body); err != nil {
			out = append(out, fmt.Sprintf("body %q: %v", short(h.Body), err))
		}
	}
	if h.Header != "" {
		name, expr, ok := strings.Cut(h.Header, ":")
		switch {
		case !ok || !headerNameRE().MatchString(strings.TrimSpace(name)):
			out = append(out, fmt.Sprintf("header %q: want \"Name: regexp\"", short(h.Header)))
		default:
			if _, err := regexp.Compile(strings.TrimSpace(expr)); err != nil {
				out = append(out, fmt.Sprintf("header %q: %v", short(h.Header), err))
			}
		}
	}
	return out
}

// short cuts a value for a message.
func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
