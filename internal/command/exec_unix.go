//go:build unix

package command

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

const exeSuffix = ""

// runnable: a regular file someone may execute.
func runnable(st fs.FileInfo) bool { return st.Mode().IsRegular() && st.Mode()&0o111 != 0 }

// replaceWith executes path in this process's place: same pid (PID 1 in a
// container stays PID 1), same descriptors, the same environment with
// execMark added. It returns only when the exec failed.
func replaceWith(path string, args []string) error {
	argv := append([]string{path}, args[min(1, len(args)):]...)
	if err := syscall.Exec(path, argv, append(os.Environ(), execMark+"="+path)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
