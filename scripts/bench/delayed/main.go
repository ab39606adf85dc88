// Command delayed is the fixture of scripts/bench/wait.sh: it reserves TCP
// ports on a host (bound, not listening, so they refuse and nobody else can
// take them), starts listening on all of them after a delay, and writes the
// moment its last listen(2) returned: the instant a waiter should notice.
// Connections are read until the peer closes and then reset, so neither side
// keeps TIME-WAIT entries from run to run: a table full of them slows every
// later connect and makes results depend on the order of the runs.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	host := flag.String("host", "127.0.0.1", "IPv4 address to bind")
	ports := flag.String("ports", "", "comma-separated TCP ports")
	delay := flag.Duration("delay", 2*time.Second, "how long to refuse before listening")
	hold := flag.Duration("hold", 2*time.Second, "how long to listen before exiting")
	flag.Parse()
	if err := run(*host, *ports, *delay, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "delayed:", err)
		os.Exit(1)
	}
}

func run(host, list string, delay, hold time.Duration) error {
	ip := net.ParseIP(host).To4()
	if ip == nil {
		return fmt.Errorf("-host %q: want an IPv4 address", host)
	}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, s := range strings.Split(list, ",") {
		port, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-ports: %q is not a port", s)
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		fds = append(fds, fd)
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
		sa := &unix.SockaddrInet4{Port: port}
		copy(sa.Addr[:], ip)
		if err := unix.Bind(fd, sa); err != nil {
			return fmt.Errorf("bind %s:%d: %w", host, port, err)
		}
	}
	fmt.Println("reserved")
	time.Sleep(delay)
	for _, fd := range fds {
		if err := unix.Listen(fd, 128); err != nil {
			return err
		}
	}
	ready := time.Now()
	fmt.Printf("ready %d\n", ready.UnixNano())
	for _, fd := range fds {
		f := os.NewFile(uintptr(fd), "listener")
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return err
		}
		go serve(ln)
	}
	fds = nil
	time.Sleep(hold)
	return nil
}

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}()
	}
}
