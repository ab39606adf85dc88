package expect

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// Setting is one value read from a configuration file, and where it was read.
type Setting struct {
	Value string
	File  string // the file, relative to the home: "repository/conf/carbon.xml"
	Line  int    // 0 when the file does not set it
	Key   string // as the file spells it: "RMIRegistryPort", "[server] offset"
}

// Found reports whether the file set the value.
func (s Setting) Found() bool { return s.Line > 0 }

// Where is "repository/conf/carbon.xml:31 RMIRegistryPort".
func (s Setting) Where() string {
	if s.Key == "" {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return fmt.Sprintf("%s:%d %s", s.File, s.Line, text.OneLine(s.Key))
}

// errAt is a problem with a setting, "repository/conf/carbon.xml:31: <RMIRegistryPort> ...".
// home is joined in front so the user can open the file.
func (s Setting) errAt(home, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", joinHome(home, s.File), s.Line, fmt.Sprintf(format, args...))
}

// port reads the setting as a port number, as Java's Integer.parseInt on the
// trimmed text would, and checks its range.
func (s Setting) port(home string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s.Value))
	switch {
	case err != nil:
		return 0, s.errAt(home, "%s %q is not a port number", s.Key, s.Value)
	case n < 1 || n > MaxPort:
		return 0, s.errAt(home, "%s %d is not a port number (1-%d)", s.Key, n, MaxPort)
	}
	return n, nil
}

// javaBool reads a setting as Java's Boolean.parseBoolean does: "true" in any
// case is true, anything else (a typo included) is false.
func javaBool(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// fileErr names the file in a reader's error: "path:12: msg" for a problem at
// a line, "path: msg" otherwise.
func fileErr(path string, err error) error {
	var le lineError
	if errors.As(err, &le) {
		return fmt.Errorf("%s:%w", path, le)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// sysProps are the Java system properties a server starts with, as far as
// carbonprobe can know them: -Dname=value in the Java options given, and
// carbon.home.
type sysProps map[string]string

// sysPropOptRE finds -Dname=value and bare -Dname options. Like sysPropRE, a
// quote may stand before it.
var sysPropOptRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s"'])-D([^\s"'=]+)(?:=([^\s"']*))?`) })

// parseSysProps reads -Dname=value options; a later one wins, as with java
// and Carbon's Main.processCmdLineArgs. -Dname alone is "true", as Main sets it.
func parseSysProps(javaOpts, home string) sysProps {
	p := sysProps{}
	for _, m := range sysPropOptRE().FindAllStringSubmatch(javaOpts, -1) {
		v := m[2]
		if !strings.Contains(m[0], "=") {
			v = "true"
		}
		p[m[1]] = v
	}
	if home != "" {
		if _, ok := p["carbon.home"]; !ok {
			p["carbon.home"] = home
		}
	}
	return p
}

func joinHome(home, rel string) string { return filepath.Join(home, rel) }
