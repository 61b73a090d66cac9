package main

import (
	"fmt"
	"io"

	"github.com/lightconedb/lightcone/internal/cluster"
)

// runGenPassphrase prints a new random cluster passphrase. Every node of a
// cluster is started with the same one (--cluster-passphrase); it derives
// the cluster's certificate authority, so it is the cluster's secret.
func runGenPassphrase(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "lightcone gen-passphrase takes no arguments")
		return 2
	}
	p := cluster.GenPassphrase()
	if _, err := cluster.DeriveCA(p); err != nil { // never fails for a generated one
		fmt.Fprintf(stderr, "lightcone: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, p)
	return 0
}
