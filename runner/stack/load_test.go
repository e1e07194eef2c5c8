package stack

import (
	"context"
	"errors"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/crossdock/crossdock/internal/errdefs"
)

const goodStack = `
name: demo
services:
  web:
    image: example/web:1
    command: ["serve", "--port", "8080"]
    environment:
      MODE: test
      FROM_VAR: ${WHO:-nobody}
    env_file: web.env
    ports: ["127.0.0.1:18080:8080"]
    volumes: ["data:/data", "./conf:/conf:ro"]
    depends_on:
      db: {condition: service_healthy}
    restart: on-failure:3
  db:
    image: example/db:1
    hostname: database
    healthcheck:
      test: ["CMD-SHELL", "test -f /ready"]
      interval: 1s
      retries: 5
      start_period: 2s
volumes:
  data:
`

func TestLoad(t *testing.T) {
	dir := fs.NewDir(t, "stack",
		fs.WithFile("compose.yaml", goodStack),
		fs.WithFile("web.env", "EXTRA=1\n"),
		fs.WithDir("conf"))
	f, err := Load(context.Background(), dir.Join("compose.yaml"), WithEnv(map[string]string{"WHO": "me"}))
	assert.NilError(t, err)

	assert.Equal(t, f.Name, "demo")
	assert.DeepEqual(t, f.Volumes, []string{"data"})
	assert.Equal(t, f.Services[0].Name, "db", "db starts first: web depends on it")
	web := f.Service("web")
	assert.DeepEqual(t, web.Command, []string{"serve", "--port", "8080"})
	assert.Check(t, web.Entrypoint == nil)
	assert.DeepEqual(t, web.Env, []string{"EXTRA=1", "FROM_VAR=me", "MODE=test"})
	assert.DeepEqual(t, web.Ports, []Port{{HostIP: "127.0.0.1", HostPort: 18080, ContainerPort: 8080, Protocol: "tcp"}})
	assert.DeepEqual(t, web.Mounts, []Mount{
		{Volume: "data", Target: "/data"},
		{Source: dir.Join("conf"), Target: "/conf", ReadOnly: true},
	})
	assert.Equal(t, web.DependsOn["db"], ServiceHealthy)
	assert.Equal(t, web.Restart, RestartPolicy{Name: "on-failure", MaxRetries: 3})

	db := f.Service("db")
	assert.Equal(t, db.Hostname, "database")
	assert.DeepEqual(t, db.Health, &Health{Test: []string{"/bin/sh", "-c", "test -f /ready"},
		Interval: time.Second, Timeout: 30 * time.Second, Retries: 5, StartPeriod: 2 * time.Second})
}

// The host's environment never reaches the file unless passed explicitly.
func TestLoadNoHostEnv(t *testing.T) {
	t.Setenv("CROSSDOCK_SECRET", "leaked")
	dir := fs.NewDir(t, "stack", fs.WithFile("compose.yaml",
		"services:\n  a:\n    image: x\n    environment:\n      S: ${CROSSDOCK_SECRET:-unset}\n"))
	f, err := Load(context.Background(), dir.Join("compose.yaml"))
	assert.NilError(t, err)
	assert.DeepEqual(t, f.Services[0].Env, []string{"S=unset"})
}

func TestLoadRejects(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"build", "services:\n  a:\n    image: x\n    build: .\n",
			"compose.yaml:4: services.a.build: not supported by crossdock"},
		{"networks", "services:\n  a:\n    image: x\nnetworks:\n  n: {}\n",
			"compose.yaml:4: networks: not supported"},
		{"privileged", "services:\n  a:\n    image: x\n    privileged: true\n",
			"compose.yaml:4: services.a.privileged: not supported"},
		{"volume driver", "services:\n  a:\n    image: x\nvolumes:\n  v:\n    driver: local\n",
			"compose.yaml:6: volumes.v.driver: not supported"},
		{"condition", "services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_completed_successfully}\n  b:\n    image: y\n",
			`compose.yaml:5: services.a.depends_on.b.condition: "service_completed_successfully" is not one of`},
		{"restart", "services:\n  a:\n    image: x\n    restart: sometimes\n",
			`compose.yaml:4: services.a.restart: "sometimes" is not supported`},
		{"healthcheck key", "services:\n  a:\n    image: x\n    healthcheck:\n      start_interval: 1s\n",
			"compose.yaml:5: services.a.healthcheck.start_interval: not supported"},
		{"no image", "services:\n  a:\n    command: [x]\n", "neither an image nor a build context"},
		{"unknown dependency", "services:\n  a:\n    image: x\n    depends_on: [nope]\n",
			`depends on undefined service "nope"`},
		{"healthy without check", "services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_healthy}\n  b:\n    image: y\n",
			"service_healthy, but b has no healthcheck"},
		{"cycle", "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: y\n    depends_on: [a]\n",
			"dependency cycle detected"},
		{"undeclared volume", "services:\n  a:\n    image: x\n    volumes:\n      - vol:/v\n",
			`refers to undefined volume vol`},
		{"unpublished port", "services:\n  a:\n    image: x\n    ports: [\"80\"]\n", "port 80: no published port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := fs.NewDir(t, "stack", fs.WithFile("compose.yaml", tc.file))
			_, err := Load(context.Background(), dir.Join("compose.yaml"))
			assert.Check(t, errors.Is(err, errdefs.ErrInvalid), "%v", err)
			assert.ErrorContains(t, err, tc.want)
			assert.Check(t, is.Contains(err.Error(), "compose.yaml"))
		})
	}
}
