package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
)

func init() {
	register("volume", func() *command {
		return &command{
			name:    "volume",
			summary: "create, list, inspect and remove named volumes",
			usage:   "volume create|ls|inspect|rm",
			example: "crossdock volume create robotdata",
			subs:    []*command{volumeCreate(), volumeList(), volumeInspect(), volumeRemove()},
		}
	})
}

func volumeCreate() *command {
	fs := newFlags("volume create")
	labels := fs.StringArrayP("label", "l", nil, "set a KEY=VALUE label")
	return &command{
		name: "create", summary: "create a named volume", usage: "volume create NAME",
		example: "crossdock volume create robotdata", flags: fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageError("volume create takes one name")
			}
			rt, err := newRuntime(e)
			if err != nil {
				return err
			}
			l := map[string]string{}
			for _, kv := range *labels {
				k, v, _ := strings.Cut(kv, "=")
				l[k] = v
			}
			if len(l) == 0 {
				l = nil
			}
			v, err := rt.CreateVolume(ctx, args[0], l)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, v.Name)
			return nil
		},
	}
}

func volumeList() *command {
	fs := newFlags("volume ls")
	quiet := fs.BoolP("quiet", "q", false, "print only the names")
	return &command{
		name: "ls", summary: "list named volumes", usage: "volume ls [-q]",
		example: "crossdock volume ls", flags: fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 0 {
				return usageError("volume ls takes no arguments")
			}
			rt, err := newRuntime(e)
			if err != nil {
				return err
			}
			vols, err := rt.Volumes(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 3, ' ', 0)
			if !*quiet {
				fmt.Fprintln(tw, "VOLUME NAME\tMOUNTPOINT")
			}
			for _, v := range vols {
				if *quiet {
					fmt.Fprintln(tw, v.Name)
				} else {
					fmt.Fprintf(tw, "%s\t%s\n", v.Name, v.Mountpoint)
				}
			}
			return tw.Flush()
		},
	}
}

func volumeInspect() *command {
	return &command{
		name: "inspect", summary: "print named volumes as JSON", usage: "volume inspect NAME...",
		example: "crossdock volume inspect robotdata", flags: newFlags("volume inspect"),
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) == 0 {
				return usageError("volume inspect needs a volume name")
			}
			rt, err := newRuntime(e)
			if err != nil {
				return err
			}
			var out []any
			for _, n := range args {
				v, err := rt.InspectVolume(ctx, n)
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}

func volumeRemove() *command {
	return &command{
		name: "rm", summary: "remove named volumes and their data", usage: "volume rm NAME...",
		example: "crossdock volume rm robotdata", flags: newFlags("volume rm"),
		run: func(ctx context.Context, e *env, args []string) error {
			return eachContainer(ctx, e, "volume rm", args, func(ctx context.Context, name string) error {
				rt, err := newRuntime(e)
				if err != nil {
					return err
				}
				return rt.RemoveVolume(ctx, name)
			})
		},
	}
}
