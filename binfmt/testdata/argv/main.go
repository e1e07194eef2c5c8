// Command argv is the test program that binfmt's tests cross-compile: it
// prints its argv and the machine uname reports, then exits with the code
// given as "exit=N" in its arguments.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func main() {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(100)
	}
	args, _ := json.Marshal(os.Args)
	fmt.Printf("argv=%s\nmachine=%s\n", args, bytes.TrimRight(u.Machine[:], "\x00"))

	for _, a := range os.Args[1:] {
		if code, ok := strings.CutPrefix(a, "exit="); ok {
			n, _ := strconv.Atoi(code)
			os.Exit(n)
		}
	}
}
