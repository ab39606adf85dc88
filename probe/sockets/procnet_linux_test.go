package sockets

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

func TestProcNetAddr(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the vectors below are as a little-endian kernel prints them")
	}
	for _, tc := range []struct{ in, want string }{
		{"0100007F:1F90", "127.0.0.1:8080"},
		{"00000000:0000", "0.0.0.0:0"},
		{"00000000000000000000000001000000:24D3", "[::1]:9427"},
		{"0000000000000000FFFF00000100007F:270F", "[::ffff:127.0.0.1]:9999"},
		{"B80D0120000000000000000001000000:01BB", "[2001:db8::1]:443"},
	} {
		got, err := procNetAddr([]byte(tc.in))
		if err != nil || got != netip.MustParseAddrPort(tc.want) {
			t.Errorf("procNetAddr(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "0100007G:1F90", "0100007F:1F90F", "01007F:1F90"} {
		if got, err := procNetAddr([]byte(bad)); err == nil {
			t.Errorf("procNetAddr(%q) = %v, want an error", bad, got)
		}
	}
}
