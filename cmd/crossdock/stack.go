package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner"
	"github.com/crossdock/crossdock/runner/stack"
)

// stackFlags are the flags every stack subcommand takes.
type stackFlags struct {
	file    string
	project string
}

func (f *stackFlags) add(fs *pflag.FlagSet) { f.addFile(fs, "f") }

// addFile adds the flags, with short as --file's shorthand (logs gives -f
// to --follow, as docker compose does).
func (f *stackFlags) addFile(fs *pflag.FlagSet, short string) {
	fs.StringVarP(&f.file, "file", short, "compose.yaml", "the stack file (compose format)")
	fs.StringVarP(&f.project, "project", "p", "", "project name (default: the file's name key, else its folder)")
}

// projectOf picks the project name: -p, else the file's name key, else
// its folder's name.
func (f *stackFlags) projectOf(file *stack.File) string {
	if f.project != "" {
		return f.project
	}
	if file != nil && file.Name != "" {
		return file.Name
	}
	abs, _ := filepath.Abs(f.file)
	return strings.ToLower(filepath.Base(filepath.Dir(abs)))
}

func openStacks(e *env) (*stack.Stacks, error) {
	rt, err := newRuntime(e)
	if err != nil {
		return nil, err
	}
	return stack.New(rt, e.root), nil
}

// running finds the stack the flags name.
func (f *stackFlags) running(e *env) (*stack.Stacks, *stack.Stack, error) {
	s, err := openStacks(e)
	if err != nil {
		return nil, nil, err
	}
	project := f.project
	if project == "" {
		file, err := stack.Load(context.Background(), f.file)
		if err != nil {
			return nil, nil, err
		}
		project = f.projectOf(file)
	}
	st, err := s.Get(project)
	return s, st, err
}

func init() {
	register("stack", func() *command {
		return &command{
			name:    "stack",
			summary: "run stacks of services from a compose file, each on a network of its own",
			usage:   "stack up|down|ps|logs|exec [flags]",
			example: "crossdock stack up -d --platform linux/arm/v7 -f examples/ros/compose.yaml",
			subs:    []*command{newStackUp(), newStackDown(), newStackPs(), newStackLogs(), newStackExec()},
		}
	})
}

func newStackUp() *command {
	fs := newFlags("up")
	var f stackFlags
	f.add(fs)
	detach := fs.BoolP("detach", "d", false, "start and return (restart policies then apply only while supervised)")
	platform := fs.String("platform", "", "platform every service runs for (default: the host's)")
	return &command{
		name:    "up",
		summary: "start a stack; in the foreground, print its logs until interrupted, then take it down",
		usage:   "stack up [-d] [--platform P] [-f FILE] [-p PROJECT]",
		example: "crossdock stack up --platform linux/arm/v7 -f examples/ros/compose.yaml",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 0 {
				return usageError("stack up takes no arguments")
			}
			file, err := stack.Load(ctx, f.file)
			if err != nil {
				return err
			}
			s, err := openStacks(e)
			if err != nil {
				return err
			}
			st, err := s.Up(ctx, f.projectOf(file), file, stack.WithPlatform(*platform),
				stack.WithProgress(func(ev stack.Event) {
					e.log.Info("stack", "event", ev.What, "service", ev.Service, "detail", ev.Detail)
				}))
			if err != nil {
				return err
			}
			if *detach {
				fmt.Fprintln(e.stdout, st.Project)
				return nil
			}
			return foreground(ctx, e, s, st)
		},
	}
}

// foreground prints every service's log, prefixed with its name, and
// supervises restart policies until ctx ends; then it takes the stack down.
func foreground(ctx context.Context, e *env, s *stack.Stacks, st *stack.Stack) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Supervise(ctx, st, func(service string, code int) {
			e.log.Info("restarted", "service", service, "exitCode", code)
		})
	}()
	for _, sv := range st.Services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &prefixWriter{w: e.stdout, mu: &mu, prefix: sv.Name + " | "}
			s.Logs(ctx, st, sv.Name, runner.LogOptions{Follow: true}, w)
			w.flush()
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return s.Down(context.WithoutCancel(ctx), st.Project, false)
}

// prefixWriter writes whole lines, each with a prefix, under a shared lock.
type prefixWriter struct {
	w       io.Writer
	mu      *sync.Mutex
	prefix  string
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := strings.IndexByte(string(p.partial), '\n')
		if i < 0 {
			return len(b), nil
		}
		p.mu.Lock()
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.partial[:i])
		p.mu.Unlock()
		p.partial = p.partial[i+1:]
	}
}

func (p *prefixWriter) flush() {
	if len(p.partial) > 0 {
		p.Write([]byte("\n"))
	}
}

func newStackDown() *command {
	fs := newFlags("down")
	var f stackFlags
	f.add(fs)
	volumes := fs.BoolP("volumes", "v", false, "also remove the stack's named volumes")
	return &command{
		name:    "down",
		summary: "stop and remove a stack's containers, namespaces and mounts",
		usage:   "stack down [-v] [-f FILE] [-p PROJECT]",
		example: "crossdock stack down -p ros",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 0 {
				return usageError("stack down takes no arguments")
			}
			s, st, err := f.running(e)
			if err != nil {
				return err
			}
			return s.Down(ctx, st.Project, *volumes)
		},
	}
}

func newStackPs() *command {
	fs := newFlags("ps")
	var f stackFlags
	f.add(fs)
	return &command{
		name:    "ps",
		summary: "list a stack's services with their state and address",
		usage:   "stack ps [-f FILE] [-p PROJECT]",
		example: "crossdock stack ps -p ros",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 0 {
				return usageError("stack ps takes no arguments")
			}
			s, st, err := f.running(e)
			if err != nil {
				return err
			}
			ps, err := s.Ps(ctx, st)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERVICE\tCONTAINER\tIMAGE\tSTATUS\tADDRESS\tPORTS")
			for _, p := range ps {
				status := string(p.Status)
				if p.Status == runner.Exited {
					status = fmt.Sprintf("exited (%d)", p.ExitCode)
				}
				var ports []string
				for _, pm := range p.Ports {
					ports = append(ports, fmt.Sprintf("%s:%d->%d/%s", pm.HostIP, pm.HostPort, pm.ContainerPort, pm.Protocol))
				}
				fmt.Fprintf(tw, "%s\t%.12s\t%s\t%s\t%s\t%s\n", p.Service, p.Container, p.Image, status, p.IP,
					strings.Join(ports, ","))
			}
			return tw.Flush()
		},
	}
}

func newStackLogs() *command {
	fs := newFlags("logs")
	var f stackFlags
	f.addFile(fs, "")
	follow := fs.BoolP("follow", "f", false, "keep printing new output")
	return &command{
		name:    "logs",
		summary: "print the output of a stack's services",
		usage:   "stack logs [-f] [--file FILE] [-p PROJECT] [SERVICE...]",
		example: "crossdock stack logs -p ros -f listener",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			s, st, err := f.running(e)
			if err != nil {
				return err
			}
			services := args
			if len(services) == 0 {
				for _, sv := range st.Services {
					services = append(services, sv.Name)
				}
			}
			var mu sync.Mutex
			var wg sync.WaitGroup
			errs := make([]error, len(services))
			for i, name := range services {
				wg.Add(1)
				go func() {
					defer wg.Done()
					w := &prefixWriter{w: e.stdout, mu: &mu, prefix: name + " | "}
					errs[i] = s.Logs(ctx, st, name, runner.LogOptions{Follow: *follow}, w)
					w.flush()
				}()
			}
			wg.Wait()
			return errors.Join(errs...)
		},
	}
}

func newStackExec() *command {
	fs := newFlags("exec")
	fs.SetInterspersed(false)
	var f stackFlags
	f.add(fs)
	return &command{
		name:    "exec",
		summary: "run a command in a running service",
		usage:   "stack exec [-f FILE] [-p PROJECT] SERVICE CMD...",
		example: "crossdock stack exec -p ros roscore rostopic list",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) < 2 {
				return usageError("stack exec needs a service and a command")
			}
			s, st, err := f.running(e)
			if err != nil {
				return err
			}
			code, err := s.Exec(ctx, st, args[0], runner.ExecSpec{Cmd: args[1:]},
				runner.Stdio{Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr})
			if err != nil {
				return err
			}
			if code != 0 {
				return errdefs.ExitError{Code: code}
			}
			return nil
		},
	}
}
