package main

import "syscall"

// childAttr makes the kernel stop a server if the benchmark dies without
// cleaning up, say from SIGKILL.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
