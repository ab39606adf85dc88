// Command probebench times HTTP GETs of several URLs, interleaved request
// by request so that each URL sees the same machine load (a paired run),
// and prints each URL's median, p90 and mean latency. Every answer must be
// 200 with a body holding -want (when given).
//
//	probebench -n 2000 -want carbonprobe_port_up URL1 URL2 ...
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "requests per URL")
	warm := flag.Int("warmup", 50, "requests per URL first, not counted")
	flag.Parse()
	urls := flag.Args()
	client := &http.Client{Timeout: 30 * time.Second}
	lat := make([][]time.Duration, len(urls))
	get := func(u string) time.Duration {
		t0 := time.Now()
		resp, err := client.Get(u)
		if err != nil {
			fmt.Fprintln(os.Stderr, "probebench:", err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "_") {
			fmt.Fprintf(os.Stderr, "probebench: %s: %s\n%s\n", u, resp.Status, body)
			os.Exit(1)
		}
		if strings.Contains(string(body), "probe_success 0") {
			fmt.Fprintf(os.Stderr, "probebench: %s: probe_success 0\n", u)
			os.Exit(1)
		}
		return d
	}
	for range *warm {
		for _, u := range urls {
			get(u)
		}
	}
	for range *n {
		for i, u := range urls {
			lat[i] = append(lat[i], get(u))
		}
	}
	fmt.Printf("%-10s %-10s %-10s %s\n", "median", "p90", "mean", "url")
	for i, u := range urls {
		l := lat[i]
		slices.Sort(l)
		var sum time.Duration
		for _, d := range l {
			sum += d
		}
		fmt.Printf("%-10s %-10s %-10s %s\n", l[len(l)/2].Round(time.Microsecond), l[len(l)*9/10].Round(time.Microsecond),
			(sum / time.Duration(len(l))).Round(time.Microsecond), u)
	}
}
