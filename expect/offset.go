package expect

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	quote "github.com/carbonprobe/carbonprobe/internal/text"
)

// maxOffset bounds an offset before any port is added to it, so that the
// sums below cannot overflow; the real bound is that every port stays <= MaxPort.
const maxOffset = MaxPort

// ParseOffset reads an offset given as text; origin names where the text came from
// ("flag --offset", "$CARBONPROBE_OFFSET") for the error message.
func ParseOffset(text, origin string) (int, error) {
	t := strings.TrimSpace(text)
	n, err := strconv.Atoi(t)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s: %s is not a whole number", origin, quote.Quote(text))
	case n < 0:
		return 0, fmt.Errorf("%s: %d is negative; a port offset is 0 or more", origin, n)
	case n > maxOffset:
		return 0, fmt.Errorf("%s: %d is past %d; no port can take it", origin, n, MaxPort)
	}
	return n, nil
}

// sysPropRE finds -DportOffset=N in Java options. A quote may stand before it,
// as in JAVA_OPTS="-DportOffset=3".
var sysPropRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[\s"'])-DportOffset=([^\s"']*)`) })

// OffsetFromJavaOpts finds -DportOffset=N in Java options text. Java applies
// system properties in order, and Carbon's Main.processCmdLineArgs applies the
// ones after the main class last, so the last one wins. ok is false when the
// text has none.
func OffsetFromJavaOpts(text, origin string) (off int, ok bool, err error) {
	m := sysPropRE().FindAllStringSubmatch(text, -1)
	if len(m) == 0 {
		return 0, false, nil
	}
	last := m[len(m)-1][1]
	off, err = ParseOffset(last, origin+": -DportOffset")
	return off, true, err
}
