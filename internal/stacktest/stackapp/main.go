// Command stackapp is the program in the stack tests' images, built for
// amd64 and arm/v7. Its first argument picks what it does:
//
//	serve PORT WORD [READY_AFTER]  answer each TCP connection with WORD;
//	                               create /tmp/ready after READY_AFTER
//	dial HOST:PORT                 connect until it works, print the answer
//	exists PATH                    exit 0 if PATH exists (a health check)
//	lines N TEXT                   print N numbered lines, 20 ms apart
//	exit CODE                      exit with CODE
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "stackapp: no mode")
		os.Exit(2)
	}
	switch args[0] {
	case "serve":
		serve(args[1], args[2], args[3:])
	case "dial":
		dial(args[1])
	case "exists":
		if _, err := os.Stat(args[1]); err != nil {
			fmt.Println("not ready:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
	case "lines":
		n, _ := strconv.Atoi(args[1])
		for i := 1; i <= n; i++ {
			fmt.Printf("%s %d\n", args[2], i)
			time.Sleep(20 * time.Millisecond)
		}
		forever()
	case "exit":
		code, _ := strconv.Atoi(args[1])
		fmt.Println("exiting with", code)
		os.Exit(code)
	default:
		fmt.Fprintln(os.Stderr, "stackapp: unknown mode", args[0])
		os.Exit(2)
	}
}

func serve(port, word string, readyAfter []string) {
	l, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	host, _ := os.Hostname()
	fmt.Printf("listening on %s as %s\n", port, host)
	delay := time.Duration(0)
	if len(readyAfter) > 0 {
		delay, _ = time.ParseDuration(readyAfter[0])
	}
	go func() {
		time.Sleep(delay)
		os.WriteFile("/tmp/ready", nil, 0o644)
		fmt.Println("ready")
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			continue
		}
		fmt.Fprintln(c, word)
		c.Close()
	}
}

func dial(addr string) {
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Println("dial:", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		fmt.Printf("got %s from %s\n", line[:len(line)-1], addr)
		forever()
	}
}

// forever sleeps until the container is stopped. (A bare select{} would
// end the program: Go reports a deadlock when no goroutine can run.)
func forever() {
	for {
		time.Sleep(time.Hour)
	}
}
