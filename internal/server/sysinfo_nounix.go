//go:build !unix

package server

import "runtime"

// uname is INFO server's os where there is no uname(2).
func uname() (sysname, release, machine string) { return runtime.GOOS, "", runtime.GOARCH }
