package buildinfo

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// with runs f with the -X variables and the go command's stamp replaced.
func with(t *testing.T, version, commit, date string, bi *debug.BuildInfo, f func()) {
	t.Helper()
	oldV, oldC, oldD, oldRead := Version, Commit, Date, read
	Version, Commit, Date = version, commit, date
	read = func() (*debug.BuildInfo, bool) { return bi, bi != nil }
	readOnce = sync.Once{}
	defer func() {
		Version, Commit, Date, read = oldV, oldC, oldD, oldRead
		readOnce = sync.Once{}
	}()
	f()
}

func stamp(version string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/carbonprobe/carbonprobe", Version: version}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestGet(t *testing.T) {
	const rev = "abc1234def5678abc1234def5678abc1234def56"
	cases := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
		line                  string
	}{
		{"release: -X wins over the stamp", "v0.2.0", rev, "2026-12-03T10:00:00Z",
			stamp("(devel)", "vcs.revision", "ffff", "vcs.modified", "true"),
			Info{Version: "0.2.0", Commit: rev, Date: "2026-12-03T10:00:00Z"},
			"carbonprobe 0.2.0 (commit abc1234, built 2026-12-03)"},
		{"go build in a checkout: the vcs stamp", "", "", "",
			stamp("(devel)", "vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-01T08:09:10Z", "vcs.modified", "true"),
			Info{Version: "devel", Commit: rev, Date: "2026-12-01T08:09:10Z", Modified: true},
			"carbonprobe devel (commit abc1234, modified, built 2026-12-01)"},
		{"go install of a tagged module", "", "", "",
			stamp("v0.1.0"),
			Info{Version: "0.1.0"},
			"carbonprobe 0.1.0"},
		{"go 1.24+ pseudo-version from the checkout", "", "", "",
			stamp("v0.1.1-0.20261201080910-abc1234def56+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			Info{Version: "0.1.1-0.20261201080910-abc1234def56+dirty", Commit: rev, Modified: true},
			"carbonprobe 0.1.1-0.20261201080910-abc1234def56+dirty (commit abc1234, modified)"},
		{"nothing known", "", "", "", nil, Info{Version: "devel"}, "carbonprobe devel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			with(t, c.version, c.commit, c.date, c.bi, func() {
				got := Get()
				if got != c.want {
					t.Errorf("Get() = %+v, want %+v", got, c.want)
				}
				if s := got.String(); s != c.line {
					t.Errorf("String() = %q, want %q", s, c.line)
				}
			})
		})
	}
}

// TestBuiltBinary builds a tiny program with -X and checks what it prints,
// so that the variable paths scripts/release.sh passes stay right.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out := filepath.Join(t.TempDir(), "v")
	pkg := "github.com/carbonprobe/carbonprobe/internal/buildinfo"
	cmd := exec.Command(goBin, "build", "-buildvcs=false", "-o", out,
		"-ldflags", "-X "+pkg+".Version=1.2.3 -X "+pkg+".Commit=0123456789abcdef -X "+pkg+".Date=2026-12-03T10:00:00Z",
		"./testdata/printversion")
	cmd.Dir = "."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := exec.Command(out).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(b)), "carbonprobe 1.2.3 (commit 0123456, built 2026-12-03)"; got != want {
		t.Errorf("the built program says %q, want %q", got, want)
	}
}
