package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

// The benchmarks here time the whole process, start-up included, as the
// peers in docs/performance.md were timed: build the binary once,
// then exec `carbonprobe check` per iteration against loopback listeners.
// Peak memory is not taken here: a child that Go starts shares the test
// process's memory until its exec, and the kernel carries that high-water
// mark into the child's ru_maxrss. scripts/bench/check.sh measures it with
// /usr/bin/time instead. docs/performance.md has the figures.

// binary builds carbonprobe as a release would be built (static, stripped).
func binary(tb testing.TB) string {
	tb.Helper()
	return build(tb, tb.TempDir(), "carbonprobe", ".")
}

// build builds the main package pkg as name in dir, as a release does.
func build(tb testing.TB, dir, name, pkg string) string {
	tb.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-ldflags=-s -w", "-o", bin, pkg)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

func benchProcess(b *testing.B, wantCode int, ports []int) {
	bin := binary(b)
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = fmt.Sprint(p)
	}
	args := []string{"check", "--host", "127.0.0.1", "--ports", strings.Join(list, ","), "--timeout", "1s"}
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, args...)
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			b.Fatal(err)
		}
		if code != wantCode {
			out, _ := exec.Command(bin, args...).CombinedOutput()
			b.Fatalf("exit %d, want %d:\n%s", code, wantCode, out)
		}
	}
}

func listeners(b *testing.B, n int) []int {
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testnet.Listen(b, "127.0.0.1:0").Port
	}
	return ports
}

// BenchmarkProcessCheck9: nine bound loopback ports. Target: under 5 ms.
func BenchmarkProcessCheck9(b *testing.B) { benchProcess(b, 0, listeners(b, 9)) }

// BenchmarkProcessCheck2000: 2,000 bound loopback ports. Target: under 80 ms.
func BenchmarkProcessCheck2000(b *testing.B) { benchProcess(b, 0, listeners(b, 2000)) }

// BenchmarkProcessOneRefused: nine ports, one refused: reported at once, not after a timeout.
func BenchmarkProcessOneRefused(b *testing.B) {
	benchProcess(b, 1, append(listeners(b, 8), testnet.Refused(b)))
}
