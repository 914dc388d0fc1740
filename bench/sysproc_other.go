//go:build !linux

package main

import "syscall"

// childAttr has nothing to add outside Linux; the deferred stops still run.
func childAttr() *syscall.SysProcAttr { return nil }
