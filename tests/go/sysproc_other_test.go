//go:build !linux

package compat

import "syscall"

// brokerSysProcAttr: only Linux can tie the broker's life to the test binary's.
func brokerSysProcAttr() *syscall.SysProcAttr { return nil }
