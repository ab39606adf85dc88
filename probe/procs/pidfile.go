package procs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/carbonprobe/carbonprobe/internal/safefile"
	"github.com/carbonprobe/carbonprobe/internal/text"
)

// PidFileName is the file a Carbon server writes under its home at start.
const PidFileName = "wso2carbon.pid"

// maxPid is Linux's PID_MAX_LIMIT (2^22); nothing larger is a pid anywhere.
const maxPid = 1 << 22

// A real pid file holds at most 100 bytes (Carbon 4's buffer); reading a little
// more tells a padded file from something that is not a pid file at all.
const pidFileLimit = 4096

// ReadPidFile reads a wso2carbon.pid. Carbon 4 writes the digits, "\n" and NUL
// padding up to 100 bytes (org.wso2.carbon.server.Main.writePID); MI writes the
// digits alone. Anything else is an error naming the file.
func ReadPidFile(name string) (int, error) {
	raw, err := safefile.Read(name, pidFileLimit)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, err
	case errors.Is(err, safefile.ErrTooLarge):
		return 0, fmt.Errorf("pid file %s: want a process id of a few bytes, found more than %d bytes", name, pidFileLimit)
	case errors.Is(err, safefile.ErrNotRegular):
		return 0, fmt.Errorf("pid file %s: %w: a server writes its pid into a regular file", name, errors.Unwrap(err))
	case err != nil:
		return 0, fmt.Errorf("pid file %s: %w", name, err)
	}
	pid, err := parsePid(raw)
	if err != nil {
		return 0, fmt.Errorf("pid file %s: %w", name, err)
	}
	return pid, nil
}

func parsePid(raw []byte) (int, error) {
	digits := bytes.Trim(raw, "\x00 \t\r\n")
	pid := 0
	for _, c := range digits {
		if c < '0' || c > '9' || pid > maxPid {
			pid = -1
			break
		}
		pid = pid*10 + int(c-'0')
	}
	if len(digits) == 0 || pid <= 0 || pid > maxPid {
		return 0, fmt.Errorf("want a process id (digits, then optional newline and NUL padding), found %s", quoteShort(raw))
	}
	return pid, nil
}

// PidFiles lists the pid files that exist for a home: its own, and those of
// EI 6's other runtimes, which run with carbon.home = <EI_HOME>/wso2/<runtime>.
func PidFiles(home string) []string {
	var out []string
	own := filepath.Join(home, PidFileName)
	if _, err := os.Stat(own); err == nil {
		out = append(out, own)
	}
	runtimes, _ := filepath.Glob(filepath.Join(home, "wso2", "*", PidFileName))
	sort.Strings(runtimes)
	return append(out, runtimes...)
}

func quoteShort(b []byte) string { return text.Quote(string(b)) }
