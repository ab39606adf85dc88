package wait

import (
	"net/netip"

	"github.com/carbonprobe/carbonprobe/probe/connect"
)

// refusedNow reports whether every address refuses a TCP connection to port
// right now. On a local host the kernel answers the SYN with a RST inside the
// connect call itself, so a non-blocking connect tells "refused" without the
// netpoller, a goroutine or a timer. The socket is kept from one check to the
// next (connect.Serial): no socket(2) and close(2) per check, which, one
// check every 10 ms with the CPU idle in between, took a check from about
// 120 µs to 50 µs here (docs/wait.md). Anything but a refusal (accepted,
// still in progress, another error) returns false, and the caller then
// makes the real dial, whose result is the one that counts; a connection
// the check made is reset at once. Off Linux it is always false: every poll
// makes the full dial.
func refusedNow(addrs []netip.Addr, port int) bool {
	for _, a := range addrs {
		if connect.Serial(a, port) != connect.Refused {
			return false
		}
	}
	return len(addrs) > 0
}
