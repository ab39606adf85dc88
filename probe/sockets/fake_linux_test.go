//go:build linux

package sockets

import (
	"context"
	"strconv"
	"testing"

	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
)

// TestFakeCarbonServer runs the whole path on a process that looks like a
// Carbon server from outside: its fixed ports found and owned, its random
// ones told apart.
func TestFakeCarbonServer(t *testing.T) {
	srv := procstest.Start(t, procstest.Options{
		JVMArgs:  []string{"-Xmx256m", "-Dcom.sun.management.jmxremote", "-Djava.net.preferIPv4Stack=true"},
		ProgArgs: []string{"-DportOffset=3"},
		Socks: []procstest.Sock{
			{Net: "tcp4", Addr: "127.0.0.1:0"}, // fixed
			{Net: "tcp4", Addr: "0.0.0.0:0"},   // fixed
			{Net: "tcp4", Addr: "0.0.0.0:0"},   // the JDK local connector's random port
			{Net: "udp4", Addr: "0.0.0.0:0"},   // log4j SyslogAppender's send-only socket
		},
	})
	ctx := context.Background()
	fixed := map[string]bool{"tcp/" + strconv.Itoa(srv.Port(0)): true, "tcp/" + strconv.Itoa(srv.Port(1)): true}

	socks, err := Listeners(ctx, Filter{Protos: []string{TCP}, Ports: []uint16{uint16(srv.Port(0)), uint16(srv.Port(1))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 2 {
		t.Fatalf("want the 2 fixed listeners, got %v", socks)
	}
	for _, hint := range []int{0, srv.PID} {
		owners, notes, err := Owners(ctx, socks, hint)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range socks {
			p := owners[s.Inode]
			if p.PID != srv.PID || p.Carbon == nil || p.Carbon.Home != srv.Home || p.Carbon.Offset == nil || *p.Carbon.Offset != 3 {
				t.Errorf("hint %d: owner of %v = %+v (carbon %+v); want the fake server pid %d", hint, s, p, p.Carbon, srv.PID)
			}
		}
		if len(notes) != 0 {
			t.Errorf("hint %d: notes %q", hint, notes)
		}
	}

	own, err := OfProcess(ctx, srv.PID, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(own) != 4 {
		t.Fatalf("OfProcess: want the server's 4 sockets, got %v", own)
	}
	owners, _, err := Owners(ctx, own[:1], srv.PID)
	if err != nil {
		t.Fatal(err)
	}
	extras := Extras(owners[own[0].Inode], own, fixed)
	if len(extras) != 2 {
		t.Fatalf("want 2 extras, got %+v", extras)
	}
	jmx, syslog := extras[0], extras[1]
	if jmx.Socket.Key() != "tcp/"+strconv.Itoa(srv.Port(2)) || jmx.Attribution != AttrJMX || jmx.What != "JDK local JMX connector" {
		t.Errorf("first extra %+v; want the JDK local JMX connector on %d", jmx, srv.Port(2))
	}
	if syslog.Socket.Key() != "udp/"+strconv.Itoa(srv.Port(3)) || syslog.Attribution != AttrSyslog || syslog.Socket.Remote.String() != "0.0.0.0:0" {
		t.Errorf("second extra %+v; want the send-only UDP socket on %d", syslog, srv.Port(3))
	}
}
