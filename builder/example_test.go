package builder_test

import (
	"context"
	"fmt"
	"log"

	"github.com/crossdock/crossdock/builder"
)

// Build a spec from its lockfile only, for both of the spec's platforms,
// and print the index digest. The same spec and lockfile give the same
// digest on any machine.
func ExampleBuild() {
	spec, err := builder.Load("examples/hello-go/crossdock.yaml")
	if err != nil {
		log.Fatal(err) // names the file and line of a bad key
	}
	res, err := builder.Build(context.Background(), spec,
		builder.WithLocked(),
		builder.WithSourceDateEpoch(1700000000),
		builder.WithProgress(func(e builder.Event) {
			fmt.Println(e.Platform, e.Layer, e.Kind, e.Step)
		}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Digest)
}

// Resolve every input of a spec and write crossdock.lock next to it.
func ExampleLock() {
	spec, err := builder.Load("examples/ros/crossdock.yaml")
	if err != nil {
		log.Fatal(err)
	}
	l, err := builder.Lock(context.Background(), spec, builder.WithMirror("http://deb.debian.org/debian"))
	if err != nil {
		log.Fatal(err)
	}
	if err := builder.WriteLock(builder.LockPath(spec), l); err != nil {
		log.Fatal(err)
	}
}

// Write a built index as a docker-loadable tarball of its arm/v7 image.
func ExampleWriteDockerTarball() {
	spec, err := builder.Load("crossdock.yaml")
	if err != nil {
		log.Fatal(err)
	}
	res, err := builder.Build(context.Background(), spec)
	if err != nil {
		log.Fatal(err)
	}
	err = builder.WriteDockerTarball("robot-armv7.tar", spec.Name, res.Index, "linux/arm/v7")
	if err != nil {
		log.Fatal(err)
	}
}
