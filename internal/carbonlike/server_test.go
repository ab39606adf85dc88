package carbonlike

import (
	"context"
	"maps"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"
)

func dialAll(t *testing.T, ports map[string]int) {
	t.Helper()
	for name, port := range ports {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 10*time.Second)
		if err != nil {
			t.Errorf("port %s=%d: expected a TCP accept, got %v", name, port, err)
			continue
		}
		c.Close()
	}
}

func TestProfilesOpenEveryPort(t *testing.T) {
	for _, profile := range []string{"carbon", "mi"} {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			s := Start(t, Options{Profile: profile})
			bases := Bases(profile)
			if got, want := slices.Sorted(maps.Keys(s.Ports)), slices.Sorted(maps.Keys(bases)); !slices.Equal(got, want) {
				t.Fatalf("ready line names %v, expected %v", got, want)
			}
			for name, base := range bases {
				if s.Ports[name] != base+s.Offset {
					t.Errorf("%s: expected %d+%d, ready line says %d", name, base, s.Offset, s.Ports[name])
				}
			}
			owned := listening(t, s.PID)
			for name, port := range s.Ports {
				if _, ok := owned[port]; !ok {
					t.Errorf("%s=%d: expected a listener owned by pid %d, /proc shows none", name, port, s.PID)
				}
			}
			dialAll(t, s.Ports)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := s.WaitReady(ctx); err != nil {
				t.Errorf("WaitReady after ready: %v", err)
			}
		})
	}
}
