package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crossdock/crossdock/runner"
)

func init() {
	register("ps", func() *command {
		fs := newFlags("ps")
		all := fs.BoolP("all", "a", false, "show every container, not only running ones")
		quiet := fs.BoolP("quiet", "q", false, "print only the IDs")
		return &command{
			name:    "ps",
			summary: "list containers with their state, platform and image",
			usage:   "ps [-a] [-q]",
			example: "crossdock ps -a",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usageError("ps takes no arguments")
				}
				rt, err := newRuntime(e)
				if err != nil {
					return err
				}
				list, err := rt.List(ctx, *all)
				if err != nil {
					return err
				}
				// Newest first, as Docker lists them.
				sort.SliceStable(list, func(i, j int) bool { return list[i].Created.After(list[j].Created) })
				for _, st := range list {
					if st.Broken() {
						fmt.Fprintf(e.stderr, "warning: container %s: %s (rm -f %s removes it)\n",
							st.ID, st.Error, shorten(st.ID, 12))
					}
				}
				if *quiet {
					for _, st := range list {
						fmt.Fprintln(e.stdout, st.ID[:12])
					}
					return nil
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 3, ' ', 0)
				fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tPLATFORM\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
				for _, st := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%q\t%s\t%s\t%s\t%s\n", st.ID[:12], st.Image, st.Platform,
						shorten(strings.Join(st.Process.Args, " "), 24), ago(st.Created), status(st),
						ports(st.Ports), st.Name)
				}
				return tw.Flush()
			},
		}
	})
}

// status reads like Docker's: "Up 3 minutes", "Exited (137) 2 seconds ago".
func status(st runner.State) string {
	switch {
	case st.Broken():
		return "Broken (state unreadable)"
	case st.Status == runner.Running && st.Orphaned():
		return "Up (orphaned)"
	case st.Status == runner.Running:
		return "Up " + since(st.Started)
	case st.Status == runner.Exited:
		return fmt.Sprintf("Exited (%d) %s", st.ExitCode, ago(st.Finished))
	}
	return "Created"
}

// ago is "3 minutes ago", or "-" for a time not known.
func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return since(t) + " ago"
}

func ports(ps []runner.PortMapping) string {
	var out []string
	for _, p := range ps {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		out = append(out, fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Protocol))
	}
	return strings.Join(out, ", ")
}

func since(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 2*time.Second:
		return "1 second"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
