package stack

import (
	"context"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"
)

// on-failure:2 restarts a failing service twice, then leaves it exited;
// "no" never restarts.
func TestSuperviseRestartPolicy(t *testing.T) {
	s, _, _ := newStacks(t)
	f := writeStack(t, `
services:
  flaky:
    image: stackapp
    command: [exit, "3"]
    restart: on-failure:2
  once:
    image: stackapp
    command: [exit, "3"]
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := s.Up(ctx, "restarts", f)
	assert.NilError(t, err)
	defer s.Down(context.Background(), "restarts", true)

	var mu sync.Mutex
	restarted := map[string]int{}
	go s.Supervise(ctx, st, func(service string, code int) {
		mu.Lock()
		defer mu.Unlock()
		restarted[service]++
		assert.Check(t, code == 3)
	})
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		mu.Lock()
		defer mu.Unlock()
		if restarted["flaky"] < 2 {
			return poll.Continue("restarts: %v", restarted)
		}
		return poll.Success()
	}, poll.WithTimeout(30*time.Second))
	time.Sleep(3 * superviseInterval)
	mu.Lock()
	defer mu.Unlock()
	assert.DeepEqual(t, restarted, map[string]int{"flaky": 2})
}

func TestWantsRestart(t *testing.T) {
	cases := []struct {
		policy         RestartPolicy
		code, restarts int
		want           bool
	}{
		{RestartPolicy{Name: "no"}, 1, 0, false},
		{RestartPolicy{Name: "always"}, 0, 9, true},
		{RestartPolicy{Name: "unless-stopped"}, 0, 0, true},
		{RestartPolicy{Name: "on-failure"}, 0, 0, false},
		{RestartPolicy{Name: "on-failure"}, 1, 100, true},
		{RestartPolicy{Name: "on-failure", MaxRetries: 2}, 1, 1, true},
		{RestartPolicy{Name: "on-failure", MaxRetries: 2}, 1, 2, false},
	}
	for _, tc := range cases {
		assert.Equal(t, wantsRestart(tc.policy, tc.code, tc.restarts), tc.want, "%+v", tc)
	}
}
