package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/snapshotter"
)

// handService is one of the three services, as a runc bundle.
type handService struct {
	name string
	args []string
	dir  string
	log  string
}

// runByHand starts the three services with runc directly, in one network
// namespace of their own (so they reach each other on localhost), and
// does the suite's work by hand. It returns the wall time, from opening
// the store to the last cleanup.
func runByHand(ctx context.Context, root, image, platform string) (_ time.Duration, err error) {
	began := time.Now()
	store, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
	if err != nil {
		return 0, err
	}
	img, err := store.Image(ctx, image, platform)
	if err != nil {
		return 0, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return 0, err
	}
	layers, err := store.Unpack(ctx, img)
	if err != nil {
		return 0, err
	}

	work, err := os.MkdirTemp("", "bench-ros-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	ns := fmt.Sprintf("bench-ros-%d", os.Getpid())
	if err := run("ip", "netns", "add", ns); err != nil {
		return 0, err
	}
	defer run("ip", "netns", "del", ns)
	if err := run("ip", "-n", ns, "link", "set", "lo", "up"); err != nil {
		return 0, err
	}
	runcRoot := filepath.Join(work, "runc")

	env := append(append([]string{}, cf.Config.Env...),
		"ROS_MASTER_URI=http://localhost:11311", "ROS_HOSTNAME=localhost", "WAIT=180")
	services := []*handService{
		{name: "roscore", args: []string{"rosmaster", "--core"}},
		{name: "listener", args: []string{"listener"}},
		{name: "talker", args: []string{"talker", "50", "10"}},
	}
	for _, s := range services {
		if err := s.bundle(work, layers, env, cf.Config.WorkingDir, "/run/netns/"+ns); err != nil {
			return 0, err
		}
		defer unix.Unmount(filepath.Join(s.dir, "rootfs"), unix.MNT_DETACH)
		defer run("runc", "--root", runcRoot, "delete", "--force", s.name)
	}

	if err := services[0].start(runcRoot); err != nil {
		return 0, err
	}
	// The master is up when rostopic list answers, asked every 10 s (the
	// stack file's health interval), the first time after one interval.
	// roscore is started again if it exits, as the stack file's restart
	// policy does.
	for {
		time.Sleep(10 * time.Second)
		if state, _ := output("runc", "--root", runcRoot, "state", "roscore"); strings.Contains(state, `"stopped"`) {
			run("runc", "--root", runcRoot, "delete", "roscore")
			if err := services[0].start(runcRoot); err != nil {
				return 0, err
			}
			continue
		}
		if _, err := output("runc", "--root", runcRoot, "exec", "roscore", "rostopic", "list"); err == nil {
			break
		}
		if time.Since(began) > 10*time.Minute {
			return 0, fmt.Errorf("roscore not ready after 10 minutes")
		}
	}
	for _, s := range services[1:] {
		if err := s.start(runcRoot); err != nil {
			return 0, err
		}
	}
	// The suite's first test asks the master again (its health wait).
	if _, err := output("runc", "--root", runcRoot, "exec", "roscore", "rostopic", "list"); err != nil {
		return 0, err
	}
	for !(countLines(services[2].log, "sent: hello ") >= 50 && countLines(services[1].log, "received: hello ") >= 45) {
		time.Sleep(200 * time.Millisecond)
		if time.Since(began) > 20*time.Minute {
			return 0, fmt.Errorf("messages not through after 20 minutes")
		}
	}
	out, err := output("runc", "--root", runcRoot, "exec", "roscore", "rostopic", "list")
	if err != nil || !strings.Contains(out, "/chatter") {
		return 0, fmt.Errorf("rostopic list: %v: %s", err, out)
	}
	// The suite's last test: the platform of a binary and a file's content.
	if err := checkFiles(layers, platform); err != nil {
		return 0, err
	}
	for _, s := range services {
		run("runc", "--root", runcRoot, "kill", s.name, "KILL")
	}
	for _, s := range services {
		for i := 0; i < 50 && run("runc", "--root", runcRoot, "delete", s.name) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		unix.Unmount(filepath.Join(s.dir, "rootfs"), unix.MNT_DETACH)
	}
	return time.Since(began), nil
}

// bundle makes the service's runtime bundle: an overlay rootfs on the
// image's layers with an /etc/hosts, and runc's default spec changed to
// run args in the given network namespace.
func (s *handService) bundle(work string, layers, env []string, cwd, netns string) error {
	s.dir = filepath.Join(work, s.name)
	s.log = filepath.Join(s.dir, "log")
	for _, d := range []string{"rootfs", "upper/etc", "work"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(s.dir, "upper/etc/hosts"), []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		return err
	}
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = l
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(lower, ":"),
		filepath.Join(s.dir, "upper"), filepath.Join(s.dir, "work"))
	if err := unix.Mount("overlay", filepath.Join(s.dir, "rootfs"), "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount %s: %w", s.name, err)
	}
	cmd := exec.Command("runc", "spec")
	cmd.Dir = s.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %v: %s", err, out)
	}
	path := filepath.Join(s.dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	proc := spec["process"].(map[string]any)
	proc["args"], proc["env"], proc["terminal"] = s.args, env, false
	if cwd != "" {
		proc["cwd"] = cwd
	}
	spec["root"] = map[string]any{"path": "rootfs", "readonly": false}
	spec["hostname"] = "localhost"
	linux := spec["linux"].(map[string]any)
	for _, n := range linux["namespaces"].([]any) {
		if m := n.(map[string]any); m["type"] == "network" {
			m["path"] = netns
		}
	}
	data, err = json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func (s *handService) start(runcRoot string) error {
	log, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("runc", "--root", runcRoot, "run", "--detach", "--bundle", s.dir, s.name)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("runc run %s: %w", s.name, err)
	}
	return nil
}

func countLines(path, prefix string) int {
	data, _ := os.ReadFile(path)
	n := 0
	for _, l := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(l, []byte(prefix)) {
			n++
		}
	}
	return n
}

func run(name string, args ...string) error {
	_, err := output(name, args...)
	return err
}

func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// checkFiles does the suite's metadata and file checks on the image's
// layers: /usr/bin/python3.11 is built for platform, and the talker is a
// rospy program.
func checkFiles(layers []string, platform string) error {
	find := func(path string) string {
		for i := len(layers) - 1; i >= 0; i-- {
			if _, err := os.Lstat(filepath.Join(layers[i], path)); err == nil {
				return filepath.Join(layers[i], path)
			}
		}
		return ""
	}
	info, err := binfmt.IdentifyFile(find("usr/bin/python3.11"))
	if err != nil {
		return err
	}
	if p := info.Platform(); p.OS+"/"+p.Architecture+"/"+p.Variant != platform &&
		p.OS+"/"+p.Architecture != platform {
		return fmt.Errorf("python3.11 is built for %v, not %s", p, platform)
	}
	data, err := os.ReadFile(find("usr/local/bin/talker"))
	if err != nil || !bytes.Contains(data, []byte("rospy")) {
		return fmt.Errorf("talker: %v", err)
	}
	return nil
}
