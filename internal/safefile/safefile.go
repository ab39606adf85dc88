// Package safefile reads the files carbonprobe is pointed at (a pid file, a
// product's configuration) so that none can hang it or flood it: each is
// opened once, without blocking, and read only if the opened file is a
// regular one, at most a limit of bytes. A FIFO put where a pid file should
// be, a device, or a file swapped between a look and the open cannot make a
// healthcheck wait for ever.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular matches a *NotRegularError.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge matches a *TooLargeError.
var ErrTooLarge = errors.New("larger than the limit")

// NotRegularError is a path that is not a regular file.
type NotRegularError struct {
	Kind string // "a named pipe", "a directory", "a character device", ...
}

func (e *NotRegularError) Error() string {
	if e.Kind == "a directory" {
		return "is a directory, not a file"
	}
	return "not a regular file (" + e.Kind + ")"
}

func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TooLargeError is a file longer than the limit it was read with.
type TooLargeError struct {
	Limit int64
	Size  int64 // the size the file had when opened; 0 when it grew while read
}

func (e *TooLargeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("larger than %d bytes (%d bytes)", e.Limit, e.Size)
	}
	return fmt.Sprintf("larger than %d bytes", e.Limit)
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Read returns the contents of the regular file at path, at most limit
// bytes. The file is opened with O_NONBLOCK (a FIFO with no writer then
// opens at once instead of blocking) and judged by what was opened (fstat),
// not by a look before the open. Errors are *fs.PathError wrapping a
// *NotRegularError, a *TooLargeError, or the system's error.
func Read(path string, limit int64) ([]byte, error) {
	f, st, err := open(path, "read")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: &TooLargeError{Limit: limit, Size: st.Size()}}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: &TooLargeError{Limit: limit}}
	}
	return data, nil
}

// Open opens the regular file at path for reading, as Read does (without
// blocking, judged by what was opened); the caller reads within its bounds
// and closes it.
func Open(path string) (*os.File, error) {
	f, _, err := open(path, "open")
	return f, err
}

// open opens path without blocking and keeps it only when what was opened
// is a regular file; op names the caller's operation in the error.
func open(path, op string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: op, Path: path, Err: &NotRegularError{Kind: Kind(st.Mode())}}
	}
	return f, st, nil
}

// Kind names a file that is not a regular one, for people.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
