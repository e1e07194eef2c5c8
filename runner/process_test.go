package runner

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// -u, -w and -e follow Docker: names from the image's passwd and group,
// supplementary groups from group, the image's Env under the spec's.
func TestProcessSettings(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	img := probeRootfs(t, "linux/amd64")
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{name: "root by default", spec: Spec{Cmd: []string{"id"}}, want: "uid=0 gid=0 groups=[] cwd=/\n"},
		{name: "user by name", spec: Spec{User: "robot", WorkingDir: "/home/robot", Cmd: []string{"id"}},
			want: "uid=1000 gid=1000 groups=[20] cwd=/home/robot\n"},
		{name: "user and group", spec: Spec{User: "robot:dialout", Cmd: []string{"id"}},
			want: "uid=1000 gid=20 groups=[20] cwd=/\n"}, // robot's groups kept, as Docker does
		{name: "numeric ids", spec: Spec{User: "4242:4343", Cmd: []string{"id"}},
			want: "uid=4242 gid=4343 groups=[] cwd=/\n"},
		{name: "image env", spec: Spec{Cmd: []string{"env", "FROM_IMAGE"}}, want: "yes\n"},
		{name: "env over image", spec: Spec{Env: []string{"FROM_IMAGE=no"}, Cmd: []string{"env", "FROM_IMAGE"}},
			want: "no\n"},
		{name: "arguments kept whole", spec: Spec{Cmd: []string{"echo", "a b", "c"}}, want: "[a b c]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runProbeImg(t, r, img, tc.spec)
			assert.Equal(t, code, 0, errOut)
			assert.Check(t, is.Equal(out, tc.want))
		})
	}

	_, err := r.CreateFrom(context.Background(), Spec{User: "nobody", Cmd: []string{"id"}, AutoRemove: true}, img)
	assert.NilError(t, err) // checked at start, against the mounted image
	list, _ := r.List(context.Background(), true)
	code, err := r.RunCreated(context.Background(), list[0].ID, Stdio{})
	assert.Check(t, is.Equal(code, -1))
	assert.Check(t, errdefs.Code(err) == 2 && strings.Contains(err.Error(), `user "nobody"`), "%v", err)
}

// Docker's rules for the image's Entrypoint and Cmd and the spec's.
func TestEntrypointAndCmd(t *testing.T) {
	img := Image{}
	img.Config.Entrypoint = []string{"/probe"}
	img.Config.Cmd = []string{"arch"}
	cases := []struct {
		name string
		spec Spec
		want []string
	}{
		{name: "image's", spec: Spec{}, want: []string{"/probe", "arch"}},
		{name: "cmd replaces cmd", spec: Spec{Cmd: []string{"id"}}, want: []string{"/probe", "id"}},
		{name: "entrypoint drops image cmd", spec: Spec{Entrypoint: []string{"/bin/sh"}}, want: []string{"/bin/sh"}},
		{name: "entrypoint and cmd", spec: Spec{Entrypoint: []string{"/bin/sh"}, Cmd: []string{"-c", "x"}},
			want: []string{"/bin/sh", "-c", "x"}},
		{name: "cleared entrypoint", spec: Spec{Entrypoint: []string{}, Cmd: []string{"/x"}}, want: []string{"/x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := process(tc.spec, img)
			assert.NilError(t, err)
			assert.Check(t, is.DeepEqual(p.Args, tc.want))
		})
	}
	_, err := process(Spec{Entrypoint: []string{}}, img)
	assert.Check(t, errdefs.Code(err) == 2, "%v", err)
}

// Exec runs a process beside the entrypoint, with the container's
// environment, and passes its exit code back.
func TestExec(t *testing.T) {
	for _, platform := range testPlatforms {
		t.Run(platform, func(t *testing.T) {
			needPlatform(t, platform)
			r := newTestRuntime(t)
			ctx := context.Background()
			st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"sleep"}, Env: []string{"ROBOT=r2"}},
				probeRootfs(t, platform))
			assert.NilError(t, err)
			defer r.Remove(ctx, st.ID, true)
			assert.NilError(t, r.Start(ctx, st.ID))

			var out bytes.Buffer
			code, err := r.Exec(ctx, st.ID, ExecSpec{Cmd: []string{"/probe", "env", "ROBOT"}}, Stdio{Stdout: &out})
			assert.NilError(t, err)
			assert.Check(t, is.Equal(code, 0))
			assert.Check(t, is.Equal(out.String(), "r2\n"))

			code, err = r.Exec(ctx, st.ID, ExecSpec{Cmd: []string{"/probe", "exit", "7"}}, Stdio{})
			assert.NilError(t, err)
			assert.Check(t, is.Equal(code, 7))

			out.Reset()
			code, err = r.Exec(ctx, st.ID, ExecSpec{Cmd: []string{"/probe", "stdin"}, Interactive: true},
				Stdio{Stdin: strings.NewReader("typed\n"), Stdout: &out})
			assert.NilError(t, err)
			assert.Check(t, is.Equal(code, 0))
			assert.Check(t, is.Equal(out.String(), "typed\n"))

			// -t without -i (output to a terminal): the process has a
			// terminal, and none of the caller's input reaches it.
			pty, slavePath, err := console.NewPty()
			assert.NilError(t, err)
			defer pty.Close()
			slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
			assert.NilError(t, err)
			defer slave.Close()
			got := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(pty) // until the slave is closed (EIO)
				got <- string(b)
			}()
			code, err = r.Exec(ctx, st.ID, ExecSpec{Cmd: []string{"/probe", "tty"}, Tty: true},
				Stdio{Stdin: strings.NewReader("\x00typed\n"), Stdout: slave, Stderr: slave})
			assert.NilError(t, err)
			assert.Check(t, is.Equal(code, 0))
			slave.Close()
			assert.Check(t, is.Equal(strings.ReplaceAll(<-got, "\r", ""), "terminal=true\n"))
		})
	}
}

// -t gives the entrypoint a terminal as its stdin and stdout; its output
// reaches the caller (and the log) through the pty, with the pty's \r\n.
func TestTerminal(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	img := probeRootfs(t, "linux/amd64")
	code, out, errOut := runProbeImg(t, r, img, Spec{Tty: true, Cmd: []string{"tty"}})
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Equal(out, "terminal=true\r\n"))
	code, out, _ = runProbeImg(t, r, img, Spec{Cmd: []string{"tty"}})
	assert.Equal(t, code, 0)
	assert.Check(t, is.Equal(out, "terminal=false\n"))
	code, _, _ = runProbeImg(t, r, img, Spec{Tty: true, Cmd: []string{"kill", "TERM"}})
	assert.Check(t, is.Equal(code, 143))
}
