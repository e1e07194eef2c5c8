package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

func init() {
	register("stop", func() *command {
		fs := newFlags("stop")
		secs := fs.IntP("time", "t", 10, "seconds to wait after SIGTERM before SIGKILL")
		return &command{
			name:    "stop",
			summary: "stop containers: SIGTERM, then SIGKILL after a timeout",
			usage:   "stop [-t SECONDS] CONTAINER...",
			example: "crossdock stop -t 5 steady_engelberger",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				return eachContainerParallel(ctx, e, "stop", args, func(ctx context.Context, name string) error {
					rt, err := newRuntime(e)
					if err != nil {
						return err
					}
					return rt.Stop(ctx, name, time.Duration(*secs)*time.Second)
				})
			},
		}
	})
}

// eachContainer applies do to every named container, printing each name
// done (as Docker does) and going on after a failure; the first error is
// returned.
func eachContainer(ctx context.Context, e *env, verb string, names []string,
	do func(ctx context.Context, name string) error) error {
	if len(names) == 0 {
		return usageError("%s needs at least one container name or ID", verb)
	}
	var first error
	for _, n := range names {
		if err := do(ctx, n); err != nil {
			if first == nil {
				first = err
			} else {
				fmt.Fprintf(e.stderr, "crossdock: %v\n", err)
			}
			continue
		}
		fmt.Fprintln(e.stdout, n)
	}
	return first
}

// eachContainerParallel is eachContainer with every container done at the
// same time: stopping n containers takes one timeout, not n. Names are
// printed in the order given.
func eachContainerParallel(ctx context.Context, e *env, verb string, names []string,
	do func(ctx context.Context, name string) error) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = do(ctx, n)
		}()
	}
	wg.Wait()
	i := 0
	return eachContainer(ctx, e, verb, names, func(context.Context, string) error {
		i++
		return errs[i-1]
	})
}
