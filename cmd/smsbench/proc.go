package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStat is what /proc says of the gateway process.
type procStat struct {
	cpuTicks int64 // user + system time, in clock ticks
	peakRSS  int64 // VmHWM, in KiB
}

// clockTicks is USER_HZ, 100 on every Linux the gateway runs on.
const clockTicks = 100

// readProcs sums what /proc says of each gateway process: their CPU
// times, and their peak RSS as the memory they took together.
func readProcs(pids []int) (procStat, error) {
	if len(pids) == 0 {
		return procStat{}, fmt.Errorf("no -pid given")
	}
	var sum procStat
	for _, pid := range pids {
		s, err := readProc(pid)
		if err != nil {
			return procStat{}, err
		}
		sum.cpuTicks += s.cpuTicks
		sum.peakRSS += s.peakRSS
	}
	return sum, nil
}

func readProc(pid int) (procStat, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("unreadable /proc/%d/stat times", pid)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStat{}, err
	}
	var hwm int64
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return procStat{cpuTicks: utime + stime, peakRSS: hwm}, nil
}
