// Command listeners opens TCP listeners on loopback for the serve benchmark
// (scripts/bench/serve.sh): for each offset in -offsets, one listener on
// each base of -bases plus the offset. Each accepts and closes at once. It
// prints "ready N" once every listener is open and runs until killed.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

func main() {
	bases := flag.String("bases", "", "base ports, comma-separated")
	from := flag.Int("from", 0, "first offset")
	count := flag.Int("count", 100, "offsets")
	flag.Parse()
	n := 0
	for o := *from; o < *from+*count; o++ {
		for _, b := range strings.Split(*bases, ",") {
			base, err := strconv.Atoi(strings.TrimSpace(b))
			if err != nil {
				fmt.Fprintln(os.Stderr, "listeners: bad base", b)
				os.Exit(3)
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+o)))
			if err != nil {
				fmt.Fprintln(os.Stderr, "listeners:", err)
				os.Exit(10)
			}
			n++
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close() // a FIN, not a reset: blackbox_exporter counts a reset at connect as a failure
				}
			}()
		}
	}
	fmt.Println("ready", n)
	select {}
}
