//go:build !unix

package preflight

import (
	"errors"
	"net/netip"

	"github.com/carbonprobe/carbonprobe/expect"
)

var errInUse = errors.New("address already in use")

func bindTest(proto expect.Proto, bind netip.Addr, port int) error {
	return errors.New("bind tests are supported on Unix only")
}
