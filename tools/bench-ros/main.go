// Command bench-ros measures what the suite harness costs: the ROS suite's
// wall time (crossdock test --no-build) against the same three services
// (roscore, listener, talker) started by hand with runc, with no harness,
// doing the same work: wait for the master (rostopic list, every health
// interval), start the listener, then the talker, wait for 45 received
// and 50 sent messages, check `rostopic list` shows /chatter, tear down.
//
//	go run ./tools/bench-ros --crossdock bin/crossdock --root DIR [--platform linux/arm/v7] [--runs 2]
//
// The image must be in the store at DIR (crossdock build, or a first
// crossdock test run). It runs as root, in network namespaces it creates
// and removes; nothing listens outside them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"time"
)

func main() {
	bin := flag.String("crossdock", "bin/crossdock", "the static crossdock binary")
	root := flag.String("root", "/var/lib/crossdock", "the store holding the ROS image")
	image := flag.String("image", "crossdock.local/examples/ros:latest", "the ROS image")
	platform := flag.String("platform", "linux/arm/v7", "the platform to run")
	runs := flag.Int("runs", 1, "runs of each, alternating")
	suite := flag.String("suite", "examples/ros", "the suite folder")
	only := flag.String("only", "", "run only harness or hand")
	flag.Parse()

	ctx := context.Background()
	var harness, byHand []time.Duration
	for i := 0; i < *runs; i++ {
		if *only == "hand" {
			d, err := runByHand(ctx, *root, *image, *platform)
			if err != nil {
				fail(err)
			}
			fmt.Printf("run %d: runc by hand:   %s\n", i+1, d.Round(time.Millisecond))
			continue
		}
		d, err := runHarness(ctx, *bin, *root, *suite, *platform, *image)
		if err != nil {
			fail(err)
		}
		harness = append(harness, d)
		fmt.Printf("run %d: crossdock test: %s\n", i+1, d.Round(time.Millisecond))

		d, err = runByHand(ctx, *root, *image, *platform)
		if err != nil {
			fail(err)
		}
		byHand = append(byHand, d)
		fmt.Printf("run %d: runc by hand:   %s\n", i+1, d.Round(time.Millisecond))
	}
	// Each pair ran back to back, so its ratio is less exposed to a
	// machine whose load changes from one minute to the next.
	var ratios []float64
	for i := range harness {
		if i < len(byHand) {
			ratios = append(ratios, 100*(harness[i].Seconds()-byHand[i].Seconds())/byHand[i].Seconds())
		}
	}
	if len(ratios) > 0 {
		sort.Float64s(ratios)
		fmt.Printf("overhead per pair: %.1f%% (median %.1f%%)\n", ratios, ratios[len(ratios)/2])
	}
	h, b := mean(harness), mean(byHand)
	fmt.Printf("\nmean over %d runs on %s: harness %s, by hand %s, overhead %+.1f%%\n",
		*runs, *platform, h.Round(time.Millisecond), b.Round(time.Millisecond),
		100*(h.Seconds()-b.Seconds())/b.Seconds())
	if _, err := exec.LookPath("docker"); err == nil {
		if exec.Command("docker", "compose", "version").Run() != nil {
			fmt.Println("docker compose: not available (Debian's docker.io has no compose v2 plugin); not compared")
		}
	}
}

func runHarness(ctx context.Context, bin, root, suite, platform, image string) (time.Duration, error) {
	began := time.Now()
	cmd := exec.CommandContext(ctx, bin, "test", suite, "--no-build", "--platform", platform, "--root", root)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("crossdock test: %v\n%s", err, out)
	}
	return time.Since(began), nil
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-ros:", err)
	os.Exit(1)
}
