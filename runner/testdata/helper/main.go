// Command helper is the runner's tests' stand-in for the crossdock binary
// in its helper modes only (container init and shim), so that the tests do
// not depend on the whole CLI building.
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
	fmt.Fprintln(os.Stderr, "helper: run me as crossdock-init or crossdock-shim")
	os.Exit(2)
}
