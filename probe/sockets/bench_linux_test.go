//go:build linux

package sockets

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var (
	benchPairs    = flag.Int("sockets.pairs", 5000, "connected loopback TCP pairs the benchmarks open (2 sockets each)")
	benchTimeWait = flag.Int("sockets.timewait", 0, "TIME-WAIT entries the benchmarks leave behind first (they last 60 s)")
	benchFirst    = flag.Bool("sockets.listenersfirst", false, "open the listeners of interest before the connections, as a server does (owner scans stop early)")
)

// benchHost fills the socket table the way a busy server host looks: many
// established connections, optionally a pile of TIME-WAIT entries, and a few
// listeners of interest.
type benchHost struct {
	listeners []net.Listener
	conns     []net.Conn
	ports     []uint16
}

func newBenchHost(b *testing.B, pairs, timeWait int) *benchHost {
	b.Helper()
	h := &benchHost{}
	b.Cleanup(h.close)
	if *benchFirst {
		h.listen(b)
	}
	noise, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	h.listeners = append(h.listeners, noise)
	accepted := make(chan net.Conn, 128)
	go func() {
		for {
			c, err := noise.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range pairs {
		c, err := net.Dial("tcp", noise.Addr().String())
		if err != nil {
			b.Fatalf("open pair %d of %d: %v", len(h.conns)/2, pairs, err)
		}
		h.conns = append(h.conns, c, <-accepted)
	}
	// By default the listeners of interest come last, so their fds are the
	// highest and an owner scan that stops early gets no help from the order.
	if !*benchFirst {
		h.listen(b)
	}
	// The accepting side closes first, so TIME-WAIT lands on the listener's
	// port and no ephemeral port stays taken.
	for made := 0; made < timeWait; {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 20000 && made < timeWait; i++ {
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatalf("TIME-WAIT entry %d: %v", made, err)
			}
			s, err := l.Accept()
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
			var one [1]byte
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			c.Read(one[:]) // wait for the FIN, then close after it
			c.Close()
			made++
		}
		l.Close()
	}
	return h
}

func (h *benchHost) listen(b *testing.B) {
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		h.listeners = append(h.listeners, l)
		h.ports = append(h.ports, uint16(l.Addr().(*net.TCPAddr).Port))
	}
}

func (h *benchHost) close() {
	for _, c := range h.conns {
		c.(*net.TCPConn).SetLinger(0) // RST: leave no TIME-WAIT behind
		c.Close()
	}
	for _, l := range h.listeners {
		l.Close()
	}
}

func tableSize(b *testing.B) string {
	counts := map[string]int{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			if fields := strings.Fields(line); len(fields) > 3 {
				counts[fields[3]]++
			}
		}
	}
	return fmt.Sprintf("established=%d time-wait=%d listen=%d", counts["01"], counts["06"], counts["0A"])
}

// BenchmarkSocketTable measures the candidates for reading the listener table
// and for mapping the listeners of interest to their owner, on a host with
// -sockets.pairs connected pairs and -sockets.timewait TIME-WAIT entries,
// all held by the benchmark process itself (so owner mapping reads its
// thousands of fds: the worst case).
func BenchmarkSocketTable(b *testing.B) {
	h := newBenchHost(b, *benchPairs, *benchTimeWait)
	b.Logf("socket table: %s; fds of this process: %d", tableSize(b), fdCount(b))
	ctx := context.Background()
	filter := Filter{Ports: h.ports}
	check := func(b *testing.B, socks []Socket) {
		n := 0
		for _, s := range socks {
			if s.Proto == TCP {
				n++
			}
		}
		if n != len(h.ports) {
			b.Fatalf("found %d of the %d listeners: %v", n, len(h.ports), socks)
		}
	}

	b.Run("table/sockdiag-listen", func(b *testing.B) {
		defer setSource(sourceDiag)()
		defer cpuPerOp(b)()
		for b.Loop() {
			socks, err := Listeners(ctx, filter)
			if err != nil {
				b.Fatal(err)
			}
			check(b, socks)
		}
	})
	b.Run("table/procfs", func(b *testing.B) {
		defer setSource(sourceProcNet)()
		defer cpuPerOp(b)()
		for b.Loop() {
			socks, err := Listeners(ctx, filter)
			if err != nil {
				b.Fatal(err)
			}
			check(b, socks)
		}
	})
	b.Run("table/vishvananda-netlink-all-states", func(b *testing.B) {
		defer cpuPerOp(b)()
		for b.Loop() {
			var socks []Socket
			for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
				all, err := netlink.SocketDiagTCP(fam)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range all {
					if s.State == tcpListen && containsPort(h.ports, s.ID.SourcePort) {
						socks = append(socks, Socket{Proto: TCP, Inode: uint64(s.INode)})
					}
				}
				udp, err := netlink.SocketDiagUDP(fam)
				if err != nil {
					b.Fatal(err)
				}
				_ = udp
			}
			check(b, socks)
		}
	})

	var sportExpr []string
	for _, p := range h.ports {
		sportExpr = append(sportExpr, "sport = :"+strconv.Itoa(int(p)))
	}
	ssFilter := "( " + strings.Join(sportExpr, " or ") + " )"
	for _, ss := range []struct{ name, flags string }{{"table/ss-exec", "-Hltn"}, {"both/ss-p-exec", "-Hltnp"}} {
		b.Run(ss.name, func(b *testing.B) {
			if _, err := exec.LookPath("ss"); err != nil {
				b.Skip("no ss here")
			}
			for b.Loop() {
				out, err := exec.Command("ss", ss.flags, ssFilter).Output()
				if err != nil || strings.Count(string(out), "\n") != len(h.ports) {
					b.Fatalf("ss %s: %v\n%s", ss.flags, err, out)
				}
			}
		})
	}

	socks, err := Listeners(ctx, filter)
	if err != nil {
		b.Fatal(err)
	}
	self := unix.Getpid()
	checkOwners := func(b *testing.B, owners map[uint64]Process) {
		for _, s := range socks {
			if owners[s.Inode].PID != self {
				b.Fatalf("owner of %v = %d; want %d", s, owners[s.Inode].PID, self)
			}
		}
	}
	b.Run("owners/scan-all", func(b *testing.B) {
		defer cpuPerOp(b)()
		for b.Loop() {
			owners, _, err := Owners(ctx, socks, 0)
			if err != nil {
				b.Fatal(err)
			}
			checkOwners(b, owners)
		}
	})
	b.Run("owners/hint", func(b *testing.B) {
		defer cpuPerOp(b)()
		for b.Loop() {
			owners, _, err := Owners(ctx, socks, self)
			if err != nil {
				b.Fatal(err)
			}
			checkOwners(b, owners)
		}
	})
	b.Run("owners/procfs-FileDescriptorTargets", func(b *testing.B) {
		fsys, err := procfs.NewDefaultFS()
		if err != nil {
			b.Fatal(err)
		}
		defer cpuPerOp(b)()
		for b.Loop() {
			want := map[string]uint64{}
			for _, s := range socks {
				want["socket:["+strconv.FormatUint(s.Inode, 10)+"]"] = s.Inode
			}
			owners := map[uint64]Process{}
			all, err := fsys.AllProcs()
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range all {
				targets, err := p.FileDescriptorTargets()
				if err != nil {
					continue
				}
				for _, t := range targets {
					if ino, ok := want[t]; ok {
						owners[ino] = Process{PID: p.PID}
						delete(want, t)
					}
				}
				if len(want) == 0 {
					break
				}
			}
			checkOwners(b, owners)
		}
	})
	b.Run("both/sockdiag+scan-all", func(b *testing.B) {
		defer setSource(sourceDiag)()
		defer cpuPerOp(b)()
		for b.Loop() {
			socks, err := Listeners(ctx, filter)
			if err != nil {
				b.Fatal(err)
			}
			owners, _, err := Owners(ctx, socks, 0)
			if err != nil {
				b.Fatal(err)
			}
			checkOwners(b, owners)
		}
	})
	b.Run("both/procfs+scan-all", func(b *testing.B) {
		defer setSource(sourceProcNet)()
		defer cpuPerOp(b)()
		for b.Loop() {
			socks, err := Listeners(ctx, filter)
			if err != nil {
				b.Fatal(err)
			}
			owners, _, err := Owners(ctx, socks, 0)
			if err != nil {
				b.Fatal(err)
			}
			checkOwners(b, owners)
		}
	})
}

func fdCount(b *testing.B) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		b.Fatal(err)
	}
	return len(ents)
}

// cpuPerOp reports the process's CPU time per operation beside the wall
// time: on a shared two-core machine the wall time carries other jobs' load.
func cpuPerOp(b *testing.B) func() {
	var start unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &start)
	return func() {
		var end unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &end)
		cpu := time.Duration(end.Utime.Nano() + end.Stime.Nano() - start.Utime.Nano() - start.Stime.Nano())
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func containsPort(ports []uint16, p uint16) bool {
	for _, q := range ports {
		if q == p {
			return true
		}
	}
	return false
}

func setSource(s int) func() {
	old := tableSource
	tableSource = s
	return func() { tableSource = old }
}
