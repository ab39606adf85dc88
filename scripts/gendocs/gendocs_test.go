package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docs is the repository's docs directory, where the generated files are
// checked in.
const docs = "../../docs"

func generated(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return out
}

// TestCheckedIn: the files in docs/ are what the definitions give now; a
// flag added without running gendocs fails here.
func TestCheckedIn(t *testing.T) {
	for path, data := range generated(t) {
		old, err := os.ReadFile(filepath.Join(docs, path))
		if err != nil {
			t.Errorf("%v: run go run ./scripts/gendocs", err)
			continue
		}
		if !bytes.Equal(old, data) {
			t.Errorf("docs/%s is stale: run go run ./scripts/gendocs", path)
		}
	}
}

func need(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed (scripts/install-deps.sh installs it)", tool)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %q: %v\n%s%s", name, args, err, out, stderr.String())
	}
	return string(out)
}

// bashComplete runs the generated bash function on a command line, the
// cursor at its end, and returns what it offers.
func bashComplete(t *testing.T, script, line string) []string {
	t.Helper()
	// The words as bash's completion splits them: at blanks and at '='.
	prog := `source "$1"; line=$2
words=()
for w in $line; do
  if [[ $w == --*=* ]]; then words+=("${w%%=*}" "=" "${w#*=}"); else words+=("$w"); fi
done
[[ $line == *" " ]] && words+=("")
COMP_WORDS=("${words[@]}"); COMP_CWORD=$((${#words[@]} - 1))
_carbonprobe
printf '%s\n' "${COMPREPLY[@]}"`
	out := run(t, "bash", "--norc", "-c", prog, "bash", script, line)
	return strings.Fields(out)
}

func TestBash(t *testing.T) {
	need(t, "bash")
	script := filepath.Join(docs, "completions", "carbonprobe.bash")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "wso2mi-4.2.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wso2-extra.toml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line string
		want []string
		not  []string
	}{
		{line: "carbonprobe ", want: []string{"ports", "check", "wait", "preflight", "jmx", "--help", "--version"}},
		{line: "carbonprobe ch", want: []string{"check"}, not: []string{"ports"}},
		{line: "carbonprobe check --for", want: []string{"--format"}},
		{line: "carbonprobe check --format ", want: []string{"text", "json", "junit"}},
		{line: "carbonprobe ports --format ", want: []string{"text", "json"}, not: []string{"junit"}},
		{line: "carbonprobe check --format=j", want: []string{"json", "junit"}, not: []string{"text"}},
		{line: "carbonprobe check --profile ap", want: []string{"apim-2", "apim-3", "apim-4", "apim-acp", "apim-gw", "apim-tm"}, not: []string{"mi"}},
		{line: "carbonprobe wait --progress ", want: []string{"auto", "bar", "lines", "none"}},
		{line: "carbonprobe check --carbon-home " + dir + "/wso2", want: []string{dir + "/wso2mi-4.2.0"}, not: []string{dir + "/wso2-extra.toml"}},
		{line: "carbonprobe check --expect " + dir + "/wso2-e", want: []string{dir + "/wso2-extra.toml"}},
		{line: "carbonprobe check --offset ", want: nil, not: []string{"--profile"}},
		{line: "carbonprobe wait --offset 3 --", want: []string{"--"}},
		{line: "carbonprobe wait -- bas", want: []string{"bash"}},
		{line: "carbonprobe preflight --s", want: []string{"--suggest"}},
	} {
		got := bashComplete(t, script, tc.line)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: offers %q, not %q", tc.line, got, w)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("%q: offers %q, with %q", tc.line, got, w)
			}
		}
		if tc.want == nil && len(got) > 0 {
			t.Errorf("%q: offers %q, want nothing", tc.line, got)
		}
	}
}

// TestFish asks fish itself what it would complete.
func TestFish(t *testing.T) {
	need(t, "fish")
	script := filepath.Join(docs, "completions", "carbonprobe.fish")
	run(t, "fish", "--no-execute", script)
	ask := func(line string) []string {
		out := run(t, "fish", "--no-config", "-c", "source $argv[1]; complete --do-complete=$argv[2]", script, line)
		var words []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			w, _, _ := strings.Cut(l, "\t")
			words = append(words, w)
		}
		return words
	}
	if got := ask("carbonprobe "); !slices.Contains(got, "check") || !slices.Contains(got, "wait") {
		t.Errorf("commands: %q", got)
	}
	if got := ask("carbonprobe check --format "); !slices.Equal(got, []string{"json", "junit", "text"}) && !slices.Equal(got, []string{"text", "json", "junit"}) {
		t.Errorf("check --format: %q", got)
	}
	if got := ask("carbonprobe check --no-v"); !slices.Contains(got, "--no-verify") {
		t.Errorf("check --no-v: %q", got)
	}
}

// TestZsh: zsh parses the function, compinit registers it for carbonprobe,
// and the specifications it hands to _arguments name every flag, with the
// fixed values where a flag has them.
func TestZsh(t *testing.T) {
	need(t, "zsh")
	dir, err := filepath.Abs(filepath.Join(docs, "completions"))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "_carbonprobe")
	run(t, "zsh", "-n", script)
	home := t.TempDir()
	got := run(t, "zsh", "-f", "-c", `fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2/zcompdump"; print -r -- $_comps[carbonprobe]`, "zsh", dir, home)
	if strings.TrimSpace(got) != "_carbonprobe" {
		t.Errorf("compinit registers %q for carbonprobe, want _carbonprobe", got)
	}
	// _arguments and _describe print what they are given; the state
	// machine is walked with words as zsh sets them.
	capture := `_arguments() { print -rl -- "$@"; state=$ZSTATE }
_describe() { print -rl -- "${(@P)4}" }
source "$1"`
	spec := run(t, "zsh", "-f", "-c", capture+"\nZSTATE=args; words=(check); _carbonprobe", "zsh", script)
	for _, w := range []string{
		"--format=[output\\: text, json, junit]:format:(text json junit)",
		"--carbon-home=[the server's home directory]:directory:_files -/",
		"--expect=[a TOML or YAML file of extra ports to expect]:file:_files",
		"*--ports=[ad-hoc ports to check as given]: ",
		"--no-verify[only dial\\: do not check which protocol answers]",
		"--runtime=[EI 6 runtime\\: integrator, business-process, broker, analytics]:runtime:(integrator business-process broker analytics)",
	} {
		if !strings.Contains(spec, w+"\n") {
			t.Errorf("check's _arguments lacks %q:\n%s", w, spec)
		}
	}
	cmds := run(t, "zsh", "-f", "-c", capture+"\nZSTATE=command; _carbonprobe", "zsh", script)
	for _, c := range []string{"ports", "check", "wait", "preflight", "jmx"} {
		if !strings.Contains(cmds, "\n"+c+":") {
			t.Errorf("commands lack %s:\n%s", c, cmds)
		}
	}
}

// TestMan: groff renders the page without a warning, and it names every
// command and the exit codes.
func TestMan(t *testing.T) {
	need(t, "groff")
	page := filepath.Join(docs, "man", "carbonprobe.1")
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
	text := string(out)
	for _, w := range []string{"ports", "check", "wait", "preflight", "jmx", "Exit codes", "--carbon-home", "CARBONPROBE_OFFSET"} {
		if !strings.Contains(text, w) {
			t.Errorf("the rendered man page lacks %q", w)
		}
	}
}
