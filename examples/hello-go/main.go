// Command hello prints a greeting with the platform it was built for, so a
// test can tell the arm/v7 image from the amd64 one.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	fmt.Printf("hello, %s, from %s/%s\n", name, runtime.GOOS, runtime.GOARCH)
}
