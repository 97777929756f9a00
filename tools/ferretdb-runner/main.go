// Command ferretdb-runner starts an embedded FerretDB (SQLite backend) on a
// loopback TCP port: the development database when mongod cannot be had, and
// the database of CI and the tests. The upstream `ferretdb` command cannot be
// used as a module install: it panics at start because its generated
// version.txt is not part of the published module.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "loopback TCP address to listen on")
	dir := flag.String("dir", "", "folder for the SQLite databases (required)")
	durable := flag.Bool("durable", false, "fsync every commit (off: test data survives a killed process, not a crashed machine)")
	stopOnStdinClose := flag.Bool("stop-on-stdin-close", false, "stop when standard input closes, i.e. when the process that started it ends, even by a crash")
	flag.Parse()

	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		log.Fatalf("cannot create %s: %v", *dir, err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL(*dir, *durable),
	})
	if err != nil {
		log.Fatalf("cannot configure FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *stopOnStdinClose {
		go func() {
			// Whatever the parent writes is ignored; only the end of the pipe matters.
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	fmt.Println(f.MongoDBURI())
	f.Run(ctx)
}

// sqliteURL starts write transactions immediately, so concurrent writers wait
// on SQLite's busy timeout instead of failing with "database is locked", and,
// unless durable, skips the fsync per commit that makes a test suite crawl.
func sqliteURL(dir string, durable bool) string {
	params := url.Values{}
	params.Set("_txlock", "immediate")
	if !durable {
		params.Add("_pragma", "synchronous(OFF)")
	}
	return "file:" + dir + "/?" + params.Encode()
}
