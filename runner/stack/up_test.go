package stack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/crossdock/crossdock/runner"
)

// The server becomes healthy a second after it starts; the client depends
// on it being healthy and reaches it by service name.
const pairStack = `
services:
  server:
    image: stackapp
    command: [serve, "7000", hello, 1s]
    healthcheck:
      test: [CMD, /app, exists, /tmp/ready]
      interval: 200ms
      retries: 100
  client:
    image: stackapp
    command: [dial, "server:7000"]
    depends_on:
      server: {condition: service_healthy}
volumes:
  data:
`

func logsOf(t *testing.T, s *Stacks, st *Stack, service string) string {
	t.Helper()
	var b bytes.Buffer
	assert.NilError(t, s.Logs(context.Background(), st, service, runner.LogOptions{}, &b))
	return b.String()
}

// upPair brings the pair stack up as project on platform and checks it
// works: names resolve, depends_on waited for health.
func upPair(t *testing.T, s *Stacks, project, platform string) *Stack {
	t.Helper()
	ctx := context.Background()
	f := writeStack(t, pairStack)
	var mu sync.Mutex
	var events []string
	st, err := s.Up(ctx, project, f, WithPlatform(platform), WithProgress(func(e Event) {
		mu.Lock()
		events = append(events, e.What+" "+e.Service)
		mu.Unlock()
	}))
	assert.NilError(t, err)
	t.Cleanup(func() { s.Down(context.Background(), project, true) })

	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if out := logsOf(t, s, st, "client"); !strings.Contains(out, "got hello from server:7000") {
			return poll.Continue("client logs: %q", out)
		}
		return poll.Success()
	}, poll.WithTimeout(60*time.Second), poll.WithDelay(100*time.Millisecond))

	server, err := s.Inspect(ctx, st, "server")
	assert.NilError(t, err)
	client, err := s.Inspect(ctx, st, "client")
	assert.NilError(t, err)
	assert.Check(t, !client.Created.Before(server.Started.Add(time.Second)),
		"client created %s, server started %s: depends_on service_healthy did not wait",
		client.Created, server.Started)
	assert.Check(t, is.DeepEqual(events[len(events)-3:], []string{"waiting client", "healthy server", "started client"}))
	assert.Check(t, is.Contains(logsOf(t, s, st, "server"), "listening on 7000 as server"))
	return st
}

// leftovers lists what a stack could leave behind: its record, namespaces,
// containers and mounts under root.
func leftovers(t *testing.T, s *Stacks, rt *runner.Runtime, root string, st *Stack) []string {
	t.Helper()
	var out []string
	if _, err := os.Stat(s.recordPath(st.Project)); err == nil {
		out = append(out, "record "+st.Project)
	}
	ns, _ := filepath.Glob(filepath.Join(NetnsDir, "crossdock-"+st.Network.ID+"*"))
	out = append(out, ns...)
	states, err := rt.List(context.Background(), true)
	assert.NilError(t, err)
	for _, c := range states {
		if c.Labels[LabelProject] == st.Project {
			out = append(out, "container "+c.Name)
		}
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	assert.NilError(t, err)
	for _, l := range strings.Split(string(mounts), "\n") {
		for _, sv := range st.Services {
			if strings.Contains(l, filepath.Join(root, "containers", sv.Container)) {
				out = append(out, "mount "+l)
			}
		}
		if strings.Contains(l, st.Network.ID) {
			out = append(out, "mount "+l)
		}
	}
	return out
}

func TestUpDown(t *testing.T) {
	for _, platform := range []string{"linux/amd64", "linux/arm/v7"} {
		t.Run(platform, func(t *testing.T) {
			needPlatform(t, platform)
			s, rt, root := newStacks(t)
			st := upPair(t, s, "pair", platform)

			ps, err := s.Ps(context.Background(), st)
			assert.NilError(t, err)
			assert.Equal(t, len(ps), 2)
			assert.Equal(t, ps[0].Service, "server")
			assert.Equal(t, ps[0].Status, runner.Running)

			_, err = s.Up(context.Background(), "pair", writeStack(t, pairStack))
			assert.ErrorContains(t, err, `stack "pair" is already up`)

			assert.NilError(t, s.Down(context.Background(), "pair", false))
			assert.DeepEqual(t, leftovers(t, s, rt, root, st), []string(nil))
			_, err = rt.InspectVolume(context.Background(), "pair_data")
			assert.NilError(t, err, "named volumes stay unless asked")
		})
	}
}

// Two runs of the same stack at once, with the same addresses inside,
// both work and both go away.
func TestTwoRunsAtOnce(t *testing.T) {
	s, rt, root := newStacks(t)
	var wg sync.WaitGroup
	stacks := make([]*Stack, 2)
	for i, project := range []string{"run-a", "run-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stacks[i] = upPair(t, s, project, "linux/amd64")
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	assert.Equal(t, stacks[0].Services[0].IP, stacks[1].Services[0].IP)
	assert.Assert(t, stacks[0].Network.ID != stacks[1].Network.ID)
	for _, st := range stacks {
		assert.NilError(t, s.Down(context.Background(), st.Project, true))
		assert.DeepEqual(t, leftovers(t, s, rt, root, st), []string(nil))
	}
}
