package command

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

// The deployment examples of docs/deploy.md are loaded here, not only
// shown: their targets files parse, the sidecar's command line is a valid
// serve command, and the probes ask the port and the paths it answers.

func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

// dig walks maps and lists: dig(v, "spec", "containers", 0, "args").
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = fmt.Sprint(x)
	}
	return out
}

// serveArgs runs a serve command line of an example with --check-config,
// its targets file replaced by the example's own content.
func checkServeArgs(t *testing.T, args []string, targets string) {
	t.Helper()
	i := slices.Index(args, "--targets")
	if len(args) == 0 || args[0] != "serve" || i < 0 || i+1 >= len(args) {
		t.Fatalf("not a serve --targets command line: %q", args)
	}
	file := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(file, []byte(targets), 0o644); err != nil {
		t.Fatal(err)
	}
	run := slices.Clone(args)
	run[i+1] = file
	code, stdout, stderr := runCLI(t, nil, append(run, "--check-config")...)
	if code != 0 || !strings.Contains(stdout, "1 targets") {
		t.Errorf("%q --check-config: exit %d\n%s%s", args, code, stdout, stderr)
	}
}

func TestKubernetesExample(t *testing.T) {
	docs := yamlDocs(t, "../../docs/examples/kubernetes.yaml")
	var targets string
	var pod any
	for _, d := range docs {
		switch d["kind"] {
		case "ConfigMap":
			targets, _ = dig(d, "data", "targets.yaml").(string)
		case "Deployment":
			pod = dig(d, "spec", "template")
		}
	}
	if targets == "" || pod == nil {
		t.Fatal("the example has no ConfigMap with targets.yaml, or no Deployment")
	}
	if dig(pod, "spec", "shareProcessNamespace") != true {
		t.Error("the sidecar must share the pod's process namespace to see the server's JVM")
	}
	var side any
	for i := 0; dig(pod, "spec", "containers", i) != nil; i++ {
		if dig(pod, "spec", "containers", i, "name") == "carbonprobe" {
			side = dig(pod, "spec", "containers", i)
		}
	}
	if side == nil {
		t.Fatal("no carbonprobe container")
	}
	args := strs(dig(side, "args"))
	checkServeArgs(t, args, targets)
	listen := args[slices.Index(args, "--listen")+1]
	if port := dig(side, "ports", 0, "containerPort"); listen != fmt.Sprintf(":%v", port) || dig(side, "ports", 0, "name") != "metrics" {
		t.Errorf("--listen %s, but the container port is %v", listen, port)
	}
	if a := dig(pod, "metadata", "annotations", "prometheus.io/port"); listen != ":"+fmt.Sprint(a) {
		t.Errorf("prometheus.io/port %v, but --listen %s", a, listen)
	}
	for probe, path := range map[string]string{"startupProbe": "/readyz", "readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := dig(side, probe, "httpGet", "path"); got != path || dig(side, probe, "httpGet", "port") != "metrics" {
			t.Errorf("%s asks %v on port %v, want %s on metrics", probe, got, dig(side, probe, "httpGet", "port"), path)
		}
	}
	mount := dig(side, "volumeMounts", 0, "mountPath")
	if file := args[slices.Index(args, "--targets")+1]; fmt.Sprint(mount)+"/targets.yaml" != file {
		t.Errorf("--targets %s is not in the mounted %v", file, mount)
	}
}

func TestComposeExample(t *testing.T) {
	docs := yamlDocs(t, "../../docs/examples/compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	c := docs[0]
	side := dig(c, "services", "carbonprobe")
	targets, _ := dig(c, "configs", "targets", "content").(string)
	checkServeArgs(t, strs(dig(side, "command")), targets)
	if dig(c, "services", "client", "depends_on", "carbonprobe", "condition") != "service_healthy" {
		t.Error("the client does not wait for carbonprobe to be healthy")
	}
	test := strs(dig(side, "healthcheck", "test"))
	if !slices.Equal(test, []string{"CMD", "carbonprobe", "serve", "--healthcheck"}) {
		t.Fatalf("healthcheck %q", test)
	}
	// The healthcheck's command line is valid, and says "not ready" (exit
	// 1, not the usage code 3) when nothing answers.
	code, stdout, stderr := runCLI(t, nil, append(test[2:], "--listen", fmt.Sprintf("127.0.0.1:%d", testnet.Refused(t)))...)
	if code != 1 || !strings.Contains(stdout, "not ready") {
		t.Errorf("healthcheck: exit %d\n%s%s", code, stdout, stderr)
	}
	if dig(side, "network_mode") != "service:mi" || dig(side, "pid") != "service:mi" {
		t.Error("carbonprobe must share the MI's network and process namespaces")
	}
}
