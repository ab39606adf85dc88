package expect

import (
	"path/filepath"
	"testing"
)

// BenchmarkResolveHome is `carbonprobe ports --carbon-home DIR` without the
// printing: detect the product, read every file that decides a port, resolve.
// The budget is 20 ms per home.
func BenchmarkResolveHome(b *testing.B) {
	for _, tc := range []struct{ home, runtime string }{
		{"apim-4.2.0", ""}, {"apim-2.6.0", ""}, {"ei-6.5.0", "broker"}, {"is-5.7.0", ""}, {"mi-1.2.0", ""},
	} {
		name := tc.home
		if tc.runtime != "" {
			name += "-" + tc.runtime
		}
		b.Run(name, func(b *testing.B) {
			in := Input{CarbonHome: flag("carbon-home", filepath.Join("testdata", "homes", tc.home))}
			if tc.runtime != "" {
				in.Runtime = flag("runtime", tc.runtime)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Resolve(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
