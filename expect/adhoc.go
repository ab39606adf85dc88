package expect

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// maxAdHoc bounds how many ports --ports may name: every port of both protocols.
const maxAdHoc = 2 * MaxPort

// ParsePorts reads a --ports list: "8080,9443-9450,8000/udp,10389=ldap".
// An entry is a port or an inclusive range, an optional /tcp or /udp, and an
// optional =role naming what must answer (the role also implies the protocol:
// 8000=kdc is UDP); an http or https role may name the path to request,
// 9201=http:/healthz, and then a 2xx or 3xx status is what counts. Numbers
// are taken as they are: no offset is added. Every bad entry is reported, not
// only the first.
func ParsePorts(list, origin string) ([]Port, error) {
	// One Port per entry at least: sized once, not grown by doubling
	// (a Port is large, and 2,000 ports were 2 MB of copies).
	out := make([]Port, 0, min(strings.Count(list, ",")+1, maxAdHoc))
	var errs *multierror.Error
	for raw := range strings.SplitSeq(list, ",") {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			continue
		}
		more, err := parsePortEntry(out, entry)
		if errors.Is(err, errTooMany) {
			errs = multierror.Append(errs, fmt.Errorf("%s: more than %d ports", origin, maxAdHoc))
			break
		}
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s %q: %w", origin, entry, err))
			continue
		}
		out = more
	}
	if errs == nil && len(out) == 0 {
		errs = multierror.Append(errs, fmt.Errorf("%s: no ports in %q", origin, list))
	}
	return out, errs.ErrorOrNil()
}

// errTooMany: the list holds more than maxAdHoc ports.
var errTooMany = errors.New("too many ports")

// parsePortEntry appends the ports of one entry to out; on an error, out
// is returned unchanged.
func parsePortEntry(out []Port, entry string) ([]Port, error) {
	spec, roleText, hasRole := strings.Cut(entry, "=")
	numbers, protoText, hasProto := strings.Cut(spec, "/")

	role := Role("")
	var want *HTTPExpect
	if hasRole {
		roleName, path, hasPath := strings.Cut(roleText, ":")
		role = Role(strings.ToLower(strings.TrimSpace(roleName)))
		if !role.valid() {
			return out, fmt.Errorf("unknown role %q (known: %s)", roleName, roleList())
		}
		if hasPath {
			want = &HTTPExpect{Path: strings.TrimSpace(path)}
			if problems := want.check(role); len(problems) > 0 {
				return out, fmt.Errorf("%s", strings.Join(problems, "; "))
			}
		}
	}
	proto := TCP
	switch {
	case hasProto:
		proto = Proto(strings.ToLower(strings.TrimSpace(protoText)))
		if proto != TCP && proto != UDP {
			return out, fmt.Errorf("protocol %q is neither tcp nor udp", protoText)
		}
		if hasRole && !role.Fits(proto) {
			return out, fmt.Errorf("%s answers over %s, not %s", role, role.Proto(), proto)
		}
	case hasRole:
		proto = role.Proto()
	}
	if !hasRole {
		role = RoleTCP
		if proto == UDP {
			role = RoleUDP
		}
	}

	loText, hiText, isRange := strings.Cut(numbers, "-")
	lo, err := parsePortNumber(loText)
	if err != nil {
		return out, err
	}
	hi := lo
	if isRange {
		if hi, err = parsePortNumber(hiText); err != nil {
			return out, err
		}
		if hi < lo {
			return out, fmt.Errorf("range %d-%d runs backwards", lo, hi)
		}
	}
	if len(out)+hi-lo+1 > maxAdHoc {
		return out, errTooMany
	}
	out = slices.Grow(out, hi-lo+1)
	for n := lo; n <= hi; n++ {
		out = append(out, Port{
			Name: fmt.Sprintf("%d/%s", n, proto), Proto: proto, Base: n, Number: n,
			Role: role, Need: Required, Why: fmt.Sprintf("%d (from --ports, no offset)", n),
			Source: "--ports", AdHoc: true, HTTP: want,
		})
	}
	return out, nil
}

func parsePortNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	if n < 1 || n > MaxPort {
		return 0, fmt.Errorf("%d is not a port number (1-%d)", n, MaxPort)
	}
	return n, nil
}

func roleList() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
