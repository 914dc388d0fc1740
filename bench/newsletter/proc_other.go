//go:build !linux

package main

import (
	"errors"
	"syscall"
)

func childAttr() *syscall.SysProcAttr { return nil }

// vmHWM is only known on Linux.
func vmHWM(int) (int64, error) {
	return 0, errors.New("peak memory is read from /proc, which only Linux has")
}
