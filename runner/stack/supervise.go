package stack

import (
	"context"
	"os"
	"time"

	"github.com/crossdock/crossdock/runner"
)

// superviseInterval is how often Supervise looks at the services.
const superviseInterval = 500 * time.Millisecond

// Supervise applies the services' restart policies until ctx ends or the
// stack is taken down: an exited container is started again under
// "always" and "unless-stopped", and under "on-failure" when its exit code
// is not 0, up to the policy's maximum. restarted, if set, is told each
// restart.
//
// TODO: restart policies are applied only while a process supervises the
// stack (crossdock stack up in the foreground, or crossdock test); after
// `crossdock stack up -d` an exited service stays exited.
func (s *Stacks) Supervise(ctx context.Context, st *Stack, restarted func(service string, exitCode int)) {
	count := map[string]int{}
	tick := time.NewTicker(superviseInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := os.Stat(s.recordPath(st.Project)); err != nil {
			return // taken down
		}
		for _, sv := range st.Services {
			if sv.Restart.Name == "" || sv.Restart.Name == "no" {
				continue
			}
			state, err := s.rt.Inspect(ctx, sv.Container)
			if err != nil || state.Status != runner.Exited {
				continue
			}
			if !wantsRestart(sv.Restart, state.ExitCode, count[sv.Name]) {
				continue
			}
			if s.rt.Start(ctx, sv.Container) == nil {
				count[sv.Name]++
				if restarted != nil {
					restarted(sv.Name, state.ExitCode)
				}
			}
		}
	}
}

func wantsRestart(p RestartPolicy, code, restarts int) bool {
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaxRetries == 0 || restarts < p.MaxRetries)
	}
	return false
}
