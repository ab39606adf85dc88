package wait

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
)

// TestReadinessAskedByTheWholeCheckOnly: a wait's one-port dials ask the
// port and nothing more; the product's readiness endpoint is asked by the
// whole check that ends the wait, once when it says yes.
func TestReadinessAskedByTheWholeCheckOnly(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			asked.Add(1)
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	spec, err := expect.Resolve(expect.Input{Ports: expect.Text{Value: fmt.Sprintf("%d=http", port), Origin: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	spec.Signals = []expect.Signal{{Kind: expect.SignalReadiness, Port: spec.Ports[0].Name, Expect: expect.HTTPExpect{Path: "/healthz"}, Need: expect.Required, Means: "ready"}}
	res := Until(context.Background(), at(spec), Options{Timeout: 10 * time.Second})
	if res.Reason != Ready {
		t.Fatalf("reason %s: %s", res.Reason, res.Detail)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("/healthz asked %d times, want once (by the whole check)", n)
	}
}
