package runner

import "github.com/crossdock/crossdock/binfmt"

// binfmtCheck asks package binfmt whether binaries of a foreign platform
// run here, inside containers too. Its error is marked as a host
// requirement (exit code 3) and gives the reason and the fix.
func binfmtCheck(platform string) error {
	_, err := binfmt.Check(platform)
	return err
}
