// Package supervise runs the command that `carbonprobe wait ... -- CMD`
// starts once the server is ready, the way an init process should, since in
// a container carbonprobe is often PID 1:
//
//   - CMD runs in a process group of its own (unless carbonprobe is the
//     foreground job of a terminal, where CMD stays in carbonprobe's group so
//     that the terminal's job control and Ctrl-C keep working as in a shell);
//   - SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to
//     carbonprobe are forwarded to that whole group, so a shell CMD's
//     background children get the `docker stop` too;
//   - on Linux carbonprobe is a child subreaper (PR_SET_CHILD_SUBREAPER; PID
//     1 is one by nature), and reaps the orphans CMD leaves, which would
//     otherwise stay zombies;
//   - the exit code is CMD's: 128+N when signal N ended it, 127 when it
//     cannot be found, 126 when it cannot run.
//
// Run must be the only code of the process starting child processes while it
// runs: it reaps any child that exits (wait4(-1)).
package supervise

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"time"
)

// Exit codes of a command that did not run, as a shell gives them.
const (
	CannotRun = 126
	NotFound  = 127
)

// Options are the command's standard streams. A stream that is not an
// *os.File is copied through a pipe, for at most IODelay after the command
// exits (a background child may hold the pipe open for ever).
type Options struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// IODelay bounds the copying of non-file streams after the command
	// exits; default 2 s.
	IODelay time.Duration
}

// Run starts args[0] with args[1:], forwards signals to it, reaps orphans,
// and returns its exit code. err says why the code is not the command's own
// (it could not be started, or not waited for), for the caller to print.
func Run(args []string, opt Options) (code int, err error) {
	if len(args) == 0 {
		return CannotRun, errors.New("no command given")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opt.Stdin, opt.Stdout, opt.Stderr
	cmd.WaitDelay = opt.IODelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = 2 * time.Second
	}
	group := !foregroundJob(opt.Stdin)
	setGroup(cmd, group)
	reaping := subreaper()

	sigs := make(chan os.Signal, 16)
	// Before the start, so that no signal falls between the two.
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		code := CannotRun
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = NotFound
		}
		return code, fmt.Errorf("cannot run %s: %w", args[0], err)
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	forwarding := make(chan struct{})
	go func() {
		defer close(forwarding)
		for {
			select {
			case s := <-sigs:
				forward(pid, group, s)
			case <-done:
				return
			}
		}
	}()

	if reaping {
		code, err = waitReaping(pid)
		// The process is reaped already: Wait only ends the copying of
		// non-file streams, and its "no child" error says nothing new.
		_ = cmd.Wait()
	} else {
		werr := cmd.Wait()
		code, err = exitCode(cmd.ProcessState, werr)
	}
	close(done)
	<-forwarding
	return code, err
}

// subreaper is becomeSubreaper; a test turns reaping off to show what it prevents.
var subreaper = becomeSubreaper

func exitCode(ps *os.ProcessState, werr error) (int, error) {
	if ps == nil {
		return 1, werr
	}
	if n, ok := signalled(ps); ok {
		return 128 + n, nil
	}
	if c := ps.ExitCode(); c >= 0 {
		return c, nil
	}
	return 1, werr
}
