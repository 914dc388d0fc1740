// Package procstat reads figures of a process from Linux's /proc, for the
// benchmarks that measure their child processes.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// StatusKB reads a memory figure such as VmRSS or VmHWM of process pid, in
// kB.
func StatusKB(pid int, field string) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseStatusKB(status, field)
}

// ParseStatusKB finds "field:   123 kB" in the text of /proc/PID/status.
func ParseStatusKB(status []byte, field string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s %q: %w", field, value, err)
		}
		return kb, nil
	}
	return 0, fmt.Errorf("no %s in the process status", field)
}
