package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

func init() {
	register("completion", func() *command {
		return &command{
			name:    "completion",
			summary: "print a shell completion script (bash or zsh)",
			usage:   "completion bash|zsh",
			example: "source <(crossdock completion bash)",
			flags:   newFlags("completion"),
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usageError("completion: want one shell, bash or zsh")
				}
				switch args[0] {
				case "bash":
					return writeBashCompletion(e.stdout)
				case "zsh":
					fmt.Fprintln(e.stdout, "#compdef crossdock\nautoload -U +X bashcompinit && bashcompinit")
					return writeBashCompletion(e.stdout)
				default:
					return usageError("completion: unknown shell %q, want bash or zsh", args[0])
				}
			},
		}
	})
}

// completionWords lists, for each command path ("" for the top, "binfmt" for
// a group), the words that may follow it: subcommand names and flags.
func completionWords() map[string][]string {
	words := map[string][]string{}
	var walk func(path string, c *command)
	walk = func(path string, c *command) {
		var w []string
		for _, s := range c.subs {
			w = append(w, s.name)
			walk(strings.TrimSpace(path+" "+s.name), s)
		}
		fs := c.flags
		if fs == nil {
			fs = newFlags(c.name)
		}
		var g globals
		g.add(fs)
		fs.VisitAll(func(f *pflag.Flag) {
			w = append(w, "--"+f.Name)
		})
		sort.Strings(w)
		words[path] = w
	}
	var top []string
	for name, newCmd := range commands {
		top = append(top, name)
		walk(name, newCmd())
	}
	sort.Strings(top)
	words[""] = top
	return words
}

func writeBashCompletion(w io.Writer) error {
	words := completionWords()
	paths := make([]string, 0, len(words))
	for p := range words {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var b strings.Builder
	b.WriteString("# bash completion for crossdock\n_crossdock() {\n")
	b.WriteString("  local cur path i\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  path=\"\"\n")
	b.WriteString("  for ((i=1; i<COMP_CWORD; i++)); do\n")
	b.WriteString("    case \"${COMP_WORDS[i]}\" in -*) ;; *)\n")
	b.WriteString("      if _crossdock_words \"${path:+$path }${COMP_WORDS[i]}\" >/dev/null; then\n")
	b.WriteString("        path=\"${path:+$path }${COMP_WORDS[i]}\"; fi ;;\n    esac\n  done\n")
	b.WriteString("  COMPREPLY=( $(compgen -W \"$(_crossdock_words \"$path\")\" -- \"$cur\") )\n")
	b.WriteString("  [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- \"$cur\") )\n}\n")
	b.WriteString("_crossdock_words() {\n  case \"$1\" in\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "    %q) echo %q ;;\n", p, strings.Join(words[p], " "))
	}
	b.WriteString("    *) return 1 ;;\n  esac\n}\ncomplete -F _crossdock crossdock\n")
	_, err := io.WriteString(w, b.String())
	return err
}
