package runner

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// adjectives and surnames make generated names such as "steady_engelberger".
// The surnames are of people who shaped robotics and control engineering.
var adjectives = []string{
	"agile", "bold", "brave", "bright", "calm", "careful", "clever", "curious",
	"daring", "deft", "eager", "earnest", "fearless", "focused", "gentle",
	"glad", "happy", "humble", "jolly", "keen", "kind", "lively", "loyal",
	"lucid", "merry", "nimble", "noble", "patient", "plucky", "polite", "proud",
	"quick", "quiet", "rapid", "ready", "sharp", "shiny", "silent", "sleek",
	"smart", "snappy", "steady", "sturdy", "swift", "tidy", "tireless", "upbeat",
	"vivid", "wise", "witty", "zealous",
}

var surnames = []string{
	"asimov", "babbage", "bekey", "breazeal", "brooks", "capek", "devol",
	"dijkstra", "engelberger", "fukuda", "grey", "hirose", "hollerith",
	"ishiguro", "kalman", "kanade", "kapur", "khatib", "lovelace", "matsuoka",
	"mataric", "minsky", "moravec", "murphy", "nyquist", "pieper", "raibert",
	"rus", "scheinman", "shannon", "siciliano", "takanishi", "tesla", "thrun",
	"turing", "vaucanson", "walter", "wiener", "yoshikawa", "zuse",
}

// validName is Docker's rule for container and volume names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func checkName(kind, name string) error {
	if !validName.MatchString(name) {
		return errdefs.Invalid(fmt.Errorf("invalid %s name %q: use letters, digits, _ . -", kind, name))
	}
	return nil
}

// newName picks an adjective_surname not in taken, adding a digit after many
// collisions as Docker does.
func newName(taken map[string]bool) string {
	for try := 0; ; try++ {
		n := pick(adjectives) + "_" + pick(surnames)
		if try > 10 {
			n += fmt.Sprint(pickInt(10))
		}
		if !taken[n] {
			return n
		}
	}
}

func pick(words []string) string { return words[pickInt(len(words))] }

func pickInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return int(v.Int64())
}

// newID returns 64 random hex digits, like Docker's container IDs.
func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
