//go:build linux

package sockets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// maxPermissionNotes caps the "could not read" notes: an unprivileged scan
// meets every root process, and a person needs the first few and a count.
const maxPermissionNotes = 10

// OwnedBy returns the inodes of the sockets that pid holds open. It reads
// that process's fds only: the fast path when the server is known.
func OwnedBy(pid int) (map[uint64]bool, error) {
	out := make(map[uint64]bool)
	err := socketInodes(pid, func(ino uint64) bool { out[ino] = true; return true })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindOwners scans every process for the given socket inodes and stops when
// all are found. Processes that vanish are skipped; ones whose fds may not
// be read become notes when some inode stays unowned. An inode missing from
// the map had no owner that could be seen.
func FindOwners(ctx context.Context, inodes []uint64) (map[uint64]Process, []string, error) {
	want := make(map[uint64]bool, len(inodes))
	for _, ino := range inodes {
		if ino != 0 {
			want[ino] = true
		}
	}
	found := make(map[uint64]Process, len(want))
	notes, err := scanOwners(ctx, want, nil, 0, found)
	return found, notes, err
}

// Owners maps the sockets to their processes, reading the hint pid's fds
// first (0: no hint). Sockets whose owner could not be seen are absent from
// the map, and the notes say why.
func Owners(ctx context.Context, socks []Socket, hint int) (map[uint64]Process, []string, error) {
	want := make(map[uint64]bool, len(socks))
	uids := make(map[uint32]bool)
	for _, s := range socks {
		if s.Inode != 0 {
			want[s.Inode] = true
			uids[s.UID] = true
		}
	}
	found := make(map[uint64]Process, len(want))
	var notes []string
	if hint > 0 && len(want) > 0 {
		var hit []uint64
		err := socketInodes(hint, func(ino uint64) bool {
			if want[ino] {
				hit = append(hit, ino)
				delete(want, ino)
			}
			return len(want) > 0
		})
		switch {
		case errors.Is(err, fs.ErrNotExist):
			notes = append(notes, fmt.Sprintf("pid %d is not running", hint))
		case err != nil:
			notes = append(notes, fmt.Sprintf("could not read /proc/%d/fd: %v", hint, pathErr(err)))
		}
		if len(hit) > 0 {
			p, err := processInfo(hint)
			if err != nil {
				// It went away after we read its fds: the sockets were its.
				p = Process{PID: hint}
			}
			for _, ino := range hit {
				found[ino] = p
			}
		}
	}
	more, err := scanOwners(ctx, want, uids, hint, found)
	return found, append(notes, more...), err
}

// scanOwners looks through /proc for the wanted inodes, deleting each from
// want as it is found. Processes running as one of uids go first: the socket
// owner is most often still the socket's creator.
func scanOwners(ctx context.Context, want map[uint64]bool, uids map[uint32]bool, skip int, found map[uint64]Process) ([]string, error) {
	if len(want) == 0 {
		return nil, nil
	}
	pids, err := procs.Pids()
	if err != nil {
		return nil, err
	}
	if len(uids) > 0 {
		first, rest := make([]int, 0, len(pids)), make([]int, 0, len(pids))
		for _, pid := range pids {
			var st unix.Stat_t
			if unix.Stat("/proc/"+strconv.Itoa(pid), &st) == nil && uids[st.Uid] {
				first = append(first, pid)
			} else {
				rest = append(rest, pid)
			}
		}
		pids = append(first, rest...)
	}
	var denied []string
	for _, pid := range pids {
		if len(want) == 0 {
			break
		}
		if pid == skip {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var hit []uint64
		err := socketInodes(pid, func(ino uint64) bool {
			if want[ino] {
				hit = append(hit, ino)
				delete(want, ino)
			}
			return len(want) > 0
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			denied = append(denied, fmt.Sprintf("could not read /proc/%d/fd: %v", pid, pathErr(err)))
		}
		if len(hit) == 0 {
			continue
		}
		p, err := processInfo(pid)
		if err != nil {
			p = Process{PID: pid}
		}
		for _, ino := range hit {
			found[ino] = p
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	notes := []string{fmt.Sprintf("no owner found for %d socket(s): they belong to a process whose fds could not be read, or to none (closed meanwhile)", len(want))}
	if len(denied) > maxPermissionNotes {
		rest := len(denied) - maxPermissionNotes
		denied = append(denied[:maxPermissionNotes], fmt.Sprintf("... and %d more processes could not be read; run as root or as the server's user", rest))
	}
	return append(notes, denied...), nil
}

// socketInodes calls fn with the inode of every socket among pid's fds until
// fn returns false. A process that has gone gives an error matching
// fs.ErrNotExist.
//
// A readlink of /proc/PID/fd/N costs the kernel about 1.5 µs, which makes a
// JVM with 10,000 connections cost 15 ms. Past the first directory batch the
// links are therefore read by a small pipeline: getdents on one goroutine,
// readlinks on others, results handed to fn in fd order.
func socketInodes(pid int, fn func(uint64) bool) error {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: gone(err)}
	}
	defer unix.Close(dfd)
	first := dirBufs.Get().(*dirBuf)
	defer dirBufs.Put(first)
	n, err := unix.Getdents(dfd, first.dents[:])
	if err != nil {
		return &fs.PathError{Op: "getdents", Path: dir, Err: gone(err)}
	}
	if n <= 0 {
		return nil
	}
	// Most processes have fewer fds than one batch holds: read them here.
	if n >= len(first.dents)/2 {
		return pipelineLinks(dfd, dir, first, n, fn)
	}
	for n > 0 {
		stopped := false
		err := eachLink(dfd, first, n, func(ino uint64) bool { stopped = !fn(ino); return !stopped })
		if err != nil || stopped {
			return pathErrOrNil(dir, err)
		}
		if n, err = unix.Getdents(dfd, first.dents[:]); err != nil {
			return &fs.PathError{Op: "getdents", Path: dir, Err: gone(err)}
		}
	}
	return nil
}

func pathErrOrNil(dir string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: "getdents", Path: dir, Err: err}
}

// eachLink reads the links of the n bytes of dirents in b.
func eachLink(dfd int, b *dirBuf, n int, fn func(uint64) bool) error {
	ne := binary.NativeEndian
	// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
	for off := 0; off+19 < n; {
		reclen := int(ne.Uint16(b.dents[off+16:]))
		if reclen < 20 || off+reclen > n {
			return errors.New("malformed directory entry")
		}
		name := b.dents[off+19 : off+reclen]
		off += reclen
		if bytes.IndexByte(name, 0) < 1 || name[0] == '.' {
			continue
		}
		l, err := readlinkat(dfd, &name[0], b.link[:])
		if err != nil {
			continue // closed since getdents
		}
		if ino, ok := socketInode(b.link[:l]); ok && !fn(ino) {
			return nil
		}
	}
	return nil
}

type linkBatch struct {
	buf    *dirBuf
	n      int
	inodes []uint64
	err    error
	done   chan struct{}
}

func pipelineLinks(dfd int, dir string, first *dirBuf, n int, fn func(uint64) bool) error {
	var stop atomic.Bool
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	work := make(chan *linkBatch, workers)
	ordered := make(chan *linkBatch, workers*2)
	var wg sync.WaitGroup
	var dentsErr error
	var firstBatch = &linkBatch{buf: first, n: n, done: make(chan struct{})}

	wg.Add(1)
	go func() { // getdents
		defer wg.Done()
		defer close(work)
		defer close(ordered)
		b := firstBatch
		for {
			ordered <- b
			work <- b
			buf := dirBufs.Get().(*dirBuf)
			n, err := unix.Getdents(dfd, buf.dents[:])
			if err != nil || n <= 0 || stop.Load() {
				dirBufs.Put(buf)
				if err != nil {
					dentsErr = gone(err)
				}
				return
			}
			b = &linkBatch{buf: buf, n: n, done: make(chan struct{})}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() { // readlinks
			defer wg.Done()
			for b := range work {
				if !stop.Load() {
					b.err = eachLink(dfd, b.buf, b.n, func(ino uint64) bool {
						b.inodes = append(b.inodes, ino)
						return !stop.Load()
					})
				}
				close(b.done)
			}
		}()
	}
	var err error
	for b := range ordered {
		<-b.done
		if b.buf != first {
			dirBufs.Put(b.buf)
		}
		if stop.Load() {
			continue // drain
		}
		if b.err != nil {
			err = b.err
			stop.Store(true)
			continue
		}
		for _, ino := range b.inodes {
			if !fn(ino) {
				stop.Store(true)
				break
			}
		}
	}
	wg.Wait()
	if err == nil {
		err = dentsErr
	}
	if err != nil {
		return &fs.PathError{Op: "getdents", Path: dir, Err: err}
	}
	return nil
}

// readlinkat takes the NUL-terminated name straight from the dirent buffer:
// unix.Readlinkat would copy it into a new string and then a new C string,
// two allocations per fd on a path that reads thousands of them.
func readlinkat(dfd int, name *byte, buf []byte) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dfd), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

type dirBuf struct {
	dents [16 << 10]byte
	link  [64]byte
}

var dirBufs = sync.Pool{New: func() any { return new(dirBuf) }}

// socketInode parses "socket:[12345]".
func socketInode(link []byte) (uint64, bool) {
	const pre = "socket:["
	if len(link) < len(pre)+2 || string(link[:len(pre)]) != pre || link[len(link)-1] != ']' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(link[len(pre):len(link)-1]), 10, 64)
	return n, err == nil
}

func gone(err error) error {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
		return fs.ErrNotExist
	}
	return err
}

func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// processInfo describes the process behind pid.
func processInfo(pid int) (Process, error) {
	p := Process{PID: pid}
	uid, err := effectiveUID(pid)
	if err != nil {
		return p, err
	}
	p.UID = uid
	p.User = userName(uid)
	args, _, err := procs.Cmdline(pid)
	if err != nil {
		return p, err
	}
	p.Cmdline = args
	if _, ok := procs.ParseCmdline(args); ok {
		if c, ok, err := procs.Inspect(pid); err == nil && ok {
			p.Carbon = c
		}
	}
	return p, nil
}

// effectiveUID reads the second field of the Uid: line of /proc/PID/status.
func effectiveUID(pid int) (uint32, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("Uid:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) < 2 {
			break
		}
		uid, err := strconv.ParseUint(string(fields[1]), 10, 32)
		if err != nil {
			break
		}
		return uint32(uid), nil
	}
	if err := sc.Err(); err != nil {
		return 0, gone(err)
	}
	return 0, fmt.Errorf("/proc/%d/status: no effective uid in its Uid: line", pid)
}

var users sync.Map // uint32 -> string

func userName(uid uint32) string {
	if v, ok := users.Load(uid); ok {
		return v.(string)
	}
	name := ""
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		name = u.Username
	}
	users.Store(uid, name)
	return name
}
