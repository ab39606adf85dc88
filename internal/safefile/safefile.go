// Package safefile reads the files carbonprobe is pointed at (a pid file, a
// product's configuration) so that none can hang it or flood it: each is
// opened once, without blocking, and read only if the opened file is a
// regular one, at most a limit of bytes. A FIFO put where a pid file should
// be, a device, or a file swapped between a check and the open cannot make
// a healthcheck wait for ever.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular marks a path that is not a regular file: a FIFO, a socket,
// a device, a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge marks a file longer than the limit it was read with.
var ErrTooLarge = errors.New("larger than the limit")

// Read returns the contents of the regular file at path, at most limit
// bytes; a longer file gives ErrTooLarge. The file is opened with O_NONBLOCK
// (a FIFO with no writer then opens at once instead of blocking) and judged
// by what was opened (fstat), not by a look before the open.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(st.Mode()))}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)}
	}
	return data, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return m.Type().String()
}
