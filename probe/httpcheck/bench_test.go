package httpcheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The real servers here are Go's net/http and crypto/tls on loopback; each
// op dials, checks and closes, as the caller does.
func BenchmarkCheckHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "WSO2 Carbon Server")
	}))
	defer srv.Close()
	benchCheck(b, srv.Listener.Addr().String(), func(ctx context.Context, c net.Conn) (Result, error) {
		return CheckHTTP(ctx, c, "", nil)
	})
}

func BenchmarkCheckHTTPS(b *testing.B) {
	ca := newCA(b)
	addr := httpsServer(b, ca.issue(b, leafSpec(365)), 0)
	benchCheck(b, addr, func(ctx context.Context, c net.Conn) (Result, error) {
		return CheckHTTPS(ctx, c, "carbon.test", 0, nil)
	})
}

func benchCheck(b *testing.B, addr string, check func(context.Context, net.Conn) (Result, error)) {
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		r, err := check(ctx, c)
		c.Close()
		cancel()
		if err != nil || !r.OK {
			b.Fatalf("%+v %v", r, err)
		}
	}
}
