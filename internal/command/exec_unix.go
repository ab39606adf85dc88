//go:build unix

package command

import (
	"fmt"
	"os"
	"syscall"
)

const exeSuffix = ""

// replaceWith executes path in this process's place: same pid (PID 1 in a
// container stays PID 1), same descriptors, same environment. It returns
// only when the exec failed.
func replaceWith(path string, args []string) error {
	argv := append([]string{path}, args[min(1, len(args)):]...)
	if err := syscall.Exec(path, argv, append(os.Environ(), execMark+"="+path)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
