package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/target"
)

// TestHomesGolden renders `carbonprobe ports --carbon-home DIR` for each
// product version's home in expect/testdata/homes: every row names the file
// and line that decided it. A home the tool must refuse has its errors as
// the golden file instead.
func TestHomesGolden(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Join("testdata", "homes"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		golden, home, runtime, javaOpts string
		json                            bool
	}{
		{golden: "carbon-4.4.40.txt", home: "carbon-4.4.40"},
		{golden: "apim-2.6.0.txt", home: "apim-2.6.0"},
		{golden: "apim-3.2.0.txt", home: "apim-3.2.0"},
		{golden: "apim-4.2.0.txt", home: "apim-4.2.0"},
		{golden: "apim-4.2.0.json", home: "apim-4.2.0", json: true},
		{golden: "is-5.7.0.txt", home: "is-5.7.0"},
		{golden: "is-5.7.0-portoffset2.txt", home: "is-5.7.0", javaOpts: "-Xms256m -Dcom.sun.management.jmxremote org.wso2.carbon.bootstrap.Bootstrap -DportOffset=2"},
		{golden: "is-5.11.0.txt", home: "is-5.11.0"},
		{golden: "is-7.0.0.txt", home: "is-7.0.0"},
		{golden: "mi-1.0.0.txt", home: "mi-1.0.0"},
		{golden: "mi-1.2.0.txt", home: "mi-1.2.0"},
		{golden: "mi-1.2.0.json", home: "mi-1.2.0", json: true},
		{golden: "mi-4.2.0.txt", home: "mi-4.2.0"},
		{golden: "ei-6.1.0-analytics.txt", home: "ei-6.1.0", runtime: "analytics"},
		{golden: "ei-6.5.0-integrator.txt", home: "ei-6.5.0"},
		{golden: "ei-6.5.0-business-process.txt", home: "ei-6.5.0", runtime: "business-process"},
		{golden: "ei-6.5.0-broker.txt", home: "ei-6.5.0", runtime: "broker"},
		{golden: "ei-6.5.0-analytics.err", home: "ei-6.5.0", runtime: "analytics"},
		{golden: "ei-6.6.0-integrator.txt", home: "ei-6.6.0"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			in := expect.Input{CarbonHome: expect.Text{Value: filepath.Join("..", "..", "expect", "testdata", "homes", tc.home), Origin: "flag --carbon-home"}}
			if tc.runtime != "" {
				in.Runtime = expect.Text{Value: tc.runtime, Origin: "flag --runtime"}
			}
			if tc.javaOpts != "" {
				in.JavaOpts = expect.Text{Value: tc.javaOpts, Origin: "flag --java-opts"}
			}
			spec, err := expect.Resolve(in)
			var b bytes.Buffer
			switch {
			case strings.HasSuffix(tc.golden, ".err"):
				if err == nil {
					t.Fatal("resolved a home the tool must refuse")
				}
				for _, line := range text.Lines(err) {
					b.WriteString(line + "\n")
				}
			case err != nil:
				t.Fatal(err)
			case tc.json:
				err = PortsJSON(&b, target.Target{Spec: spec})
			default:
				err = PortsText(&b, target.Target{Spec: spec}, Style{})
			}
			if err != nil && !strings.HasSuffix(tc.golden, ".err") {
				t.Fatal(err)
			}
			golden(t, filepath.Join("homes", tc.golden), b.Bytes())
		})
	}
}
