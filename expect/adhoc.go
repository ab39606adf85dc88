package expect

import (
	"fmt"
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
	var out []Port
	var errs *multierror.Error
	for _, raw := range strings.Split(list, ",") {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			continue
		}
		ports, err := parsePortEntry(entry)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s %q: %w", origin, entry, err))
			continue
		}
		if len(out)+len(ports) > maxAdHoc {
			errs = multierror.Append(errs, fmt.Errorf("%s: more than %d ports", origin, maxAdHoc))
			break
		}
		out = append(out, ports...)
	}
	if errs == nil && len(out) == 0 {
		errs = multierror.Append(errs, fmt.Errorf("%s: no ports in %q", origin, list))
	}
	return out, errs.ErrorOrNil()
}

func parsePortEntry(entry string) ([]Port, error) {
	spec, roleText, hasRole := strings.Cut(entry, "=")
	numbers, protoText, hasProto := strings.Cut(spec, "/")

	role := Role("")
	var want *HTTPExpect
	if hasRole {
		roleName, path, hasPath := strings.Cut(roleText, ":")
		role = Role(strings.ToLower(strings.TrimSpace(roleName)))
		if !role.valid() {
			return nil, fmt.Errorf("unknown role %q (known: %s)", roleName, roleList())
		}
		if hasPath {
			want = &HTTPExpect{Path: strings.TrimSpace(path)}
			if problems := want.check(role); len(problems) > 0 {
				return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
			}
		}
	}
	proto := TCP
	switch {
	case hasProto:
		proto = Proto(strings.ToLower(strings.TrimSpace(protoText)))
		if proto != TCP && proto != UDP {
			return nil, fmt.Errorf("protocol %q is neither tcp nor udp", protoText)
		}
		if hasRole && !role.Fits(proto) {
			return nil, fmt.Errorf("%s answers over %s, not %s", role, role.Proto(), proto)
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
		return nil, err
	}
	hi := lo
	if isRange {
		if hi, err = parsePortNumber(hiText); err != nil {
			return nil, err
		}
		if hi < lo {
			return nil, fmt.Errorf("range %d-%d runs backwards", lo, hi)
		}
	}
	out := make([]Port, 0, hi-lo+1)
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
