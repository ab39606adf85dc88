package expect

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// maxHTTPPath bounds a path to request; a longer one is a mistake.
const maxHTTPPath = 1024

var (
	// statusRE is a status class ("2xx") or code ("503").
	statusRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-5](xx|[0-9]{2})$`) })
	// headerNameRE is an HTTP field name (an RFC 9110 token).
	headerNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") })
)

// newHTTPExpect is an HTTP expectation as a file or a profile row gives it,
// the statuses trimmed ("2xx, 204" read as a list leaves spaces).
func newHTTPExpect(path string, status []string, body, header string) HTTPExpect {
	st := make([]string, len(status))
	for i, x := range status {
		st[i] = strings.TrimSpace(x)
	}
	return HTTPExpect{Path: path, Status: st, Body: body, Header: header}
}

// Compile makes the expectation ready to ask: the body's regular expression
// and the header's name and value expression, nil and "" where it asks
// none. The error is check's first problem with them.
func (h *HTTPExpect) Compile() (body *regexp.Regexp, header string, headerRE *regexp.Regexp, err error) {
	body, header, headerRE, problems := h.compile()
	if len(problems) > 0 {
		return nil, "", nil, errors.New(problems[0])
	}
	return body, header, headerRE, nil
}

func (h *HTTPExpect) compile() (body *regexp.Regexp, header string, headerRE *regexp.Regexp, problems []string) {
	if h.Body != "" {
		var err error
		if body, err = regexp.Compile(h.Body); err != nil {
			problems = append(problems, fmt.Sprintf("body %s: %v", text.Quote(h.Body), err))
		}
	}
	if h.Header != "" {
		name, expr, ok := strings.Cut(h.Header, ":")
		name = strings.TrimSpace(name)
		if !ok || !headerNameRE().MatchString(name) {
			return body, "", nil, append(problems, fmt.Sprintf("header %s: want \"Name: regexp\"", text.Quote(h.Header)))
		}
		re, err := regexp.Compile(strings.TrimSpace(expr))
		if err != nil {
			return body, "", nil, append(problems, fmt.Sprintf("header %s: %v", text.Quote(h.Header), err))
		}
		header, headerRE = name, re
	}
	return body, header, headerRE, problems
}

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
		out = append(out, fmt.Sprintf("path %s: want an absolute path, starting with /", text.Quote(p)))
	case len(p) > maxHTTPPath:
		out = append(out, fmt.Sprintf("path of %d bytes: at most %d", len(p), maxHTTPPath))
	case strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		out = append(out, fmt.Sprintf("path %s: no spaces or control characters (encode them as %%20 ...)", text.Quote(p)))
	}
	for _, s := range h.Status {
		if !statusRE().MatchString(s) {
			out = append(out, fmt.Sprintf("status %s: want a class (2xx) or a code (204)", text.Quote(s)))
		}
	}
	_, _, _, problems := h.compile()
	return append(out, problems...)
}
