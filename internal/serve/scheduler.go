package serve

import (
	"context"
	"fmt"
	"log/slog"
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
	kindFile  = "file"
	kindLocal = "local"
	kindAdhoc = "adhoc"
)

// resolveSlack is what a check may take beyond its probe deadline: finding
// the server and reading its files, and waiting for a dial slot.
const resolveSlack = 5 * time.Second

// result is one finished check of an entry.
type result struct {
	report *probe.Report // nil when the check could not run
	err    error         // why it could not run
	stage  string        // where it stopped: "resolve" or "budget"
	at     time.Time     // when it finished
	took   time.Duration // resolving the target and the check
	start  float64       // the server process's start, Unix seconds; 0 when unknown
}

// entry is one target the exporter checks, with its latest result: every
// scrape reads this, and never dials.
type entry struct {
	key  string
	at   string // where it was named: "targets.yaml:12", "local: all (targets.yaml:20)", "/probe"
	kind string
	sel  fleet.Selector
	set  fleet.Settings
	home string // kindLocal: the server's home, to find it again after it stops

	cancel context.CancelFunc // its schedule; nil for adhoc entries

	mu       sync.Mutex
	last     *result
	inflight chan struct{}
	checks   uint64
	errs     map[string]uint64
	seen     time.Time // kindLocal: when local: all last found the server
	used     time.Time // kindAdhoc: when a /probe last asked for it
}

func newEntry(key, at, kind string, sel fleet.Selector, set fleet.Settings) *entry {
	return &entry{key: key, at: at, kind: kind, sel: sel, set: set, errs: map[string]uint64{}}
}

// refresh runs check unless a check of the entry runs already; then it
// waits for that one (or for ctx). Concurrent callers share one check, so
// that scrapes and requests never multiply dials.
func (e *entry) refresh(ctx context.Context, check func(context.Context) result) *result {
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
	if r.err != nil {
		e.errs[r.stage]++
	}
	e.inflight = nil
	e.mu.Unlock()
	close(ch)
	return &r
}

func (e *entry) latest() *result {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// view is what a scrape reads of an entry: a copy, taken under its lock.
type view struct {
	key, at, kind string
	last          *result
	checks        uint64
	errs          map[string]uint64
}

func (e *entry) view() view {
	e.mu.Lock()
	defer e.mu.Unlock()
	errs := make(map[string]uint64, len(e.errs))
	for k, v := range e.errs {
		errs[k] = v
	}
	return view{key: e.key, at: e.at, kind: e.kind, last: e.last, checks: e.checks, errs: errs}
}

// fleetTarget is the entry as a fleet report's target.
func (v view) fleetTarget() probe.FleetTarget {
	ft := probe.FleetTarget{Key: v.key, At: v.at}
	if r := v.last; r != nil {
		ft.Report, ft.Err, ft.Checked = r.report, r.err, r.at
	}
	return ft
}

// scheduler checks every target of the targets file at its interval, finds
// the local servers again at every interval of local: all, keeps each
// entry's latest result, and answers /probe requests from them.
type scheduler struct {
	getenv      func(string) (string, bool)
	budget      *budget
	log         *slog.Logger
	minInterval time.Duration
	adhocSet    fleet.Settings
	maxAdhoc    int

	base context.Context // ends at shutdown
	wg   sync.WaitGroup

	mu         sync.RWMutex
	file       *fleet.File
	entries    map[string]*entry // kindFile and kindLocal
	order      []string          // kindFile keys in the file's order
	local      *fleet.Local
	stopLocal  context.CancelFunc
	localNotes []string
	adhoc      map[string]*entry
}

func newScheduler(base context.Context, b *budget, log *slog.Logger, getenv func(string) (string, bool), minInterval time.Duration) *scheduler {
	set := fleet.Settings{Interval: max(minInterval, fleet.MinInterval), Timeout: probe.DefaultTimeout, CertWarn: fleet.DefaultCertWarn}
	set.Deadline = set.Timeout + time.Second
	return &scheduler{getenv: getenv, budget: b, log: log, minInterval: minInterval, adhocSet: set, maxAdhoc: 1024,
		base: base, entries: map[string]*entry{}, adhoc: map[string]*entry{}}
}

// apply makes the file the scheduler's: new targets start, removed ones
// stop, targets whose settings changed restart on the new ones; a target
// kept keeps its latest result, so a reload never empties a scrape.
func (s *scheduler) apply(f *fleet.File) {
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
		case ok && old.kind == kindFile && old.set == t.Settings:
			old.at = t.At
			continue
		case ok:
			if old.cancel != nil {
				old.cancel()
			}
		}
		e := newEntry(key, t.At, kindFile, t.Selector, t.Settings)
		if ok {
			e.last, e.checks, e.errs = old.last, old.checks, old.errs
		}
		s.entries[key] = e
		s.start(e)
	}
	for key, e := range s.entries {
		if e.kind == kindFile && !keep[key] {
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
			if e.kind == kindLocal {
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
func (s *scheduler) start(e *entry) {
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
func (s *scheduler) checkSelector(e *entry) func(context.Context) result {
	return func(ctx context.Context) result {
		ctx, cancel := context.WithTimeout(ctx, e.set.Options().Deadline+resolveSlack)
		defer cancel()
		began := time.Now()
		t, err := target.Resolve(ctx, e.sel.Request(e.at, s.getenv))
		if err != nil {
			return result{err: err, stage: "resolve", at: time.Now(), took: time.Since(began)}
		}
		return s.checkTarget(ctx, t, e.set, began)
	}
}

func (s *scheduler) checkTarget(ctx context.Context, t target.Target, set fleet.Settings, began time.Time) result {
	rep, err := s.budget.check(ctx, t, set.Options())
	if err != nil {
		return result{err: fmt.Errorf("no dial slot came free before the check's deadline (the dial budget is %d at once): %v", s.budget.size, err),
			stage: "budget", at: time.Now(), took: time.Since(began)}
	}
	r := result{report: &rep, at: time.Now(), took: time.Since(began)}
	if t.Server != nil {
		r.start = startTime(t.Server.PID)
	}
	return r
}

// localKey names a server that local: all found: by its home, which stays
// the same across restarts; by its pid only when its home is not known.
func localKey(t target.Target) (key, home string) {
	if s := t.Server; s != nil && s.Home != "" {
		return "local home=" + s.Home, s.Home
	}
	if s := t.Server; s != nil {
		return "local pid=" + strconv.Itoa(s.PID), ""
	}
	return "local", ""
}

// localLoop finds every Carbon server on this host at every interval and
// checks each. A server found before and not now is checked by its home
// (reported down, with every port refused) until forget_after has passed.
func (s *scheduler) localLoop(ctx context.Context, l fleet.Local) {
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
func (s *scheduler) localOnce(ctx context.Context, l fleet.Local) {
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
		e *entry
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
		if !ok || e.kind != kindLocal {
			e = newEntry(key, at, kindLocal, fleet.Selector{CarbonHome: home}, l.Settings)
			s.entries[key] = e
		}
		e.seen, e.home = now, home
		jobs = append(jobs, job{e, &found[i]})
	}
	for key, e := range s.entries {
		if e.kind != kindLocal || seen[key] {
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
			j.e.refresh(ctx, func(ctx context.Context) result {
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
func (s *scheduler) views() ([]view, []string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]view, 0, len(s.entries))
	for _, key := range s.order {
		if e, ok := s.entries[key]; ok {
			out = append(out, e.view())
		}
	}
	var local []string
	for key, e := range s.entries {
		if e.kind == kindLocal {
			local = append(local, key)
		}
	}
	sort.Strings(local)
	for _, key := range local {
		out = append(out, s.entries[key].view())
	}
	return out, slices.Clone(s.localNotes)
}

// fleet is the latest report of every entry of the file and of local: all.
func (s *scheduler) fleet() probe.FleetReport {
	views, notes := s.views()
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

func (s *scheduler) hasLocal() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.local != nil
}

// lookup returns the entry of the file or of local: all with this key.
func (s *scheduler) lookup(key string) *entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.entries[key]
}

// probe answers a /probe request for a configured entry: its latest result,
// or, before its first check has ended, that check (shared).
func (s *scheduler) probeConfigured(ctx context.Context, e *entry) *result {
	if r := e.latest(); r != nil {
		return r
	}
	return e.refresh(s.detached(ctx, e.set), s.checkSelector(e))
}

// probeAdhoc answers a /probe request for a target the file does not name
// (--allow-any-target): a result younger than --min-interval is served
// again, else the target is checked now. Concurrent requests share one
// check; at most maxAdhoc such targets are remembered.
func (s *scheduler) probeAdhoc(ctx context.Context, sel fleet.Selector) *result {
	key := sel.Key()
	s.mu.Lock()
	e, ok := s.adhoc[key]
	if !ok {
		if len(s.adhoc) >= s.maxAdhoc {
			s.evictAdhoc()
		}
		e = newEntry(key, "/probe", kindAdhoc, sel, s.adhocSet)
		s.adhoc[key] = e
	}
	e.used = time.Now()
	s.mu.Unlock()
	if r := e.latest(); r != nil && time.Since(r.at) < s.minInterval {
		return r
	}
	return e.refresh(s.detached(ctx, e.set), s.checkSelector(e))
}

// adhocEntry is the remembered ad-hoc target with this key, if any.
func (s *scheduler) adhocEntry(key string) *entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.adhoc[key]
}

// evictAdhoc forgets the ad-hoc target asked for least recently; s.mu held.
func (s *scheduler) evictAdhoc() {
	var oldest *entry
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
func (s *scheduler) detached(_ context.Context, set fleet.Settings) context.Context {
	ctx, cancel := context.WithTimeout(s.base, set.Options().Deadline+resolveSlack)
	context.AfterFunc(ctx, cancel)
	return ctx
}

// counts are the number of entries of each kind.
func (s *scheduler) counts() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := map[string]int{kindFile: 0, kindLocal: 0, kindAdhoc: len(s.adhoc)}
	for _, e := range s.entries {
		c[e.kind]++
	}
	return c
}

// stop ends every schedule and waits for the checks under way.
func (s *scheduler) wait() { s.wg.Wait() }
