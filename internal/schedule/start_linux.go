package schedule

import (
	"bytes"
	"os"
	"strconv"
)

// clockTicks is the kernel's USER_HZ, in which /proc/PID/stat counts: 100
// on every Linux architecture Go builds for (as prometheus/procfs assumes).
const clockTicks = 100

// startTime is when process pid started, in Unix seconds; 0 when unknown.
// A change of it is a restart, whatever the pid. It is /proc/PID/stat's
// starttime (field 22, ticks since boot) plus /proc/stat's btime.
func startTime(pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(raw, ')') // comm may hold spaces and parentheses
	if i < 0 {
		return 0
	}
	f := bytes.Fields(raw[i+1:])
	if len(f) < 20 {
		return 0
	}
	ticks, err := strconv.ParseUint(string(f[19]), 10, 64) // field 22; f[0] is field 3
	if err != nil {
		return 0
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(stat, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			boot, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return 0
			}
			return float64(boot) + float64(ticks)/clockTicks
		}
	}
	return 0
}
