package expect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// version is a product version as numbers: 4.2.0 is {4, 2, 0}. nil is unknown.
type version []int

func parseVersion(s string) (version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) > 4 {
		return nil, fmt.Errorf("%q is not a version", s)
	}
	v := make(version, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 9999 || p != strconv.Itoa(n) {
			return nil, fmt.Errorf("%q is not a version", s)
		}
		v[i] = n
	}
	return v, nil
}

func (v version) String() string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// cmpPrefix compares v with bound on the bound's components only, so that
// 4.2.0 equals the bound 4 and the bound 4.2.
func cmpPrefix(v, bound version) int {
	for i, b := range bound {
		n := 0
		if i < len(v) {
			n = v[i]
		}
		switch {
		case n < b:
			return -1
		case n > b:
			return 1
		}
	}
	return 0
}

// inRange reports whether v lies in [lo, hi], each bound compared on its own components.
func inRange(v version, r []string) bool {
	if len(r) != 2 || v == nil {
		return false
	}
	lo, err1 := parseVersion(r[0])
	hi, err2 := parseVersion(r[1])
	return err1 == nil && err2 == nil && cmpPrefix(v, lo) >= 0 && cmpPrefix(v, hi) <= 0
}

func checkRange(r []string) error {
	switch len(r) {
	case 0:
		return nil
	case 2:
	default:
		return errors.New("give [lowest, highest]")
	}
	lo, err := parseVersion(r[0])
	if err != nil {
		return err
	}
	hi, err := parseVersion(r[1])
	if err != nil {
		return err
	}
	if cmpPrefix(lo, hi) > 0 {
		return fmt.Errorf("%s is above %s", r[0], r[1])
	}
	return nil
}
