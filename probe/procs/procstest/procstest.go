// Package procstest starts fake Carbon servers for tests: the test binary
// re-executed with a Carbon command line, writing a real pid file and holding
// real sockets on loopback, so that /proc and the kernel's socket table show
// a process like the one the probe looks for, without a JVM.
package procstest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

const envConfig = "CARBONPROBE_PROCSTEST_CONFIG"

// Main plays the fake server when the test binary was started by Start, and
// returns at once otherwise. Call it first in TestMain.
func Main() {
	raw := os.Getenv(envConfig)
	if raw == "" {
		return
	}
	if err := serve(raw); err != nil {
		fmt.Fprintln(os.Stderr, "procstest child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Sock is one socket the fake server holds.
type Sock struct {
	Net     string // tcp, tcp4, tcp6 (listeners) or udp, udp4, udp6
	Addr    string // local address, e.g. "127.0.0.1:0"
	Connect string // UDP only: connect(2) to this peer; "" leaves it unconnected
}

// Options shape the fake server's command line and state.
type Options struct {
	Product   string   // procs.ProductCarbon (the default) or procs.ProductMI
	Home      string   // default: a new temporary directory
	NoPidFile bool     // start without writing wso2carbon.pid
	JVMArgs   []string // before -Dcarbon.home and the main class
	ProgArgs  []string // after the main class, as the scripts' $*
	Socks     []Sock
}

// Server is a running fake server.
type Server struct {
	PID   int
	Home  string
	Args  []string         // its command line
	Addrs []netip.AddrPort // bound addresses, in the order of Options.Socks
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

type config struct {
	PidFormat string // "carbon", "mi" or ""
	Home      string
	Socks     []Sock
}

// Start runs the fake server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Home == "" {
		o.Home = t.TempDir()
	}
	main := procs.MainCarbon
	if o.Product == procs.ProductMI {
		main = procs.MainMI
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{}, o.JVMArgs...)
	args = append(args, "-Dcarbon.home="+o.Home, main)
	args = append(args, o.ProgArgs...)
	cfg := config{Home: o.Home, Socks: o.Socks}
	if !o.NoPidFile {
		cfg.PidFormat = o.Product
		if cfg.PidFormat == "" {
			cfg.PidFormat = procs.ProductCarbon
		}
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envConfig+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{PID: cmd.Process.Pid, Home: o.Home, Args: append([]string{exe}, args...), cmd: cmd, stdin: stdin}
	t.Cleanup(s.Stop)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(io.LimitReader(stdout, 64<<10))
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("fake server pid %d exited before it was ready", s.PID)
			}
			if l == "ready" {
				go func() {
					for range lines {
					}
				}()
				return s
			}
			ap, err := netip.ParseAddrPort(l)
			if err != nil {
				t.Fatalf("fake server said %q; want an address or \"ready\"", l)
			}
			s.Addrs = append(s.Addrs, ap)
		case <-timeout:
			t.Fatalf("fake server pid %d not ready within 10s", s.PID)
		}
	}
}

// Stop ends the server (closing its stdin) and waits for it.
func (s *Server) Stop() {
	if s.stdin == nil {
		return
	}
	s.stdin.Close()
	s.stdin = nil
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// Port is the port of the i-th socket.
func (s *Server) Port(i int) int { return int(s.Addrs[i].Port()) }

func serve(raw string) error {
	var cfg config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	pid := strconv.Itoa(os.Getpid())
	switch cfg.PidFormat {
	case procs.ProductCarbon:
		// org.wso2.carbon.server.Main.writePID: `echo $PPID` read into 100 bytes.
		buf := make([]byte, 100)
		copy(buf, pid+"\n")
		if err := os.WriteFile(filepath.Join(cfg.Home, procs.PidFileName), buf, 0o644); err != nil {
			return err
		}
	case procs.ProductMI:
		if err := os.WriteFile(filepath.Join(cfg.Home, procs.PidFileName), []byte(pid), 0o644); err != nil {
			return err
		}
	}
	var keep []io.Closer
	defer func() {
		for _, c := range keep {
			c.Close()
		}
	}()
	for _, sk := range cfg.Socks {
		var c io.Closer
		var addr net.Addr
		switch {
		case strings.HasPrefix(sk.Net, "tcp"):
			l, err := net.Listen(sk.Net, sk.Addr)
			if err != nil {
				return err
			}
			c, addr = l, l.Addr()
		case sk.Connect != "":
			la, err := net.ResolveUDPAddr(sk.Net, sk.Addr)
			if err != nil {
				return err
			}
			ra, err := net.ResolveUDPAddr(sk.Net, sk.Connect)
			if err != nil {
				return err
			}
			u, err := net.DialUDP(sk.Net, la, ra)
			if err != nil {
				return err
			}
			c, addr = u, u.LocalAddr()
		default:
			u, err := net.ListenPacket(sk.Net, sk.Addr)
			if err != nil {
				return err
			}
			c, addr = u, u.LocalAddr()
		}
		keep = append(keep, c)
		ap, err := netip.ParseAddrPort(addr.String())
		if err != nil {
			return err
		}
		fmt.Println(ap)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// Program starts name with args, as another program on the host, and
// returns once /proc shows its command line: right after the fork, the
// child still has the test binary's, or none.
func Program(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	want := strings.Join(append([]string{name}, args...), " ")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if got, _, err := procs.Cmdline(cmd.Process.Pid); err == nil && strings.Join(got, " ") == want {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /proc shows no command line %q after 5s", name, want)
		}
	}
}
