//go:build unix

package preflight

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/expect"
)

var errInUse = errors.New("address already in use")

// bindTest binds a socket as the JVM would and closes it at once: a TCP
// ServerSocket (SO_REUSEADDR on, as the JDK sets it on every platform but
// Windows, so a connection's TIME-WAIT leftover does not count as busy), or a
// DatagramSocket (SO_REUSEADDR off). With no address it binds [::] with
// IPV6_V6ONLY off, which fails when any IPv4 or IPv6 address holds the port,
// and falls back to 0.0.0.0 where IPv6 is off.
func bindTest(proto expect.Proto, bind netip.Addr, port int) error {
	typ := unix.SOCK_STREAM
	if proto == expect.UDP {
		typ = unix.SOCK_DGRAM
	}
	if !bind.IsValid() {
		err := bindOne(unix.AF_INET6, typ, &unix.SockaddrInet6{Port: port}, true)
		if errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EADDRNOTAVAIL) {
			err = bindOne(unix.AF_INET, typ, &unix.SockaddrInet4{Port: port}, false)
		}
		return err
	}
	if bind.Is4() || bind.Is4In6() {
		return bindOne(unix.AF_INET, typ, &unix.SockaddrInet4{Port: port, Addr: bind.Unmap().As4()}, false)
	}
	sa := &unix.SockaddrInet6{Port: port, Addr: bind.As16()}
	if bind.Zone() != "" {
		return fmt.Errorf("bind %s: a scoped address cannot be tested; give the address without %%%s", bind, bind.Zone())
	}
	return bindOne(unix.AF_INET6, typ, sa, false)
}

func bindOne(family, typ int, sa unix.Sockaddr, dualStack bool) error {
	// No SOCK_CLOEXEC: macOS lacks it; the socket lives microseconds anyway.
	fd, err := unix.Socket(family, typ, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	unix.CloseOnExec(fd)
	if dualStack {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return err
		}
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
	}
	switch err := unix.Bind(fd, sa); {
	case errors.Is(err, unix.EADDRINUSE):
		return errInUse
	case errors.Is(err, unix.EACCES):
		return errors.New("permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE, so this user could not test it (nor start a server on it)")
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return fmt.Errorf("%w: the address is not one of this host's", err)
	case err != nil:
		return err
	}
	return nil
}
