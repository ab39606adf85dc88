package carbonlike

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// The JMX pair every profile can open (mi only with -Dcarbonlike.jmx=true).
var jmxBases = map[string]int{"jmx-registry": 9999, "jmx-server": 11111}

// Bases returns name -> base port (before the offset) for a profile ("carbon" or "mi"). The names
// are the ones the server prints on its ready line. For "carbon" it includes the JMX pair; for
// "mi" it does not, as the real MI opens none.
func Bases(profile string) map[string]int {
	m := map[string]int{}
	switch profile {
	case "carbon", "":
		m["https"], m["http"] = 9443, 9763
		for k, v := range jmxBases {
			m[k] = v
		}
	case "mi":
		m["passthrough-http"], m["passthrough-https"] = 8280, 8243
		m["internal-http"], m["management-https"] = 9191, 9154
	}
	return m
}

// DefaultOffset is the offset a profile uses when none is configured: MI's built-in 10.
func DefaultOffset(profile string) int {
	if profile == "mi" {
		return 10
	}
	return 0
}

// checkedBases is what an offset must leave free: the profile's ports plus the JMX pair, so an
// offset chosen for mi also works with -Dcarbonlike.jmx=true.
func checkedBases(profile string) []int {
	var ports []int
	for _, p := range Bases(profile) {
		ports = append(ports, p)
	}
	if profile == "mi" {
		for _, p := range jmxBases {
			ports = append(ports, p)
		}
	}
	return ports
}

// Offsets are kept so that base+offset stays below 32768: out of Linux's default ephemeral range
// (32768-60999), where the JVM's random ports and every test's :0 listeners land.
const maxPort = 32767

func maxOffset(profile string) int {
	hi := 0
	for _, p := range checkedBases(profile) {
		hi = max(hi, p)
	}
	return maxPort - hi
}

// reserved holds ports handed out to live servers and FreeOffset callers of this test binary, so
// parallel tests never pick overlapping sets (two offsets can share a port: 9443+320 = 9763+0).
var reserved = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// reserve claims every port of the set if none is reserved and all are bindable now.
func reserve(profile string, offset int) ([]int, bool) {
	var ports []int
	for _, b := range checkedBases(profile) {
		ports = append(ports, b+offset)
	}
	reserved.Lock()
	defer reserved.Unlock()
	for _, p := range ports {
		if reserved.ports[p] || !bindable(p) {
			return nil, false
		}
	}
	for _, p := range ports {
		reserved.ports[p] = true
	}
	return ports, true
}

func release(ports []int) {
	reserved.Lock()
	defer reserved.Unlock()
	for _, p := range ports {
		delete(reserved.ports, p)
	}
}

// bindable reports whether a TCP listener can take the port on loopback and on the IPv4 wildcard
// (where the JVM binds with -Djava.net.preferIPv4Stack=true) right now.
func bindable(port int) bool {
	for _, host := range []string{"127.0.0.1", "0.0.0.0"} {
		l, err := net.Listen("tcp4", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// pickOffset is a variable so the harness's own tests can force a busy offset first.
var pickOffset = func(profile string) int { return 1 + rand.IntN(maxOffset(profile)) }

// freeOffset reserves a random offset whose whole set is free, trying up to 200 candidates.
func freeOffset(profile string) (int, []int, bool) {
	for range 200 {
		off := pickOffset(profile)
		if ports, ok := reserve(profile, off); ok {
			return off, ports, true
		}
	}
	return 0, nil, false
}

// FreeOffset returns an offset whose whole port set (Bases(profile) plus, for mi, the JMX pair;
// the profiles have no fixed UDP ports) is bindable on 127.0.0.1 and 0.0.0.0 right now, with
// every port below 32768. The set stays reserved against other harness users in this test binary
// until the test ends; another process can still take a port meanwhile.
func FreeOffset(t testing.TB, profile string) int {
	t.Helper()
	if profile != "carbon" && profile != "mi" {
		t.Fatalf("carbonlike: FreeOffset: profile %q: expected carbon or mi", profile)
	}
	off, ports, ok := freeOffset(profile)
	if !ok {
		t.Fatalf("carbonlike: no free offset for profile %s after 200 tries below port %d", profile, maxPort)
	}
	t.Cleanup(func() { release(ports) })
	return off
}
