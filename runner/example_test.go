package runner_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/crossdock/crossdock/runner"
)

// Run an ARM image in the foreground on an x86 host, as
// `crossdock run --rm --platform linux/arm/v7 robot/busybox uname -m` does.
func ExampleRuntime_Run() {
	rt, err := runner.New("/var/lib/crossdock")
	if err != nil {
		log.Fatal(err) // runc missing, or crossdock not built static
	}
	code, err := rt.Run(context.Background(), runner.Spec{
		Image:      "robot/busybox:latest",
		Platform:   "linux/arm/v7",
		Cmd:        []string{"uname", "-m"},
		AutoRemove: true,
	}, runner.Stdio{Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		log.Fatal(err) // exit code 3 (errdefs.Host) when no qemu-arm handler is registered
	}
	fmt.Println("exit code", code)
}

// Start a detached server with a published port and a named volume, then
// stop and remove it.
func ExampleRuntime_Start() {
	ctx := context.Background()
	rt, err := runner.New("/var/lib/crossdock")
	if err != nil {
		log.Fatal(err)
	}
	st, err := rt.Create(ctx, runner.Spec{
		Name:   "map_server",
		Image:  "robot/mapper:v1",
		Ports:  []runner.PortMapping{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80}},
		Mounts: []runner.Mount{{Type: "volume", Source: "maps", Target: "/var/maps"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := rt.Start(ctx, st.Name); err != nil {
		log.Fatal(err)
	}
	// ... the server answers on 127.0.0.1:8080 until it is stopped.
	if err := rt.Stop(ctx, st.Name, 10*time.Second); err != nil {
		log.Fatal(err)
	}
	if err := rt.Remove(ctx, st.Name, false); err != nil {
		log.Fatal(err)
	}
}

// Run a rootfs folder built by hand (one layer, no store involved).
func ExampleRuntime_CreateFrom() {
	ctx := context.Background()
	rt, err := runner.New("/var/lib/crossdock")
	if err != nil {
		log.Fatal(err)
	}
	img := runner.Image{Platform: "linux/amd64", Layers: []string{"/srv/rootfs"}}
	st, err := rt.CreateFrom(ctx, runner.Spec{Cmd: []string{"/hello"}, AutoRemove: true}, img)
	if err != nil {
		log.Fatal(err)
	}
	code, err := rt.RunCreated(ctx, st.ID, runner.Stdio{Stdout: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", code)
}
