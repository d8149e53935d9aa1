// Command mailpit is Mercado's SMTP test server: Mailpit (github.com/axllent/mailpit), which
// accepts mail over SMTP and shows it through an HTTP API (/api/v1/messages), built from the Go
// module proxy. Its web UI is not part of the module (it is built with npm upstream); the API is
// all the tests read.
//
// Usage: mailpit [mailpit flags...]. With MERCADO_WATCH_PARENT=1 it also exits when the process
// that started it does, so that a test run that dies leaves no server behind.
// Build it with scripts/mailpit-server.sh.
package main

import (
	"os"
	"time"

	"github.com/axllent/mailpit/cmd"
)

func main() {
	if os.Getenv("MERCADO_WATCH_PARENT") == "1" {
		parent := os.Getppid()
		go func() {
			for range time.Tick(time.Second) {
				if os.Getppid() != parent {
					os.Exit(0)
				}
			}
		}()
	}
	cmd.Execute()
}
