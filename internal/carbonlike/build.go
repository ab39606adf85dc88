package carbonlike

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var build struct {
	once    sync.Once
	classes string
	err     error
}

// Classes returns the directory of the compiled carbon-like server (and carbonlike.JmxClient),
// building it once per test binary with scripts/carbonlike/build.sh. It skips the test when
// java is not on PATH and fails it when the build fails.
func Classes(t testing.TB) string {
	t.Helper()
	requireJava(t)
	build.once.Do(func() { build.classes, build.err = runBuild() })
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.classes
}

func requireJava(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("carbonlike: java not on PATH (Debian: apt-get install openjdk-17-jdk-headless); skipping a test that needs a real JVM")
	}
}

func runBuild() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "scripts", "carbonlike", "build.sh")
	// javac on a loaded machine can take a while, but never minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("carbonlike: %s failed: %v: %s", script, err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(stdout.String())
	if fi, err := os.Stat(filepath.Join(dir, "carbonlike", "Server.class")); err != nil || fi.Size() == 0 {
		return "", fmt.Errorf("carbonlike: %s printed %q, which holds no carbonlike/Server.class", script, dir)
	}
	return dir, nil
}

// repoRoot walks up from this source file to the directory holding go.mod, so the harness finds
// the scripts whatever directory `go test` runs the package in.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("carbonlike: cannot locate the harness source file")
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if parent := filepath.Dir(dir); parent == dir {
			return "", fmt.Errorf("carbonlike: no go.mod above %s", file)
		}
	}
}
