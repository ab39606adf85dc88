// Package schedule checks the targets of a targets file, each on its own
// interval, finds the servers of local: all again at every interval, and
// keeps each target's latest result: what carbonprobe serve answers every
// scrape and probe from, without dialling. Every check takes its dials from
// one dial budget (an x/sync semaphore) shared by all targets. CheckOnce
// checks a whole file once (check --targets).
//
// It imports no metrics library: check --targets uses it in every build.
package schedule

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
)

// Kinds of entry: named by the targets file, found by its local: all, or
// asked for by a /probe request that the file does not name.
const (
	KindFile  = "file"
	KindLocal = "local"
	KindAdhoc = "adhoc"
)

// resolveSlack is what a check may take beyond its probe deadline: finding
// the server and reading its files, and waiting for a dial slot.
const resolveSlack = 5 * time.Second

// result is one finished check of an entry.
type Result struct {
	Report *probe.Report // nil when the check could not run
	Err    error         // why it could not run
	Stage  string        // where it stopped: "resolve" or "budget"
	At     time.Time     // when it finished
	Took   time.Duration // resolving the target and the check
	Start  float64       // the server process's start, Unix seconds; 0 when unknown
}

// entry is one target the exporter checks, with its latest result: every
// scrape reads this, and never dials.
type Entry struct {
	key  string
	at   string // where it was named: "targets.yaml:12", "local: all (targets.yaml:20)", "/probe"
	kind string
	sel  fleet.Selector
	set  fleet.Settings
	home string // KindLocal: the server's home, to find it again after it stops

	cancel context.CancelFunc // its schedule; nil for adhoc entries

	mu       sync.Mutex
	last     *Result
	inflight chan struct{}
	checks   uint64
	errs     map[string]uint64
	seen     time.Time // KindLocal: when local: all last found the server
	used     time.Time // KindAdhoc: when a /probe last asked for it
}

func newEntry(key, at, kind string, sel fleet.Selector, set fleet.Settings) *Entry {
	return &Entry{key: key, at: at, kind: kind, sel: sel, set: set, errs: map[string]uint64{}}
}

// refresh runs check unless a check of the entry runs already; then it
// waits for that one (or for ctx). Concurrent callers share one check, so
// that scrapes and requests never multiply dials.
func (e *Entry) refresh(ctx context.Context, check func(context.Context) Result) *Result {
	e.mu.Lock()
	if ch := e.inflight; ch != nil {
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return e.latest()
	}
	ch := make(chan struct{})
	e.inflight = ch
	e.mu.Unlock()

	r := check(ctx)
	e.mu.Lock()
	e.last = &r
	e.checks++
	if r.Err != nil {
		e.errs[r.Stage]++
	}
	e.inflight = nil
	e.mu.Unlock()
	close(ch)
	return &r
}

func (e *Entry) latest() *Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// view is what a scrape reads of an entry: a copy, taken under its lock.
type View struct {
	Key, At, Kind string
	Last          *Result // nil before the first check has ended
	Checks        uint64
	Errs          map[string]uint64 // checks that could not run, by stage
}

func (e *Entry) View() View {
	e.mu.Lock()
	defer e.mu.Unlock()
	return View{Key: e.key, At: e.at, Kind: e.kind, Last: e.last, Checks: e.checks, Errs: maps.Clone(e.errs)}
}

// fleetTarget is the entry as a fleet report's target.
func (v View) fleetTarget() probe.FleetTarget {
	ft := probe.FleetTarget{Key: v.Key, At: v.At}
	if r := v.Last; r != nil {
		ft.Report, ft.Err, ft.Checked = r.Report, r.Err, r.At
	}
	return ft
}

// scheduler checks every target of the targets file at its interval, finds
// the local servers again at every interval of local: all, keeps each
// entry's latest result, and answers /probe requests from them.
type Scheduler struct {
	getenv      func(string) (string, bool)
	budget      *budget
	minInterval time.Duration
	adhocSet    fleet.Settings
	maxAdhoc    int

	base context.Context // ends at shutdown
	wg   sync.WaitGroup

	mu         sync.RWMutex
	file       *fleet.File
	entries    map[string]*Entry // KindFile and KindLocal
	order      []string          // KindFile keys in the file's order
	local      *fleet.Local
	stopLocal  context.CancelFunc
	localNotes []string
	adhoc      map[string]*Entry
}

// New makes a scheduler whose checks end with base and share one dial
// budget of dialBudget dials at once (DefaultDialBudget when below 1).
// minInterval is how long an ad-hoc target's result is reused.
func New(base context.Context, dialBudget int, getenv func(string) (string, bool), minInterval time.Duration) *Scheduler {
	b := newBudget(dialBudget)
	set := fleet.Settings{Interval: max(minInterval, fleet.MinInterval), Timeout: probe.DefaultTimeout, CertWarn: fleet.DefaultCertWarn}
	set.Deadline = set.Timeout + time.Second
	return &Scheduler{getenv: getenv, budget: b, minInterval: minInterval, adhocSet: set, maxAdhoc: 1024,
		base: base, entries: map[string]*Entry{}, adhoc: map[string]*Entry{}}
}

// apply makes the file the scheduler's: new targets start, removed ones
// stop, targets whose settings changed restart on the new ones; a target
// kept keeps its latest result, so a reload never empties a scrape.
func (s *Scheduler) Apply(f *fleet.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := map[string]bool{}
	s.order = s.order[:0]
	for _, t := range f.Targets {
		key := t.Key()
		keep[key] = true
		s.order = append(s.order, key)
		old, ok := s.entries[key]
		switch {
		case ok && old.kind == KindFile && old.set == t.Settings:
			old.mu.Lock()
			old.at = t.At // the line moved: the checks running read it under the lock
			old.mu.Unlock()
			continue
		case ok:
			if old.cancel != nil {
				old.cancel()
			}
		}
		e := newEntry(key, t.At, KindFile, t.Selector, t.Settings)
		if ok {
			// A copy: the old entry's cancelled check may still count into its own.
			old.mu.Lock()
			e.last, e.checks, e.errs = old.last, old.checks, maps.Clone(old.errs)
			old.mu.Unlock()
		}
		s.entries[key] = e
		s.start(e)
	}
	for key, e := range s.entries {
		if e.kind == KindFile && !keep[key] {
			if e.cancel != nil {
				e.cancel()
			}
			delete(s.entries, key)
		}
	}
	if !sameLocal(s.local, f.Local) {
		if s.stopLocal != nil {
			s.stopLocal()
			s.stopLocal = nil
		}
		for key, e := range s.entries {
			if e.kind == KindLocal {
				delete(s.entries, key)
			}
		}
		s.localNotes = nil
		if f.Local != nil {
			ctx, cancel := context.WithCancel(s.base)
			s.stopLocal = cancel
			l := *f.Local
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.localLoop(ctx, l) }()
		}
	}
	s.local = f.Local
	s.file = f
}

func sameLocal(a, b *fleet.Local) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Settings == b.Settings
}

// start runs an entry's schedule: a first check after a random pause within
// its interval (at most 2 s, so a new exporter is ready soon), so that
// targets listed together are not all dialled at the same instant, then one
// check per interval.
func (s *Scheduler) start(e *Entry) {
	ctx, cancel := context.WithCancel(s.base)
	e.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		first := time.Duration(rand.Int64N(int64(min(e.set.Interval, 2*time.Second)) + 1))
		timer := time.NewTimer(first)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			began := time.Now()
			e.refresh(ctx, s.checkSelector(e))
			timer.Reset(max(0, e.set.Interval-time.Since(began)))
		}
	}()
}

// checkSelector checks an entry named by a selector: resolved again at
// every check, through the one resolver, so that a server that restarted
// (a new pid) or changed its offset is followed.
func (s *Scheduler) checkSelector(e *Entry) func(context.Context) Result {
	return func(ctx context.Context) Result {
		ctx, cancel := context.WithTimeout(ctx, e.set.Options().Deadline+resolveSlack)
		defer cancel()
		began := time.Now()
		e.mu.Lock()
		at := e.at
		e.mu.Unlock()
		t, err := target.Resolve(ctx, e.sel.Request(at, s.getenv))
		if err != nil {
			return Result{Err: err, Stage: "resolve", At: time.Now(), Took: time.Since(began)}
		}
		return s.checkTarget(ctx, t, e.set, began)
	}
}

func (s *Scheduler) checkTarget(ctx context.Context, t target.Target, set fleet.Settings, began time.Time) Result {
	rep, err := s.budget.check(ctx, t, set.Options())
	if err != nil {
		return Result{Err: fmt.Errorf("no dial slot came free before the check's deadline (the dial budget is %d at once): %v", s.budget.size, err),
			Stage: "budget", At: time.Now(), Took: time.Since(began)}
	}
	r := Result{Report: &rep, At: time.Now(), Took: time.Since(began)}
	if t.Server != nil {
		r.Start = startTime(t.Server.PID)
	}
	return r
}

// LocalHomeKey is the key of the server of that home that local: all
// found, as /probe?carbon_home= asks for it.
func LocalHomeKey(home string) string { return "local home=" + home }

// localKey names a server that local: all found: by its home, which stays
// the same across restarts; by its pid only when its home is not known.
func localKey(t target.Target) (key, home string) {
	if s := t.Server; s != nil && s.Home != "" {
		return LocalHomeKey(s.Home), s.Home
	}
	if s := t.Server; s != nil {
		return "local pid=" + strconv.Itoa(s.PID), ""
	}
	return "local", ""
}

// localLoop finds every Carbon server on this host at every interval and
// checks each. A server found before and not now is checked by its home
// (reported down, with every port refused) until forget_after has passed.
func (s *Scheduler) localLoop(ctx context.Context, l fleet.Local) {
	for {
		began := time.Now()
		s.localOnce(ctx, l)
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(0, l.Interval-time.Since(began))):
		}
	}
}

// localOnce finds the local servers once and checks each.
func (s *Scheduler) localOnce(ctx context.Context, l fleet.Local) {
	at := "local: all (" + l.At + ")"
	began := time.Now()
	req := target.Request{Host: target.DefaultHost, Self: os.Getpid(), Getenv: s.getenv}
	rctx, cancel := context.WithTimeout(ctx, l.Options().Deadline+resolveSlack)
	found, notes, err := target.ResolveAll(rctx, req)
	cancel()
	if err != nil {
		notes = append(notes, text.Lines(err)...)
	}
	now := time.Now()
	type job struct {
		e *Entry
		t *target.Target // nil: a server gone since, found again by its home
	}
	var jobs []job
	seen := map[string]bool{}
	s.mu.Lock()
	s.localNotes = notes
	for i, t := range found {
		key, home := localKey(t)
		if seen[key] {
			continue // two JVMs of one home: the first stands for it
		}
		seen[key] = true
		e, ok := s.entries[key]
		if !ok || e.kind != KindLocal {
			e = newEntry(key, at, KindLocal, fleet.Selector{CarbonHome: home}, l.Settings)
			s.entries[key] = e
		}
		e.seen, e.home = now, home
		jobs = append(jobs, job{e, &found[i]})
	}
	for key, e := range s.entries {
		if e.kind != KindLocal || seen[key] {
			continue
		}
		if e.home == "" || now.Sub(e.seen) > l.ForgetAfter {
			delete(s.entries, key)
			continue
		}
		jobs = append(jobs, job{e, nil})
	}
	s.mu.Unlock()
	var g errgroup.Group
	g.SetLimit(8)
	for _, j := range jobs {
		g.Go(func() error {
			if j.t == nil {
				j.e.refresh(ctx, s.checkSelector(j.e))
				return nil
			}
			j.e.refresh(ctx, func(ctx context.Context) Result {
				ctx, cancel := context.WithTimeout(ctx, l.Options().Deadline+resolveSlack)
				defer cancel()
				return s.checkTarget(ctx, *j.t, l.Settings, began)
			})
			return nil
		})
	}
	_ = g.Wait()
}

// views are the entries of the file and of local: all, in the file's
// order, then the local servers by key.
func (s *Scheduler) Views() ([]View, []string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]View, 0, len(s.entries))
	for _, key := range s.order {
		if e, ok := s.entries[key]; ok {
			out = append(out, e.View())
		}
	}
	var local []string
	for key, e := range s.entries {
		if e.kind == KindLocal {
			local = append(local, key)
		}
	}
	sort.Strings(local)
	for _, key := range local {
		out = append(out, s.entries[key].View())
	}
	return out, slices.Clone(s.localNotes)
}

// fleet is the latest report of every entry of the file and of local: all.
func (s *Scheduler) Fleet() probe.FleetReport {
	views, notes := s.Views()
	f := probe.FleetReport{Notes: notes}
	for _, v := range views {
		f.Targets = append(f.Targets, v.fleetTarget())
	}
	if len(f.Targets) == 0 && s.hasLocal() {
		f.Targets = append(f.Targets, probe.FleetTarget{Key: "local", At: "local: all",
			Err: fmt.Errorf("no Carbon server process runs on this host")})
	}
	return f
}

func (s *Scheduler) hasLocal() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.local != nil
}

// lookup returns the entry of the file or of local: all with this key.
func (s *Scheduler) Lookup(key string) *Entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.entries[key]
}

// probe answers a /probe request for a configured entry: its latest result,
// or, before its first check has ended, that check (shared).
func (s *Scheduler) ProbeConfigured(ctx context.Context, e *Entry) *Result {
	if r := e.latest(); r != nil {
		return r
	}
	return e.refresh(s.detached(ctx, e.set), s.checkSelector(e))
}

// probeAdhoc answers a /probe request for a target the file does not name
// (--allow-any-target): a result younger than --min-interval is served
// again, else the target is checked now. Concurrent requests share one
// check; at most maxAdhoc such targets are remembered.
func (s *Scheduler) ProbeAdhoc(ctx context.Context, sel fleet.Selector) (*Result, *Entry) {
	key := sel.Key()
	s.mu.Lock()
	e, ok := s.adhoc[key]
	if !ok {
		if len(s.adhoc) >= s.maxAdhoc {
			s.evictAdhoc()
		}
		e = newEntry(key, "/probe", KindAdhoc, sel, s.adhocSet)
		s.adhoc[key] = e
	}
	e.used = time.Now()
	s.mu.Unlock()
	if r := e.latest(); r != nil && time.Since(r.At) < s.minInterval {
		return r, e
	}
	return e.refresh(s.detached(ctx, e.set), s.checkSelector(e)), e
}

// evictAdhoc forgets the ad-hoc target asked for least recently; s.mu held.
func (s *Scheduler) evictAdhoc() {
	var oldest *Entry
	for _, e := range s.adhoc {
		if oldest == nil || e.used.Before(oldest.used) {
			oldest = e
		}
	}
	if oldest != nil {
		delete(s.adhoc, oldest.key)
	}
}

// detached is the context of a check a request started: it ends with the
// exporter or the check's own deadline, not with the request, since other
// requests may be waiting for the same check.
func (s *Scheduler) detached(_ context.Context, set fleet.Settings) context.Context {
	ctx, cancel := context.WithTimeout(s.base, set.Options().Deadline+resolveSlack)
	context.AfterFunc(ctx, cancel)
	return ctx
}

// counts are the number of entries of each kind.
func (s *Scheduler) Counts() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := map[string]int{KindFile: 0, KindLocal: 0, KindAdhoc: len(s.adhoc)}
	for _, e := range s.entries {
		c[e.kind]++
	}
	return c
}

// DialBudget is the most dials at once; DialsInUse the slots taken now;
// DialWait the time checks spent waiting for slots, in all.
func (s *Scheduler) DialBudget() int         { return int(s.budget.size) }
func (s *Scheduler) DialsInUse() int         { return int(s.budget.inUse.Load()) }
func (s *Scheduler) DialWait() time.Duration { return time.Duration(s.budget.waited.Load()) }

// Wait waits for every schedule and check to end, once base has ended.
func (s *Scheduler) Wait() { s.wg.Wait() }
