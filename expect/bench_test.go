package expect

import (
	"path/filepath"
	"testing"
)

// BenchmarkResolveHome is `carbonprobe ports --carbon-home DIR` without the
// printing: detect the product, read every file that decides a port, resolve.
// The budget is 20 ms per home. The upstream homes are the products' own
// files (testdata/upstream/README.md).
func BenchmarkResolveHome(b *testing.B) {
	for _, tc := range []struct{ dir, home, runtime string }{
		{"homes", "apim-4.2.0", ""}, {"homes", "apim-2.6.0", ""}, {"homes", "ei-6.5.0", "broker"}, {"homes", "is-5.7.0", ""}, {"homes", "mi-1.2.0", ""},
		{"upstream", "carbon-4.4.40", ""}, {"upstream", "wso2am-2.5.0", ""}, {"upstream", "wso2am-universal-gw-4.5.0", ""},
		{"upstream", "wso2am-tm-4.5.0", ""}, {"upstream", "wso2am-acp-4.5.0", ""}, {"upstream", "wso2mi-1.0.0", ""}, {"upstream", "wso2mi-4.2.0", ""},
	} {
		name := tc.home
		if tc.runtime != "" {
			name += "-" + tc.runtime
		}
		b.Run(name, func(b *testing.B) {
			in := Input{CarbonHome: flag("carbon-home", filepath.Join("testdata", tc.dir, tc.home)), Environ: func(string) (string, bool) { return "", false }}
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
