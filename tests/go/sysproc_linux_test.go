package compat

import "syscall"

// brokerSysProcAttr kills the broker if the test binary dies without running its cleanup
// (for instance when `go test -timeout` panics).
func brokerSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
