// Command ferretdb is Mercado's MongoDB wire-protocol test server:
// FerretDB v1 (embedded package) on top of its SQLite handler.
//
// Usage:
//
//	ferretdb [-dir DIR] [-port N] [-log-level LEVEL] [-watch-parent]
//
// Once it accepts connections it prints exactly one line to stdout:
//
//	READY mongodb://127.0.0.1:<port>/
//
// and runs until SIGTERM or SIGINT (or, with -watch-parent, until the process
// that started it exits). All logs go to stderr; at the default "warn" level
// the per-failed-command and client-disconnect warnings are filtered out.
// Build it with scripts/mongo-test-server.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("dir", "", "directory for SQLite data files (created if missing; empty = temporary directory removed on exit)")
	port := flag.Int("port", 0, "TCP port to listen on at 127.0.0.1 (0 = pick a free port)")
	logLevel := flag.String("log-level", "warn", "FerretDB log level: debug, info, warn, error")
	watchParent := flag.Bool("watch-parent", false, "exit when the parent process dies")
	flag.Parse()

	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ferretdb: unexpected arguments: %v\n", flag.Args())
		return 2
	}

	if *port < 0 || *port > 65535 {
		fmt.Fprintf(os.Stderr, "ferretdb: invalid -port %d\n", *port)
		return 2
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: invalid -log-level %q: %s\n", *logLevel, err)
		return 2
	}

	var h slog.Handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	if level >= slog.LevelWarn {
		// FerretDB logs every non-ok command response (e.g. each duplicate key
		// error a test provokes on purpose) at WARN; the client gets the error
		// anyway, so drop that noise unless a more verbose level was asked for.
		h = &dropFailedResponses{Handler: h}
	}
	logger := slog.New(h)
	slog.SetDefault(logger)

	dataDir := *dir
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "mercado-ferretdb-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}

	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		return 1
	}

	if err = os.MkdirAll(dataDir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		return 1
	}

	// "file:/abs/dir/" (with any special characters escaped)
	sqliteURL := (&url.URL{Scheme: "file", Path: dataDir + "/", OmitHost: true}).String()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			TCP: net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)),
		},
		Logger:    logger.With("component", "ferretdb"),
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if *watchParent {
		go watchParentProcess(ctx, stop)
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// The TCP listener is already bound by ferretdb.New; connections that
	// arrive before the accept loop starts wait in the kernel backlog.
	if _, err = fmt.Fprintf(os.Stdout, "READY %s\n", f.MongoDBURI()); err != nil {
		stop()
	}

	select {
	case err = <-done:
		// Run returned without a signal: treat as failure
		if ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "ferretdb: stopped unexpectedly: %v\n", err)
			return 1
		}
	case <-ctx.Done():
		// restore default signal handling so that a second signal kills us at once
		stop()

		// FerretDB gives connected clients up to 3s to disconnect.
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			fmt.Fprintln(os.Stderr, "ferretdb: shutdown timed out")
			return 1
		}
	}

	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		return 1
	}

	return 0
}

// watchParentProcess calls stop when the process is re-parented
// (i.e. the process that started it has exited).
func watchParentProcess(ctx context.Context, stop context.CancelFunc) {
	ppid := os.Getppid()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != ppid {
				fmt.Fprintln(os.Stderr, "ferretdb: parent process exited, shutting down")
				stop()
				return
			}
		}
	}
}

// dropFailedResponses is a slog.Handler that drops FerretDB's WARN-level
// "Response header: ..." / "Response message: ..." records logged for every
// command that returned ok: 0, and "Connection stopped" records for clients
// that reset their connection or were still connected at shutdown.
// Everything else passes.
type dropFailedResponses struct {
	slog.Handler
}

func (d *dropFailedResponses) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		switch {
		case strings.HasPrefix(r.Message, "Response header: "), strings.HasPrefix(r.Message, "Response message:"):
			return nil
		case r.Message == "Connection stopped" && clientReset(r):
			// drivers often close idle pooled sockets with a TCP reset,
			// and connections still open at shutdown end with a read timeout
			return nil
		}
	}

	return d.Handler.Handle(ctx, r)
}

func (d *dropFailedResponses) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &dropFailedResponses{Handler: d.Handler.WithAttrs(attrs)}
}

func (d *dropFailedResponses) WithGroup(name string) slog.Handler {
	return &dropFailedResponses{Handler: d.Handler.WithGroup(name)}
}

// clientReset reports whether the record's error attribute is a connection reset
// by the client or the read timeout FerretDB uses to stop connections at shutdown.
func clientReset(r slog.Record) bool {
	var reset bool

	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" && (strings.Contains(a.Value.String(), "connection reset by peer") ||
			strings.Contains(a.Value.String(), "i/o timeout")) {
			reset = true
			return false
		}

		return true
	})

	return reset
}
