package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

// spec builds a one-profile-free spec of TCP and UDP ports given as they are.
func spec(t *testing.T, list string) expect.Spec {
	t.Helper()
	s, err := expect.Resolve(expect.Input{Ports: expect.Text{Value: list, Origin: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// released returns a port the kernel handed out and that was closed at once.
func released(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		return testnet.UDPUnbound(t)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestBusyAndFree(t *testing.T) {
	tcpHeld := testnet.Listen(t, "127.0.0.1:0").Port // listening on loopback only
	udpHeld := testnet.UDPSilent(t)                  // a bound UDP socket
	boundOnly := testnet.Refused(t)                  // bound, not listening
	free := released(t, "tcp")
	rep := Check(context.Background(), spec(t, fmt.Sprintf("%d,%d/udp,%d,%d", tcpHeld, udpHeld, boundOnly, free)), Options{Owners: true})
	want := []State{Busy, Busy, Busy, Free}
	for i, r := range rep.Results {
		if r.State != want[i] {
			t.Errorf("%s: %s (%s), want %s", r.Port.Label(), r.State, r.Detail, want[i])
		}
	}
	if rep.Free() {
		t.Error("the report says free")
	}
	me := os.Getpid()
	for _, i := range []int{0, 1} {
		hs := rep.Results[i].Holders
		if len(hs) != 1 || hs[0].PID != me {
			t.Errorf("%s: holders %+v, want this test (pid %d)", rep.Results[i].Port.Label(), hs, me)
		}
	}
	if !strings.Contains(rep.Results[0].Holders[0].Socket, "127.0.0.1:") {
		t.Errorf("holder socket %q", rep.Results[0].Holders[0].Socket)
	}
	if d := rep.Results[2].Detail; !strings.Contains(d, "bound without listening") {
		t.Errorf("bound-only port: %q", d)
	}
	err := rep.Err()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d/tcp: busy: in use", tcpHeld)) || !strings.Contains(err.Error(), fmt.Sprintf("held by pid %d", me)) {
		t.Errorf("Err: %v", err)
	}
}

// TestTheDefaultIsEveryAddress: the JVM binds [::] (IPv4 and IPv6); a port
// held on one address only still makes that bind fail.
func TestTheDefaultIsEveryAddress(t *testing.T) {
	v4 := testnet.Listen(t, "127.0.0.1:0").Port
	if st, _ := test(expect.TCP, netip.Addr{}, v4); st != Busy {
		t.Errorf("held on 127.0.0.1 only: %s with the default bind, want busy", st)
	}
	// Another loopback address is another address: a server bound to it alone does not clash.
	if st, d := test(expect.TCP, netip.MustParseAddr("127.0.0.2"), v4); st != Free {
		t.Errorf("--bind 127.0.0.2 while 127.0.0.1 holds the port: %s (%s), want free", st, d)
	}
	if !nettest.SupportsIPv6() {
		t.Log("no IPv6 here: the [::1] case is not run")
		return
	}
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if st, _ := test(expect.TCP, netip.Addr{}, ln.Addr().(*net.TCPAddr).Port); st != Busy {
		t.Errorf("held on [::1] only: %s with the default bind, want busy", st)
	}
}

// TestTimeWaitIsNotBusy: a connection's TIME-WAIT leftover does not stop a
// JVM's ServerSocket (SO_REUSEADDR), so it must not count as busy either.
func TestTimeWaitIsNotBusy(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // the accepted side closes first: its socket (local port = port) goes to TIME-WAIT
	buf := make([]byte, 1)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.Read(buf) // the FIN
	c.Close()
	ln.Close()
	if st, d := test(expect.TCP, netip.Addr{}, port); st != Free {
		t.Errorf("only a TIME-WAIT entry holds %d: %s (%s), want free", port, st, d)
	}
}

func TestOffPortsAreNotTested(t *testing.T) {
	held := testnet.Listen(t, "127.0.0.1:0").Port
	sp := spec(t, fmt.Sprint(held))
	sp.Ports[0].Need, sp.Ports[0].Condition = expect.Off, "clustering is off"
	rep := Check(context.Background(), sp, Options{})
	if rep.Results[0].State != Skipped || !rep.Free() {
		t.Errorf("an off port: %+v", rep.Results[0])
	}
}

func TestPrivilegedPortNeedsRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may bind below 1024")
	}
	if st, d := test(expect.TCP, netip.Addr{}, 1); st != Failed || !strings.Contains(d, "permission denied") {
		t.Errorf("port 1 as a user: %s (%s)", st, d)
	}
}

// offsets builds specFor: one TCP port, base + offset, that takes the offset.
func offsets(base int, noOffset ...int) func(int) (expect.Spec, error) {
	return func(off int) (expect.Spec, error) {
		p := expect.Port{Name: "p", Proto: expect.TCP, Base: base, Offset: true, Number: base + off, Need: expect.Required}
		if p.Number > expect.MaxPort {
			return expect.Spec{}, errors.New("past 65535")
		}
		s := expect.Spec{Profile: "test", Ports: []expect.Port{p}}
		for _, n := range noOffset {
			s.Ports = append(s.Ports, expect.Port{Name: "fixed", Proto: expect.TCP, Base: n, Number: n, Need: expect.Required})
		}
		return s, nil
	}
}

func TestSuggestSkipsBusyOffsets(t *testing.T) {
	base := testnet.Listen(t, "127.0.0.1:0").Port // offset 0 is busy
	// Offset 1 is busy too: this test holds it, or someone else does.
	if l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", base+1)); err == nil {
		t.Cleanup(func() { l.Close() })
	}
	sug := Suggest(context.Background(), 0, offsets(base), Options{})
	if !sug.Found || sug.Offset < 2 {
		t.Fatalf("suggestion %+v", sug)
	}
	if len(sug.Skipped) < 2 || sug.Skipped[0].Offset != 0 || sug.Skipped[1].Offset != 1 || sug.Tried != sug.Offset+1 {
		t.Errorf("skipped %+v, tried %d", sug.Skipped, sug.Tried)
	}
	// The offset found is free now: bind it to prove it.
	l, err := net.Listen("tcp", fmt.Sprintf(":%d", base+sug.Offset))
	if err != nil {
		t.Errorf("suggested offset %d (port %d) is not free: %v", sug.Offset, base+sug.Offset, err)
	} else {
		l.Close()
	}
	why := SuggestionWhy(sug)
	if !strings.HasPrefix(why, fmt.Sprintf("offset %d is the lowest from 0 whose 1 ports are free", sug.Offset)) ||
		!strings.Contains(why, fmt.Sprintf("  offset 0: p %d/tcp: busy", base)) {
		t.Errorf("why:\n%s", why)
	}
}

func TestSuggestFromAFreeOffsetReturnsIt(t *testing.T) {
	free := released(t, "tcp")
	sug := Suggest(context.Background(), 0, offsets(free), Options{})
	if !sug.Found || sug.Offset != 0 || sug.Tried != 1 || len(sug.Skipped) != 0 {
		t.Errorf("suggestion %+v", sug)
	}
}

func TestSuggestWhenNoOffsetCanHelp(t *testing.T) {
	fixed := testnet.Listen(t, "127.0.0.1:0").Port
	sug := Suggest(context.Background(), 0, offsets(released(t, "tcp"), fixed), Options{})
	if sug.Found || !strings.Contains(sug.Why, "takes no offset and is busy: no offset frees it") {
		t.Errorf("a busy port that takes no offset: %+v", sug)
	}
	sug = Suggest(context.Background(), expect.MaxPort, offsets(1), Options{})
	if sug.Found || !strings.Contains(sug.Why, "past 65535") {
		t.Errorf("past the last port: %+v", sug)
	}
}

func TestReports(t *testing.T) {
	sp := spec(t, "8290,8000/udp")
	rep := Report{Spec: sp, Bind: bindWords(netip.Addr{}), Results: []Result{
		{Port: sp.Ports[0], State: Busy, Detail: "in use", Holders: []Holder{{PID: 42, User: "wso2", Command: "java -Dcarbon.home=/opt/mi ...", Carbon: "mi pid 42, home /opt/mi", Socket: "tcp [::]:8290 LISTEN"}}},
		{Port: sp.Ports[1], State: Free},
	}, Notes: []string{"2 processes could not be read"}}
	var b bytes.Buffer
	if err := WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := `ad-hoc ports (profile none), no offset
bind test on all addresses (IPv4 and IPv6), as the JVM binds
NAME      PORT  PROTO  NEED      STATE  HELD BY
8290/tcp  8290  tcp    required  busy   pid 42 (wso2): mi pid 42, home /opt/mi [tcp [::]:8290 LISTEN]
8000/udp  8000  udp    required  free   
BUSY: 1 of 2 ports tested are not free
  - 8290/tcp: busy: in use; held by pid 42 (wso2): mi pid 42, home /opt/mi [tcp [::]:8290 LISTEN]
  note: 2 processes could not be read
`
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string
		Free   bool
		Ports  []struct {
			State   string
			Holders []struct {
				PID    int
				Carbon string
			}
		}
		Problems []string
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || doc.Free || len(doc.Problems) != 1 || doc.Ports[0].State != "busy" || doc.Ports[0].Holders[0].PID != 42 || doc.Ports[1].State != "free" {
		t.Errorf("json %+v", doc)
	}
}
