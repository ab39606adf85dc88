//go:build !unix

package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
)

const exeSuffix = ".exe"

// runnable: a regular file (Windows has no execute bits; the .exe says it).
func runnable(st fs.FileInfo) bool { return st.Mode().IsRegular() }

// replaceWith runs path with this process's arguments and descriptors, and
// passes its exit code through (Windows has no exec).
func replaceWith(path string, args []string) error {
	cmd := exec.Command(path, args[min(1, len(args)):]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), execMark+"="+path)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return commandExit{ee.ExitCode()}
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	}
	return commandExit{0}
}
