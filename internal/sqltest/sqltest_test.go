package sqltest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/testtool"
)

func TestMain(m *testing.M) { Main(m) }

// requireBin returns the PostgreSQL bin directory (skips locally, fails
// under CI=true without it, as PostgresDSN does).
func requireBin(t *testing.T) string {
	t.Helper()
	bin := binDir()
	if bin == "" {
		testtool.RequirePath(t, "/usr/lib/postgresql/15/bin/initdb", "PostgreSQL (Debian package postgresql)")
	}
	return bin
}

// postmasterPID reads the running postmaster's process id from its pid file.
func postmasterPID(t *testing.T, c *cluster) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	require.NoError(t, err, "a started cluster has a postmaster.pid")
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	require.NoError(t, err)
	return pid
}

// running reports whether process pid exists and is not a zombie (in a
// container nobody may reap the postmaster pg_ctl left to init).
func running(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// A cluster whose start succeeded but which then did not answer (c.err
// set) is still stopped by Stop: before, Stop skipped pg_ctl stop when
// c.err was set and removed the directory under a running postmaster.
func TestStopStopsStartedClusterThatDidNotAnswer(t *testing.T) {
	bin := requireBin(t)
	saved := ready
	t.Cleanup(func() { ready = saved })
	ready = func(*cluster) error { return errors.New("no answer (injected)") }

	c := start(bin)
	require.ErrorContains(t, c.err, "does not answer")
	require.True(t, c.started)
	pid := postmasterPID(t, c)
	require.True(t, running(pid), "the postmaster runs after pg_ctl start")
	t.Cleanup(func() {
		if running(pid) { // the bug: kill what it left behind
			p, _ := os.FindProcess(pid)
			_ = p.Kill()
		}
	})

	c.stop()
	assert.False(t, running(pid), "stop stops a started cluster even when it failed afterwards")
	assert.NoDirExists(t, c.dir)
}

// A port taken between the pick and the postmaster's bind (another test
// binary starting its cluster) makes the start try again on a new port.
func TestStartRetriesOnPortInUse(t *testing.T) {
	bin := requireBin(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	takenPort := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)

	saved := freePort
	t.Cleanup(func() { freePort = saved })
	var picks int
	freePort = func() (string, error) {
		picks++
		if picks == 1 {
			return takenPort, nil // free when picked, taken when bound
		}
		return saved()
	}

	c := start(bin)
	t.Cleanup(c.stop)
	require.NoError(t, c.err)
	assert.Equal(t, 2, picks, "one more pick after the port in use")
	assert.NotEqual(t, takenPort, c.port)
	pid := postmasterPID(t, c)
	assert.True(t, running(pid))

	c.stop()
	assert.False(t, running(pid))
	assert.NoDirExists(t, c.dir)
}
