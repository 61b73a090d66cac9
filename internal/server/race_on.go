//go:build race

package server

// raceEnabled: built with the race detector, whose happens-before edges
// between a socket's writer and its reader come from the syscall package's
// annotations (raw system calls have none).
const raceEnabled = true
