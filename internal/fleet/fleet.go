// Package fleet reads a targets file: the Carbon servers that `carbonprobe
// serve` checks on a schedule and `carbonprobe check --targets` checks once.
// A file lists hosts x profiles x offsets x homes, or `local: all` for every
// Carbon server on this host, with how often and how each is probed. It is
// YAML or TOML (by the extension), and every problem is reported at once,
// one line each, with the file and line.
//
// The package says which targets there are, never which ports they have:
// each target becomes a target.Request, and target.Resolve answers it with
// the same precedence as every command.
package fleet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/safefile"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
)

// Limits on a targets file and on anything a target is made of.
const (
	MaxFileSize = 1 << 20 // bytes
	MaxTargets  = 10_000  // after hosts x profiles x offsets x homes
	MaxText     = 4096    // a path, a ports list
	MaxHost     = 253     // a DNS name
)

// Defaults of a target's settings.
const (
	DefaultInterval    = 30 * time.Second
	DefaultCertWarn    = 720 * time.Hour
	DefaultForgetAfter = 15 * time.Minute
	MinInterval        = time.Second
	MaxInterval        = 24 * time.Hour
)

// Settings say how often and how a target is probed.
type Settings struct {
	Interval     time.Duration
	Timeout      time.Duration // per port
	Deadline     time.Duration // the whole check; 0: Timeout + 1s
	CertWarn     time.Duration
	NoVerify     bool
	StrictExtras bool
	Realm        string
	// ForgetAfter is how long a server that `local: all` found keeps being
	// checked (and reported down) after it stopped running.
	ForgetAfter time.Duration
}

// deadline is the whole check's bound: Deadline, else Timeout + 1s, as
// for check --deadline.
func (s Settings) deadline() time.Duration {
	if s.Deadline > 0 {
		return s.Deadline
	}
	return s.Timeout + time.Second
}

// Options are the probe options the settings make.
func (s Settings) Options() probe.Options {
	return probe.Options{Timeout: s.Timeout, Deadline: s.deadline(), CertWarn: s.CertWarn,
		NoVerify: s.NoVerify, StrictExtras: s.StrictExtras, Realm: s.Realm}
}

func defaultSettings() Settings {
	return Settings{Interval: DefaultInterval, Timeout: probe.DefaultTimeout, CertWarn: DefaultCertWarn, ForgetAfter: DefaultForgetAfter}
}

// Selector names one target: what a target.Request is made of. Its Key is
// the target's name in every report and metric.
type Selector struct {
	Host       string // default target.DefaultHost
	Profile    string
	Offset     string // decimal, or "" for what the server and its files say
	CarbonHome string // absolute and clean
	Runtime    string
	Ports      string
	Expect     string // absolute
}

// Key is the selector in one line: the host, then each field given, in a
// fixed order: "10.0.0.5 profile=mi offset=3", "127.0.0.1 home=/opt/wso2mi".
// The same target named by a file and by a /probe request has the same key.
func (s Selector) Key() string {
	var b strings.Builder
	b.WriteString(s.host())
	for _, f := range []struct{ name, val string }{
		{"profile", s.Profile}, {"offset", s.Offset}, {"home", s.CarbonHome},
		{"runtime", s.Runtime}, {"ports", s.Ports}, {"expect", s.Expect},
	} {
		if f.val != "" {
			b.WriteString(" " + f.name + "=" + f.val)
		}
	}
	return b.String()
}

func (s Selector) host() string {
	if s.Host == "" {
		return target.DefaultHost
	}
	return s.Host
}

// Request is the target request of the selector; origin names where it was
// written ("targets.yaml:12", "/probe"), and each value says so.
func (s Selector) Request(origin string, getenv func(string) (string, bool)) target.Request {
	v := func(val, field string) target.Value {
		if val == "" {
			return target.Value{}
		}
		return target.Value{Value: val, Origin: origin + " " + field}
	}
	return target.Request{
		Host: s.host(), Profile: v(s.Profile, "profile"), Offset: v(s.Offset, "offset"),
		CarbonHome: v(s.CarbonHome, "carbon_home"), Runtime: v(s.Runtime, "runtime"),
		Ports: v(s.Ports, "ports"), Expect: v(s.Expect, "expect"),
		Self: os.Getpid(), Getenv: getenv,
	}
}

// Target is one target of the file, after the expansion.
type Target struct {
	Selector
	At string // where it was written: "targets.yaml:12"
	Settings
}

// Local is the file's `local: all` entry: every Carbon server on this host,
// found again at every interval.
type Local struct {
	At string
	Settings
}

// File is a read targets file.
type File struct {
	Path    string
	Targets []Target
	Local   *Local
}

// Len is the number of entries that are checked on their own schedule.
func (f *File) Len() int {
	n := len(f.Targets)
	if f.Local != nil {
		n++
	}
	return n
}

// Find returns the file's target with this key.
func (f *File) Find(key string) (Target, bool) {
	for _, t := range f.Targets {
		if t.Key() == key {
			return t, true
		}
	}
	return Target{}, false
}

// Load reads and checks a targets file.
func Load(path string) (*File, error) {
	data, err := safefile.Read(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("targets file %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("targets file %s: %w", path, err)
	}
	return Parse(data, abs)
}

// Parse checks a targets file's contents; path names it in problems (by
// its base name) and resolves relative paths in it (by its directory).
// Every problem is one line of the error, "targets.yaml:12: ...".
func Parse(data []byte, path string) (*File, error) {
	name := filepath.Base(path)
	var root *node
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		root, err = fromYAML(data)
	case ".toml":
		root, err = fromTOML(data)
	default:
		return nil, fmt.Errorf("targets file %s: %q is neither .yaml/.yml nor .toml: name the format by the extension", name, filepath.Ext(path))
	}
	if err != nil {
		return nil, at(name, err)
	}
	r := &reader{name: name, dir: filepath.Dir(path), file: &File{Path: path}}
	r.document(root)
	if err := r.err(); err != nil {
		return nil, err
	}
	return r.file, nil
}

// at names the file in each of err's problems: "targets.yaml:3: ...".
func at(name string, err error) error {
	var errs *multierror.Error
	for _, e := range unwrapAll(err) {
		var le lineError
		if errors.As(e, &le) {
			errs = multierror.Append(errs, fmt.Errorf("%s:%d: %s", name, le.line, le.msg))
		} else {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", name, e))
		}
	}
	return errs.ErrorOrNil()
}

// unwrapAll is the problems a go-multierror holds, or err alone.
func unwrapAll(err error) []error {
	if m, ok := err.(*multierror.Error); ok {
		return m.Errors
	}
	return []error{err}
}

type reader struct {
	name     string
	dir      string
	file     *File
	problems []lineError
	seen     map[string]int // key -> line
}

func (r *reader) fail(n *node, format string, args ...any) {
	r.problems = append(r.problems, lineError{n.line, fmt.Sprintf(format, args...)})
}

// err is every problem, in the order of the file's lines.
func (r *reader) err() error {
	slices.SortStableFunc(r.problems, func(a, b lineError) int { return a.line - b.line })
	var errs *multierror.Error
	for _, p := range r.problems {
		errs = multierror.Append(errs, fmt.Errorf("%s:%d: %s", r.name, p.line, p.msg))
	}
	return errs.ErrorOrNil()
}

var (
	settingKeys = []string{"interval", "timeout", "deadline", "cert_warn", "no_verify", "strict_extras", "kdc_realm"}
	targetKeys  = []string{"host", "hosts", "profile", "profiles", "offset", "offsets", "carbon_home", "carbon_homes",
		"runtime", "ports", "expect", "local"}
)

func (r *reader) document(root *node) {
	if root.kind != kMap {
		r.fail(root, "the file must be a table with a targets list, not %s", root.what())
		return
	}
	defaults := defaultSettings()
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "defaults":
			if v.kind != kMap {
				r.fail(v, "defaults must be a table of %s, not %s", strings.Join(settingKeys, ", "), v.what())
				continue
			}
			for j, dk := range v.keys {
				if !slices.Contains(settingKeys, dk) && dk != "forget_after" {
					r.fail(v.vals[j], "defaults: unknown key %s (known: %s, forget_after)", dk, strings.Join(settingKeys, ", "))
				}
			}
			defaults = r.settings(v, defaults, "defaults")
		case "targets":
		default:
			r.fail(v, "unknown key %s (known: defaults, targets)", k)
		}
	}
	list := root.get("targets")
	switch {
	case list == nil:
		r.fail(root, "no targets list")
		return
	case list.kind != kList:
		r.fail(list, "targets must be a list of tables, not %s", list.what())
		return
	case len(list.items) == 0:
		r.fail(list, "the targets list is empty")
		return
	}
	r.seen = map[string]int{}
	for _, item := range list.items {
		if item.kind != kMap {
			r.fail(item, "a target must be a table, not %s", item.what())
			continue
		}
		r.entry(item, defaults)
		if len(r.file.Targets) > MaxTargets {
			r.fail(item, "more than %d targets: split the fleet over several exporters", MaxTargets)
			return
		}
	}
}

func (r *reader) entry(n *node, defaults Settings) {
	for i, k := range n.keys {
		if !slices.Contains(targetKeys, k) && !slices.Contains(settingKeys, k) && k != "forget_after" {
			r.fail(n.vals[i], "unknown key %s (known: %s, %s, forget_after)", k, strings.Join(targetKeys, ", "), strings.Join(settingKeys, ", "))
		}
	}
	set := r.settings(n, defaults, "")
	if l := n.get("local"); l != nil {
		r.local(n, l, set)
		return
	}
	if f := n.get("forget_after"); f != nil {
		r.fail(f, "forget_after is for a local: all entry only")
	}
	hosts := r.strings(n, "host", "hosts", r.host)
	profiles := r.strings(n, "profile", "profiles", r.profile)
	offsets := r.offsets(n)
	homes := r.strings(n, "carbon_home", "carbon_homes", r.home)
	sel := Selector{}
	if v := r.text(n, "runtime"); v != nil {
		if !slices.Contains(expect.Runtimes, v.text) {
			r.fail(v, "runtime %q is not one of %s", v.text, strings.Join(expect.Runtimes, ", "))
		}
		sel.Runtime = v.text
	}
	if v := r.text(n, "ports"); v != nil {
		if _, err := expect.ParsePorts(v.text, "ports"); err != nil {
			for _, line := range text.Lines(err) {
				r.fail(v, "%s", line)
			}
		}
		sel.Ports = v.text
	}
	if v := r.text(n, "expect"); v != nil {
		p := v.text
		if !filepath.IsAbs(p) {
			p = filepath.Join(r.dir, p)
		}
		sel.Expect = filepath.Clean(p)
	}
	if len(homes) > 0 {
		for _, h := range hosts {
			if !Loopback(h.text) {
				r.fail(h.n, "host %s with carbon_home: a home is read on this host, so its server runs here: leave host out or give 127.0.0.1", h.text)
			}
		}
	}
	if len(hosts) == 0 {
		hosts = []value{{text: target.DefaultHost, n: n}}
	}
	if len(profiles) == 0 {
		profiles = []value{{n: n}}
	}
	if len(offsets) == 0 {
		offsets = []value{{n: n}}
	}
	if len(homes) == 0 {
		homes = []value{{n: n}}
	}
	total := len(hosts) * len(profiles) * len(offsets) * len(homes)
	if total > MaxTargets || len(r.file.Targets)+total > MaxTargets {
		r.fail(n, "this entry makes %d targets (hosts x profiles x offsets x homes); at most %d in a file", total, MaxTargets)
		return
	}
	for _, h := range hosts {
		for _, p := range profiles {
			for _, o := range offsets {
				for _, home := range homes {
					s := sel
					s.Host, s.Profile, s.Offset, s.CarbonHome = h.text, p.text, o.text, home.text
					t := Target{Selector: s, At: fmt.Sprintf("%s:%d", r.name, n.line), Settings: set}
					key := s.Key()
					if line, dup := r.seen[key]; dup {
						r.fail(n, "target %q is listed already on line %d", key, line)
						continue
					}
					r.seen[key] = n.line
					r.file.Targets = append(r.file.Targets, t)
				}
			}
		}
	}
}

func (r *reader) local(n, l *node, set Settings) {
	ok := l.kind == kScalar && l.text == "all"
	if !ok {
		r.fail(l, "local takes one value, all (every Carbon server on this host)")
	}
	for _, k := range targetKeys {
		if v := n.get(k); v != nil && k != "local" {
			r.fail(v, "%s with local: all: each server found is checked with its own settings; give a separate entry for it", k)
		}
	}
	switch {
	case !ok:
		return
	case r.file.Local != nil:
		r.fail(l, "local: all is listed already (%s)", r.file.Local.At)
		return
	}
	r.file.Local = &Local{At: fmt.Sprintf("%s:%d", r.name, n.line), Settings: set}
}

// settings reads the settings of a table over base.
func (r *reader) settings(n *node, base Settings, where string) Settings {
	s := base
	prefix := ""
	if where != "" {
		prefix = where + ": "
	}
	dur := func(key string, dst *time.Duration, lo, hi time.Duration) {
		v := n.get(key)
		if v == nil {
			return
		}
		if v.kind == kScalar && v.tag == "int" {
			r.fail(v, "%s%s: %q has no unit (write %ss or %sms)", prefix, key, v.text, v.text, v.text)
			return
		}
		if v.kind != kScalar || v.tag != "str" {
			r.fail(v, "%s%s must be a duration in quotes (\"30s\", \"2m\"), not %s", prefix, key, v.what())
			return
		}
		d, err := time.ParseDuration(v.text)
		switch {
		case err != nil && strings.Contains(err.Error(), "missing unit"):
			r.fail(v, "%s%s: %q has no unit (write %ss or %sms)", prefix, key, v.text, v.text, v.text)
		case err != nil:
			r.fail(v, "%s%s: %q is not a duration (examples: 500ms, 30s, 5m)", prefix, key, v.text)
		case d < lo || d > hi:
			r.fail(v, "%s%s: %s is outside %s to %s", prefix, key, d, lo, hi)
		default:
			*dst = d
		}
	}
	flag := func(key string, dst *bool) {
		if v := n.get(key); v != nil {
			if v.kind != kScalar || v.tag != "bool" {
				r.fail(v, "%s%s must be true or false, not %s", prefix, key, v.what())
				return
			}
			*dst, _ = strconv.ParseBool(v.text)
		}
	}
	dur("interval", &s.Interval, MinInterval, MaxInterval)
	dur("timeout", &s.Timeout, time.Millisecond, time.Minute)
	dur("deadline", &s.Deadline, time.Millisecond, time.Hour)
	dur("cert_warn", &s.CertWarn, time.Hour, 10*365*24*time.Hour)
	dur("forget_after", &s.ForgetAfter, 0, 7*24*time.Hour)
	flag("no_verify", &s.NoVerify)
	flag("strict_extras", &s.StrictExtras)
	if v := r.text(n, "kdc_realm"); v != nil {
		s.Realm = v.text
	}
	return s
}

type value struct {
	text string
	n    *node
}

// strings reads a field that is given once (one) or as a list (many), each
// value checked by check, which returns its normal form.
func (r *reader) strings(n *node, one, many string, check func(*node, string) (string, bool)) []value {
	a, b := n.get(one), n.get(many)
	if a != nil && b != nil {
		r.fail(b, "%s and %s both given: give one", one, many)
		return nil
	}
	var items []*node
	switch {
	case a != nil:
		items = []*node{a}
	case b != nil && b.kind != kList:
		r.fail(b, "%s must be a list, not %s (or write %s: for one)", many, b.what(), one)
		return nil
	case b != nil:
		if len(b.items) == 0 {
			r.fail(b, "%s is an empty list", many)
		}
		items = b.items
	}
	var out []value
	seen := map[string]bool{}
	for _, it := range items {
		if it.kind != kScalar || it.tag != "str" {
			r.fail(it, "%s: %s is not text", one, it.what())
			continue
		}
		if len(it.text) > MaxText {
			r.fail(it, "%s: longer than %d characters", one, MaxText)
			continue
		}
		v, ok := check(it, it.text)
		if !ok {
			continue
		}
		if seen[v] {
			r.fail(it, "%s %s is listed twice", one, v)
			continue
		}
		seen[v] = true
		out = append(out, value{v, it})
	}
	return out
}

func (r *reader) text(n *node, key string) *node {
	v := n.get(key)
	if v == nil {
		return nil
	}
	if v.kind != kScalar || v.tag != "str" || v.text == "" {
		r.fail(v, "%s must be text, not %s", key, v.what())
		return nil
	}
	if len(v.text) > MaxText {
		r.fail(v, "%s: longer than %d characters", key, MaxText)
		return nil
	}
	return v
}

func (r *reader) host(n *node, s string) (string, bool) {
	h, err := NormalHost(s)
	if err != nil {
		r.fail(n, "host: %v", err)
		return "", false
	}
	return h, true
}

func (r *reader) profile(n *node, s string) (string, bool) {
	if err := CheckProfile(s); err != nil {
		r.fail(n, "profile: %v", err)
		return "", false
	}
	return s, true
}

func (r *reader) home(n *node, s string) (string, bool) {
	if !filepath.IsAbs(s) {
		r.fail(n, "carbon_home %s is not an absolute path", s)
		return "", false
	}
	return filepath.Clean(s), true
}

// offsets reads offset or offsets: whole numbers, or ranges "0-9".
func (r *reader) offsets(n *node) []value {
	a, b := n.get("offset"), n.get("offsets")
	if a != nil && b != nil {
		r.fail(b, "offset and offsets both given: give one")
		return nil
	}
	var items []*node
	switch {
	case a != nil:
		items = []*node{a}
	case b != nil && b.kind != kList:
		r.fail(b, "offsets must be a list, not %s (or write offset: for one)", b.what())
		return nil
	case b != nil:
		if len(b.items) == 0 {
			r.fail(b, "offsets is an empty list")
		}
		items = b.items
	}
	var out []value
	seen := map[int]bool{}
	add := func(it *node, o int) {
		if seen[o] {
			r.fail(it, "offset %d is listed twice", o)
			return
		}
		seen[o] = true
		out = append(out, value{strconv.Itoa(o), it})
	}
	for _, it := range items {
		switch {
		case it.kind == kScalar && it.tag == "int":
			o, err := integer(it.text)
			if err != nil || o < 0 || o > expect.MaxPort {
				r.fail(it, "offset %s is not a whole number from 0 to %d", it.text, expect.MaxPort)
				continue
			}
			add(it, int(o))
		case it.kind == kScalar && it.tag == "str":
			lo, hi, err := offsetRange(it.text)
			if err != nil {
				r.fail(it, "offset %q: %v", it.text, err)
				continue
			}
			if hi-lo+1 > MaxTargets {
				r.fail(it, "offset range %q has more than %d offsets", it.text, MaxTargets)
				continue
			}
			for o := lo; o <= hi; o++ {
				add(it, o)
			}
		default:
			r.fail(it, "offset must be a whole number or a range \"0-9\", not %s", it.what())
		}
	}
	return out
}

// The regular expressions are compiled at their first use, not at every
// start of carbonprobe: most commands never read a targets file.
var rangeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$`) })

func offsetRange(s string) (int, int, error) {
	m := rangeRE().FindStringSubmatch(s)
	if m == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 && n <= expect.MaxPort {
			return n, n, nil
		}
		return 0, 0, errors.New("expected a whole number or a range such as \"0-9\"")
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	switch {
	case lo > hi:
		return 0, 0, fmt.Errorf("%d is above %d", lo, hi)
	case hi > expect.MaxPort:
		return 0, 0, fmt.Errorf("%d is past %d", hi, expect.MaxPort)
	}
	return lo, hi, nil
}

// hostNameRE is a DNS name as RFC 1123 allows it (and an underscore, which
// resolvers accept in practice).
var hostNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$`)
})

// NormalHost checks a host name or IP literal (an IPv6 one with or without
// brackets) and returns its normal form: the address as Go prints it, a
// name in lower case without a final dot.
func NormalHost(h string) (string, error) {
	s := strings.TrimSpace(h)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), nil
	}
	if s != "" && len(s) <= MaxHost && hostNameRE().MatchString(s) {
		return strings.TrimSuffix(strings.ToLower(s), "."), nil
	}
	why := "a host name or an IP literal"
	switch {
	case strings.Contains(s, "://"):
		why += ", not a URL"
	case strings.Contains(s, ":"):
		why += ", without a port (the ports come from the profile)"
	}
	return "", fmt.Errorf("%s is not %s", text.Quote(h), why)
}

// CheckProfile says whether name is a profile carbonprobe knows.
func CheckProfile(name string) error {
	if name == expect.NoProfile {
		return nil
	}
	if slices.Contains(expect.ProfileNames(), name) {
		return nil
	}
	return fmt.Errorf("%s is not a profile (known: %s)", text.Quote(name), strings.Join(expect.ProfileNames(), ", "))
}

// Loopback says that h names this host's loopback: "localhost" or an
// address of 127.0.0.0/8 or ::1.
func Loopback(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}
