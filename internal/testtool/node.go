package testtool

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NodeModule returns the absolute path of the npm package name that .ci/run
// installs into .ci/node at the module root, skipping the test locally (or
// failing it under CI=true) when it is missing. The environment variable
// env, when set, names the package's folder instead.
func NodeModule(t testing.TB, name, env string) string {
	t.Helper()
	if m := os.Getenv(env); m != "" {
		return RequirePath(t, m, "the npm package "+name)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for { // the module root holds go.mod and .ci
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	return RequirePath(t, filepath.Join(dir, ".ci", "node", "node_modules", name), "the npm package "+name+" (.ci/run installs it)")
}

// FreePort returns a loopback port that was free a moment ago, for a
// server the test starts in another process.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// StartNode runs the JavaScript source script with node, passing args,
// and returns once the script prints a line "ready" (within 30 s). The
// process is killed when the test ends. What it writes to stderr goes to
// the test's stderr.
func StartNode(t testing.TB, script string, args ...string) {
	t.Helper()
	node := Require(t, "node")
	file := filepath.Join(t.TempDir(), "server.js")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, append([]string{file}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				ready <- true
				break
			}
		}
		for sc.Scan() { // drain until the process ends
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s did not print ready within 30 s", strconv.Quote(strings.Join(args, " ")))
	}
}
