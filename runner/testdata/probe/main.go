// Command probe is the test program the runner's tests run in containers,
// built for each platform: by its first argument it exits with a code,
// kills itself with a signal, sleeps, leaves orphans behind, serves TCP,
// or prints what it sees.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe MODE [ARGS]")
		os.Exit(2)
	}
	switch arg := os.Args[1]; arg {
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		os.Exit(code)
	case "kill":
		sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL,
			"INT": syscall.SIGINT}[os.Args[2]]
		syscall.Kill(os.Getpid(), sig)
		time.Sleep(10 * time.Second)
		os.Exit(99)
	case "sleep":
		fmt.Println("sleeping")
		sleepForever()
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		sleepForever()
	case "trap-term":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("waiting for SIGTERM")
		<-c
		fmt.Println("got SIGTERM")
		os.Exit(42)
	case "orphans":
		// Children are not reaped by this process (SIGCHLD ignored: the
		// kernel drops them); their grandchildren, orphaned, go to PID 1.
		signal.Ignore(syscall.SIGCHLD)
		for i := 0; i < 5; i++ {
			exec.Command(os.Args[0], "child").Start()
		}
		fmt.Println("started orphans")
		sleepForever()
	case "child":
		exec.Command(os.Args[0], "grandchild").Start()
		os.Exit(0)
	case "grandchild":
		time.Sleep(time.Second)
		os.Exit(0)
	case "arch":
		fmt.Println(runtime.GOARCH)
	case "echo":
		fmt.Println(os.Args[2:])
	case "env":
		fmt.Println(os.Getenv(os.Args[2]))
	case "id":
		wd, _ := os.Getwd()
		fmt.Printf("uid=%d gid=%d groups=%v cwd=%s\n", os.Getuid(), os.Getgid(), groups(), wd)
	case "cat":
		b, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(b)
	case "write":
		if err := os.WriteFile(os.Args[2], []byte(os.Args[3]), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "tty":
		_, err := unix.IoctlGetTermios(0, unix.TCGETS)
		fmt.Printf("terminal=%v\n", err == nil)
	case "stdin":
		io.Copy(os.Stdout, os.Stdin)
	case "serve":
		serve(os.Args[2])
	default:
		fmt.Fprintf(os.Stderr, "probe: unknown mode %q\n", arg)
		os.Exit(2)
	}
}

func groups() []int {
	g, _ := os.Getgroups()
	return g
}

// serve answers every TCP connection and UDP datagram on 127.0.0.1:port
// with "pong " and what it read.
func serve(port string) {
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	u, err := net.ListenPacket("udp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		b := make([]byte, 1500)
		for {
			n, from, err := u.ReadFrom(b)
			if err != nil {
				return
			}
			u.WriteTo(append([]byte("pong "), b[:n]...), from)
		}
	}()
	fmt.Println("serving")
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b := make([]byte, 1500)
			n, _ := c.Read(b)
			c.Write(append([]byte("pong "), b[:n]...))
		}()
	}
}

// sleepForever blocks without tripping Go's deadlock detector, which would
// end a program whose only goroutine waits on nothing.
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}
