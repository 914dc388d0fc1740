package main

import (
	"syscall"

	"github.com/tamizdat/tamizdat/bench/procstat"
)

// childAttr makes the kernel stop the sender if the benchmark dies without
// cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// vmHWM returns the peak resident set size of process pid, in bytes.
func vmHWM(pid int) (int64, error) {
	kb, err := procstat.StatusKB(pid, "VmHWM")
	return kb << 10, err
}
