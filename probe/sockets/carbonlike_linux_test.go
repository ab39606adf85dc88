//go:build linux

package sockets

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// TestCarbonLikeJVM finds a real JVM that behaves like a Carbon server (the
// JDK's own RMI registry, JMX connector and jmxremote local connector, and a
// send-only DatagramSocket) by its pid file and by its command line, and
// lists its sockets: fixed ports owned by it, random ones attributed.
func TestCarbonLikeJVM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	for _, tc := range []struct {
		name  string
		opt   carbonlike.Options
		scope string
	}{
		{"carbon, IPv4 stack, offset after the main class", carbonlike.Options{}, "all IPv4 addresses"},
		{"mi, dual stack, offset as a JVM option", carbonlike.Options{Profile: "mi", OffsetIn: "jvm", NoPreferIPv4: true}, "all addresses (IPv4 and IPv6)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opt.NoPreferIPv4 && !ipv6OK() {
				t.Skip("no IPv6 here")
			}
			s := carbonlike.Start(t, tc.opt)
			ctx := context.Background()

			byPid, isCarbon, err := procs.Inspect(s.PID)
			if err != nil || !isCarbon {
				t.Fatalf("Inspect: %v, Carbon %v", err, isCarbon)
			}
			if byPid.PID != s.PID || byPid.Home != s.Home || byPid.Offset == nil || *byPid.Offset != s.Offset || len(byPid.Notes) != 0 {
				t.Errorf("Inspect: %+v; want pid %d, home %s, offset %d", byPid, s.PID, s.Home, s.Offset)
			}
			wantFrom := "before the main class"
			if tc.opt.OffsetIn == "" {
				wantFrom = "after the main class"
			}
			if !strings.Contains(byPid.OffsetFrom, wantFrom) || !byPid.JMXRemote {
				t.Errorf("Inspect: offset from %q, jmxremote %v; want %q and jmxremote", byPid.OffsetFrom, byPid.JMXRemote, wantFrom)
			}
			all, _, err := procs.Find()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(all, func(c procs.Carbon) bool { return c.PID == s.PID && c.Home == s.Home }) {
				t.Errorf("Find did not list pid %d", s.PID)
			}

			fixed := map[string]bool{}
			var ports []uint16
			for _, p := range s.Ports {
				fixed["tcp/"+strconv.Itoa(p)] = true
				ports = append(ports, uint16(p))
			}
			socks, err := Listeners(ctx, Filter{Protos: []string{TCP}, Ports: ports})
			if err != nil {
				t.Fatal(err)
			}
			if len(socks) != len(ports) {
				t.Fatalf("want the %d fixed listeners %v, got %v", len(ports), s.Ports, socks)
			}
			owners, notes, err := Owners(ctx, socks, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, sk := range socks {
				p := owners[sk.Inode]
				if p.PID != s.PID || p.Carbon == nil || p.Carbon.Home != s.Home || p.User == "" {
					t.Errorf("owner of %v = pid %d user %q carbon %+v; want pid %d", sk, p.PID, p.User, p.Carbon, s.PID)
				}
				if sk.Scope() != tc.scope {
					t.Errorf("%v: scope %q; want %q", sk, sk.Scope(), tc.scope)
				}
			}
			if len(notes) != 0 {
				t.Errorf("notes: %q", notes)
			}

			own, err := OfProcess(ctx, s.PID, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			extras := Extras(owners[socks[0].Inode], own, fixed)
			var jmx, syslog []Extra
			for _, e := range extras {
				switch e.Attribution {
				case AttrJMX:
					jmx = append(jmx, e)
				case AttrSyslog:
					syslog = append(syslog, e)
				default:
					t.Errorf("unexplained: %+v", e)
				}
			}
			if len(jmx) != 1 || jmx[0].Socket.Proto != TCP || jmx[0].What != "JDK local JMX connector" || fixed[jmx[0].Socket.Key()] {
				t.Errorf("want one JDK local connector, got %+v", jmx)
			}
			if len(syslog) != 1 || int(syslog[0].Socket.Local.Port()) != s.SyslogPort || syslog[0].Socket.State != StateUnconn || syslog[0].Socket.Remote.Port() != 0 {
				t.Errorf("want the syslog sender on udp/%d, got %+v", s.SyslogPort, syslog)
			}
			for _, e := range extras {
				t.Logf("%s %s (%s): %s [%s]", e.Socket, e.Attribution, e.What, e.Evidence, e.Socket.Scope())
			}
		})
	}
}
