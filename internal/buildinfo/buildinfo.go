// Package buildinfo says which build of carbonprobe is running: the version,
// the commit and the date it was built from. A release sets them with
//
//	go build -ldflags "-X github.com/carbonprobe/carbonprobe/internal/buildinfo.Version=0.2.0 \
//	  -X github.com/carbonprobe/carbonprobe/internal/buildinfo.Commit=abc1234... \
//	  -X github.com/carbonprobe/carbonprobe/internal/buildinfo.Date=2026-12-03T10:00:00Z"
//
// (scripts/release.sh). A plain `go build` in a checkout leaves them empty,
// and the commit and its time then come from what the go command stamped
// into the binary (vcs.revision, vcs.time, vcs.modified), so that even a
// developer's build says what it was built from.
package buildinfo

import (
	"runtime/debug"
	"strings"
	"sync"
)

// Set at link time with -ldflags -X; empty in a plain build.
var (
	Version string // "0.2.0", without a leading v
	Commit  string // the full commit hash
	Date    string // the commit's time, RFC 3339 in UTC (reproducible builds use the commit's, not the clock's)
)

// Info is the identity of a build. JSON documents carry it as "generator".
type Info struct {
	Version  string `json:"version"`            // "0.2.0", or "devel" for a build nobody versioned
	Commit   string `json:"commit,omitempty"`   // the full commit hash, when known
	Date     string `json:"date,omitempty"`     // RFC 3339, when known
	Modified bool   `json:"modified,omitempty"` // built from a work tree with uncommitted changes
}

var (
	readOnce sync.Once
	read     func() (*debug.BuildInfo, bool) = debug.ReadBuildInfo
	stamped  Info
)

// Get returns the build's identity: the -X values where set, else what the
// go command stamped, else "devel".
func Get() Info {
	if Version != "" && Commit != "" && Date != "" {
		// A release build: nothing to read back from the binary (which
		// would parse its whole module list at every start).
		return Info{Version: strings.TrimPrefix(Version, "v"), Commit: Commit, Date: Date}
	}
	readOnce.Do(func() {
		stamped = Info{}
		if bi, ok := read(); ok {
			stamped = fromBuildInfo(bi)
		}
	})
	in := stamped
	if Version != "" {
		in.Version = strings.TrimPrefix(Version, "v")
	}
	if Commit != "" {
		in.Commit, in.Modified = Commit, false
	}
	if Date != "" {
		in.Date = Date
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	return in
}

// fromBuildInfo reads the module version and the vcs settings the go command
// stamps into a binary built in a checkout (not into test binaries, nor with
// -buildvcs=false).
func fromBuildInfo(bi *debug.BuildInfo) Info {
	var in Info
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		in.Version = strings.TrimPrefix(v, "v")
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.Date = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is what `carbonprobe --version` prints:
// "carbonprobe 0.2.0 (commit abc1234, built 2026-12-03)".
func (in Info) String() string { return "carbonprobe " + in.Detail() }

// Detail is String without the program's name: "0.2.0 (commit abc1234, built 2026-12-03)".
func (in Info) Detail() string {
	var parts []string
	if in.Commit != "" {
		c := in.Commit
		if len(c) > 7 {
			c = c[:7]
		}
		if in.Modified {
			c += ", modified"
		}
		parts = append(parts, "commit "+c)
	}
	if in.Date != "" {
		d := in.Date
		if len(d) > 10 {
			d = d[:10] // the day is enough to tell builds apart by eye; JSON keeps the whole time
		}
		parts = append(parts, "built "+d)
	}
	if len(parts) == 0 {
		return in.Version
	}
	return in.Version + " (" + strings.Join(parts, ", ") + ")"
}
