// Command helper is the runner's init and shim for the stack tests: the
// runner's helper modes without the rest of the CLI, so that the tests do
// not depend on every command building.
package main

import (
	"fmt"
	"os"

	"github.com/crossdock/crossdock/runner"
)

func main() {
	if code, ok := runner.Main(os.Args); ok {
		os.Exit(code)
	}
	fmt.Fprintln(os.Stderr, "helper: run as crossdock-init or crossdock-shim only")
	os.Exit(2)
}
