// Command pair times whole commands against each other on a noisy machine:
// each round runs every command once, in a rotating order, so that a burst
// of load from elsewhere falls on all of them alike; then it prints each
// command's median wall time and spread, and the median of the per-round
// ratios to the first command (the reference), which is steadier than a
// ratio of two separate medians.
//
//	pair -n 300 -warmup 20 'hello=/tmp/hello' 'version=carbonprobe --version'
//
// A command is NAME=WORDS, split on spaces (no quoting: wrap anything more in
// bash -c). Its output goes to /dev/null; a non-zero exit is counted and
// reported. scripts/bench/startup.sh uses it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

type command struct {
	name  string
	argv  []string
	times []time.Duration
	fails int
}

func main() {
	n := flag.Int("n", 200, "rounds counted")
	warmup := flag.Int("warmup", 10, "rounds run first and not counted")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: pair [-n N] [-warmup W] NAME=COMMAND...")
		os.Exit(3)
	}
	var cmds []*command
	for _, a := range flag.Args() {
		name, words, ok := strings.Cut(a, "=")
		argv := strings.Fields(words)
		if !ok || len(argv) == 0 {
			fmt.Fprintf(os.Stderr, "pair: %q is not NAME=COMMAND\n", a)
			os.Exit(3)
		}
		path, err := exec.LookPath(argv[0])
		if err != nil {
			fmt.Fprintf(os.Stderr, "pair: %v\n", err)
			os.Exit(3)
		}
		argv[0] = path
		cmds = append(cmds, &command{name: name, argv: argv})
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		panic(err)
	}
	attr := &os.ProcAttr{Files: []*os.File{devnull, devnull, devnull}}
	for round := 0; round < *warmup+*n; round++ {
		for i := range cmds {
			c := cmds[(round+i)%len(cmds)]
			start := time.Now()
			p, err := os.StartProcess(c.argv[0], c.argv, attr)
			if err != nil {
				fmt.Fprintf(os.Stderr, "pair: %s: %v\n", c.name, err)
				os.Exit(1)
			}
			st, err := p.Wait()
			d := time.Since(start)
			if round < *warmup {
				continue
			}
			if err != nil || !st.Success() {
				c.fails++
			}
			c.times = append(c.times, d)
		}
	}
	ref := cmds[0]
	fmt.Printf("| command | median | p10-p90 | min | paired ratio to %s (median, p25-p75) | non-zero exits |\n", ref.name)
	fmt.Println("|---|---|---|---|---|---|")
	for _, c := range cmds {
		ratios := make([]float64, len(c.times))
		for i := range c.times {
			ratios[i] = float64(c.times[i]) / float64(ref.times[i])
		}
		s := slices.Clone(c.times)
		slices.Sort(s)
		slices.Sort(ratios)
		fmt.Printf("| %s | %s | %s-%s | %s | %.2f (%.2f-%.2f) | %d of %d |\n", c.name, ms(q(s, 0.5)), ms(q(s, 0.1)), ms(q(s, 0.9)), ms(s[0]),
			qf(ratios, 0.5), qf(ratios, 0.25), qf(ratios, 0.75), c.fails, len(c.times))
	}
}

func q(s []time.Duration, p float64) time.Duration { return s[int(p*float64(len(s)-1))] }
func qf(s []float64, p float64) float64            { return s[int(p*float64(len(s)-1))] }
func ms(d time.Duration) string                    { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
