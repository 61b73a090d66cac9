// Command gencommanddocs saves redis-server's COMMAND DOCS or COMMAND INFO
// reply (RESP3) into internal/server/command{docs,info}.resp, which Lightcone
// serves for the commands it shares with Redis, so that COMMAND DOCS and
// COMMAND INFO answer as Redis does (summaries, history, key specifications).
//
//	redis-server --port 7777 --daemonize yes
//	go run ./tools/gencommanddocs -addr 127.0.0.1:7777 -sub docs > internal/server/commanddocs.resp
//	go run ./tools/gencommanddocs -addr 127.0.0.1:7777 -sub info > internal/server/commandinfo.resp
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/lightconedb/lightcone/internal/resp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "redis-server to read from")
	sub := flag.String("sub", "docs", "COMMAND subcommand: docs or info")
	flag.Parse()
	conn, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	if *sub != "docs" && *sub != "info" {
		fmt.Fprintln(os.Stderr, "-sub: docs or info")
		os.Exit(2)
	}
	fmt.Fprintf(conn, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$7\r\nCOMMAND\r\n$4\r\n%s\r\n", *sub)
	r := resp.NewReader(bufio.NewReader(conn), 1<<20)
	if _, err := r.ReadValue(); err != nil { // HELLO's reply
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	v, err := r.ReadValue()
	if err != nil || (v.Kind != resp.KindMap && v.Kind != resp.KindArray) {
		fmt.Fprintln(os.Stderr, "COMMAND", *sub, err, v.Kind)
		os.Exit(1)
	}
	w := resp.NewWriter(os.Stdout, 1<<16)
	w.SetProto(3)
	w.WriteValue(v)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
