// Package sqltest gives tests a real database of each kind the SQL stores
// support: a SQLite file in the test's temp directory, and a database in a
// throw-away PostgreSQL cluster that the test package starts once (initdb
// and pg_ctl from Debian's postgresql package, on a free loopback port,
// under a temp directory, as the postgres OS user when the tests run as
// root, since initdb refuses root). TestMain calls Main (or Stop after
// m.Run).
// Without the PostgreSQL binaries the PostgreSQL tests skip locally and
// fail under CI=true (.ci/run installs them).
package sqltest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/testtool"
)

// Kind names a database kind for table-driven tests.
type Kind string

// The kinds.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Kinds are the kinds every store is tested on.
var Kinds = []Kind{SQLite, Postgres}

// DSN returns the DSN of a new, empty database of kind k for this test.
func DSN(t testing.TB, k Kind) string {
	t.Helper()
	if k == Postgres {
		return PostgresDSN(t)
	}
	return filepath.Join(t.TempDir(), "store.db")
}

// Open opens a new, empty database of kind k with sqldb.Open; it is
// closed when the test ends.
func Open(t testing.TB, k Kind) *sql.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), DSN(t, k))
	if err != nil {
		t.Fatalf("opening a %s database: %v", k, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type cluster struct {
	dir, bin, port string
	asPostgres     bool
	// started: pg_ctl start was run, so a postmaster may be running
	// whatever happened next (a failed ping, a start that timed out):
	// Stop must stop it before it removes the directory.
	started bool
	err     error
}

var (
	once    sync.Once
	shared  *cluster
	counter atomic.Int64
)

// binDir finds the newest /usr/lib/postgresql/*/bin with initdb.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0])
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// PostgresDSN returns the DSN of a new, empty database in the package's
// cluster, starting the cluster on first use.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	bin := binDir()
	if bin == "" {
		testtool.RequirePath(t, "/usr/lib/postgresql/15/bin/initdb", "PostgreSQL (Debian package postgresql)")
	}
	once.Do(func() { shared = start(bin) })
	if shared.err != nil {
		t.Fatalf("starting a throw-away PostgreSQL cluster: %v", shared.err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	admin, err := sql.Open("pgx", shared.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	return shared.dsn(name)
}

func (c *cluster) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", c.port, db)
}

// ownerFile holds the process id of the test binary that started a cluster.
const ownerFile = "owner.pid"

func start(bin string) *cluster {
	c := &cluster{bin: bin}
	reapOrphans(c)
	dir, err := os.MkdirTemp("", "contactkit-pg-")
	if err != nil {
		c.err = err
		return c
	}
	c.dir = dir
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		c.err = err
		return c
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			c.err = fmt.Errorf("running as root, and there is no postgres user to run initdb as: %w", err)
			return c
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			c.err = err
			return c
		}
		c.asPostgres = true
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		c.err = fmt.Errorf("initdb: %w\n%s", err, out)
		return c
	}
	if c.err = c.startOnFreePort(data); c.err != nil {
		return c
	}
	if err := ready(c); err != nil {
		c.err = fmt.Errorf("the cluster does not answer: %w", err)
	}
	return c
}

// startTries bounds the starts on a new port after "port in use".
const startTries = 5

// startOnFreePort starts the cluster on a free loopback port. The port is
// free when picked but another process (another test binary starting its
// own cluster) may take it before the postmaster binds it: then the start
// is tried again on a new port.
func (c *cluster) startOnFreePort(data string) error {
	logPath := filepath.Join(c.dir, "log")
	for try := 1; ; try++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.port = port
		opts := strings.Join([]string{
			"-p " + c.port, "-k " + c.dir, "-c listen_addresses=127.0.0.1",
			"-c max_connections=200", "-c shared_buffers=32MB",
		}, " ")
		_ = os.Remove(logPath) // pg_ctl appends: this try's log only
		c.started = true
		out, err := c.run("pg_ctl", "-D", data, "-l", logPath, "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			return nil
		}
		log, _ := os.ReadFile(logPath)
		if try < startTries && portInUse(string(out)+string(log)) {
			c.stopPostmaster() // nothing should run after a failed bind; make sure
			continue
		}
		return fmt.Errorf("pg_ctl start (port %s, try %d): %w\n%s\n%s", c.port, try, err, out, log)
	}
}

// portInUse reports whether a start failed because its port was taken
// (the messages are in English: c.run sets LC_ALL=C).
func portInUse(output string) bool {
	return strings.Contains(output, "Address already in use")
}

// freePort picks a loopback port that is free now. A variable so that
// the package's tests can hand out a taken port.
var freePort = func() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	return port, l.Close()
}

// ready waits until the started cluster accepts connections over TCP. A
// variable so that the package's tests can make a started cluster fail it.
var ready = func(c *cluster) error {
	db, err := sql.Open("pgx", c.dsn("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	for i := 0; i < 100; i++ {
		if err = db.Ping(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// reapOrphans stops and removes the clusters of test binaries that died
// before their Stop (a panic, a kill), so that none outlives its run for
// long.
func reapOrphans(c *cluster) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "contactkit-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil || errors.Is(syscall.Kill(pid, 0), syscall.EPERM) {
			continue // alive
		}
		orphan := &cluster{dir: dir, bin: c.bin, asPostgres: os.Geteuid() == 0}
		_, _ = orphan.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
		_ = os.RemoveAll(dir)
	}
}

func (c *cluster) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	return cmd.CombinedOutput()
}

// Main runs a test package that uses the cluster: the tests, then Stop,
// then goleak's check for leaked goroutines. Call it as TestMain's body.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Stop stops the package's cluster, if one was started, and removes its
// directory. Call it from TestMain after m.Run.
func Stop() {
	if shared != nil {
		shared.stop()
	}
}

// stop stops the cluster if it was started, even when it then failed (a
// postmaster that does not answer is still running), and removes its
// directory.
func (c *cluster) stop() {
	if c.dir == "" {
		return
	}
	if c.started {
		c.stopPostmaster()
	}
	_ = os.RemoveAll(c.dir)
}

func (c *cluster) stopPostmaster() {
	_, _ = c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
}

// Terminate ends the PostgreSQL backend with process id pid from another
// connection, as a crash or a killed session would: its open transaction
// is rolled back by the server and the client's next statement fails.
func Terminate(ctx context.Context, t testing.TB, pid int) {
	t.Helper()
	admin, err := sql.Open("pgx", shared.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ok bool
	if err := admin.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating backend %d: %v (%v)", pid, err, ok)
	}
}
