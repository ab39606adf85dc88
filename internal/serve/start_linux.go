package serve

import "github.com/prometheus/procfs"

// startTime is when process pid started, in Unix seconds; 0 when unknown.
// A change of it is a restart, whatever the pid.
func startTime(pid int) float64 {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0
	}
	st, err := p.Stat()
	if err != nil {
		return 0
	}
	t, err := st.StartTime()
	if err != nil {
		return 0
	}
	return t
}
