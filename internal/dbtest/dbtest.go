// Package dbtest starts private PostgreSQL and MariaDB (MySQL) servers for
// tests: each on 127.0.0.1 with a port of its own and a data directory of
// its own, started and stopped by the test process itself (no systemd, no
// system cluster). A test asks for a fresh database on a server shared by
// the whole test binary (NewDatabase), or for a server of its own (Start)
// when it stops and restarts the server.
//
// A missing server program is a test failure, never a skip:
// scripts/install-test-deps.sh installs both from Debian packages.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Kind is a database server kind, named as data_provider.driver names it.
type Kind string

// The server kinds.
const (
	Postgres Kind = "postgresql"
	MySQL    Kind = "mysql"
)

// Kinds are both server kinds, for tests that run on each.
var Kinds = []Kind{Postgres, MySQL}

// The account every server is created with. Passwords are checked
// (scram-sha-256 for PostgreSQL, mysql_native_password for MariaDB).
const (
	User     = "sftpgo"
	Password = "sftpgo-test-pw"
)

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 90 * time.Second

// Server is a running (or stopped) private database server.
type Server struct {
	Kind Kind
	Host string
	Port int

	dir     string // owned by this process, removed by Close
	datadir string
	logFile string

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd exited
	admin *sql.DB
}

// Database is one database on a Server, with the account's credentials.
type Database struct {
	Kind     Kind
	Host     string
	Port     int
	User     string
	Password string
	Name     string
}

// DSN is the connection string for data_provider.connection_string.
func (d Database) DSN() string {
	if d.Kind == Postgres {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(d.User, d.Password),
			Host: net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), Path: "/" + d.Name, RawQuery: "sslmode=disable"}
		return u.String()
	}
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net = d.User, d.Password, "tcp"
	mc.Addr = net.JoinHostPort(d.Host, strconv.Itoa(d.Port))
	mc.DBName = d.Name
	mc.Params = map[string]string{"charset": "utf8mb4"}
	return mc.FormatDSN()
}

// Env is the data provider configuration as SFTPGO_DATA_PROVIDER__*
// variables, for a `sftpgo` process.
func (d Database) Env() []string {
	return []string{
		"SFTPGO_DATA_PROVIDER__DRIVER=" + string(d.Kind),
		"SFTPGO_DATA_PROVIDER__HOST=" + d.Host,
		"SFTPGO_DATA_PROVIDER__PORT=" + strconv.Itoa(d.Port),
		"SFTPGO_DATA_PROVIDER__USERNAME=" + d.User,
		"SFTPGO_DATA_PROVIDER__PASSWORD=" + d.Password,
		"SFTPGO_DATA_PROVIDER__NAME=" + d.Name,
		"SFTPGO_DATA_PROVIDER__SSLMODE=0",
	}
}

var (
	sharedMu sync.Mutex
	shared   = map[Kind]*Server{}
	// sharedErr remembers a failed start so later tests fail fast.
	sharedErr = map[Kind]error{}
	dbSeq     atomic.Int64
)

// Main runs the tests of a package and stops the shared servers; call it
// from TestMain: os.Exit(dbtest.Main(m)). Without it the servers die with
// the test process (parent-death signal) and their directories are
// removed by the next run.
func Main(m *testing.M) int {
	code := m.Run()
	StopShared()
	return code
}

// StopShared stops the servers NewDatabase started and removes their data.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for k, s := range shared {
		s.Close()
		delete(shared, k)
	}
}

// SharedServer returns the server of this kind shared by the test binary,
// starting it on first use.
func SharedServer(t testing.TB, kind Kind) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s := shared[kind]; s != nil {
		return s
	}
	if err := sharedErr[kind]; err != nil {
		t.Fatalf("dbtest: %s server did not start earlier: %v", kind, err)
	}
	s, err := start(kind)
	if err != nil {
		sharedErr[kind] = err
		t.Fatalf("dbtest: %v", err)
	}
	shared[kind] = s
	return s
}

// NewDatabase creates an empty database on the shared server of this
// kind; it is dropped when the test ends.
func NewDatabase(t testing.TB, kind Kind) Database {
	t.Helper()
	return SharedServer(t, kind).NewDatabase(t)
}

// Start starts a server for this test alone; it is stopped and its data
// removed when the test ends.
func Start(t testing.TB, kind Kind) *Server {
	t.Helper()
	s, err := start(kind)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewDatabase creates an empty database on s, dropped when the test ends.
func (s *Server) NewDatabase(t testing.TB) Database {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := "CREATE DATABASE " + name
	if s.Kind == MySQL {
		q += " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	}
	if _, err := s.adminDB().ExecContext(ctx, q); err != nil {
		t.Fatalf("dbtest: create database on %s: %v", s.Kind, err)
	}
	t.Cleanup(func() { s.dropDatabase(name) })
	return Database{Kind: s.Kind, Host: s.Host, Port: s.Port, User: User, Password: Password, Name: name}
}

func (s *Server) dropDatabase(name string) {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if !running {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := "DROP DATABASE IF EXISTS " + name
	if s.Kind == Postgres {
		q += " WITH (FORCE)"
	}
	s.adminDB().ExecContext(ctx, q)
}

// adminDB is a connection pool to the server's maintenance database.
func (s *Server) adminDB() *sql.DB {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		d := Database{Kind: s.Kind, Host: s.Host, Port: s.Port, User: User, Password: Password}
		if s.Kind == Postgres {
			d.Name = "postgres"
			s.admin, _ = sql.Open("pgx", d.DSN())
		} else {
			s.admin, _ = sql.Open("mysql", d.DSN())
		}
		s.admin.SetMaxOpenConns(2)
	}
	return s.admin
}

// Log returns the server's log so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logFile)
	return string(b)
}

// Running reports whether the server process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Stop stops the server (a fast shutdown that closes every client
// connection) and keeps its data for Restart.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done, admin := s.cmd, s.done, s.admin
	s.cmd, s.admin = nil, nil
	s.mu.Unlock()
	if admin != nil {
		admin.Close()
	}
	if cmd == nil {
		return nil
	}
	// PostgreSQL: SIGINT is the fast shutdown. MariaDB: SIGTERM.
	sig := syscall.SIGTERM
	if s.Kind == Postgres {
		sig = syscall.SIGINT
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
		return nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("dbtest: %s did not stop within 60s, killed", s.Kind)
	}
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart() error {
	if s.Running() {
		return nil
	}
	return s.run()
}

// Close stops the server and removes its data directory.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// dirPrefix names this package's directories so a later run can remove
// those whose process died.
const dirPrefix = "sftpgo-dbtest-"

// baseDir holds the servers' directories. As root the PostgreSQL server
// runs as another account, which must reach its directory: /tmp rather
// than a TMPDIR that may sit under root's home.
func baseDir() string {
	if os.Getuid() == 0 {
		if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() {
			return "/tmp"
		}
	}
	return os.TempDir()
}

// removeStale removes the directories of dead test processes.
func removeStale() {
	matches, _ := filepath.Glob(filepath.Join(baseDir(), dirPrefix+"*"))
	for _, m := range matches {
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(m), dirPrefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if !processAlive(pid) {
			os.RemoveAll(m)
		}
	}
}

var staleOnce sync.Once

func start(kind Kind) (*Server, error) {
	staleOnce.Do(removeStale)
	dir, err := os.MkdirTemp(baseDir(), fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: kind, Host: "127.0.0.1", dir: dir, datadir: filepath.Join(dir, "data"),
		logFile: filepath.Join(dir, "server.log")}
	switch kind {
	case Postgres:
		err = s.initPostgres()
	case MySQL:
		err = s.initMySQL()
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	if err == nil {
		// A port chosen free can be taken before the server binds it:
		// try a few.
		for attempt := 0; attempt < 5; attempt++ {
			if s.Port, err = freePort(); err != nil {
				break
			}
			if err = s.run(); err == nil || !strings.Contains(s.Log(), "already in use") {
				break
			}
		}
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lookPath finds a server program in PATH or in the directories Debian
// installs it to.
func lookPath(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (run scripts/install-test-deps.sh)", name)
}

// postgresBinDir is the newest /usr/lib/postgresql/<N>/bin, or the
// directory of initdb in PATH.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	p, err := lookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("PostgreSQL server not installed: %w", err)
	}
	return filepath.Dir(p), nil
}

func (s *Server) initPostgres() error {
	bin, err := postgresBinDir()
	if err != nil {
		return err
	}
	cred, uid, gid, err := serverCredential()
	if err != nil {
		return err
	}
	pwFile := filepath.Join(s.dir, "pw")
	if err := os.WriteFile(pwFile, []byte(Password+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		for _, p := range []string{s.dir, pwFile} {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", s.datadir, "-U", User, "--pwfile", pwFile,
		"-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "-N", "--no-instructions")
	cmd.SysProcAttr = credentialAttr(cred)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	return nil
}

func (s *Server) initMySQL() error {
	if _, err := lookPath("mariadbd", "/usr/sbin"); err != nil {
		return fmt.Errorf("MariaDB server not installed: %w", err)
	}
	install, err := lookPath("mariadb-install-db", "/usr/bin")
	if err != nil {
		return fmt.Errorf("MariaDB server not installed: %w", err)
	}
	args := []string{"--no-defaults", "--datadir=" + s.datadir, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve"}
	if os.Getuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(install, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db: %v: %s", err, out)
	}
	// The test account, created (again) at every start.
	initSQL := fmt.Sprintf("CREATE USER IF NOT EXISTS '%[1]s'@'%%' IDENTIFIED BY '%[2]s';\n"+
		"GRANT ALL PRIVILEGES ON *.* TO '%[1]s'@'%%' WITH GRANT OPTION;\n", User, Password)
	return os.WriteFile(filepath.Join(s.dir, "init.sql"), []byte(initSQL), 0o600)
}

// command is the server process for the current port.
func (s *Server) command() (*exec.Cmd, error) {
	port := strconv.Itoa(s.Port)
	switch s.Kind {
	case Postgres:
		bin, err := postgresBinDir()
		if err != nil {
			return nil, err
		}
		cred, _, _, err := serverCredential()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", s.datadir, "-p", port,
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300", "-c", "logging_collector=off")
		// SIGQUIT, an immediate shutdown, if the test process dies.
		cmd.SysProcAttr = serverAttr(cred, syscall.SIGQUIT)
		return cmd, nil
	default:
		bin, err := lookPath("mariadbd", "/usr/sbin")
		if err != nil {
			return nil, err
		}
		args := []string{"--no-defaults", "--datadir=" + s.datadir, "--port=" + port,
			"--bind-address=127.0.0.1", "--socket=" + filepath.Join(s.dir, "mysqld.sock"),
			"--pid-file=" + filepath.Join(s.dir, "mysqld.pid"), "--skip-name-resolve",
			"--init-file=" + filepath.Join(s.dir, "init.sql"), "--skip-log-bin",
			"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M",
			"--max-connections=300", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"}
		if os.Getuid() == 0 {
			args = append(args, "--user=root")
		}
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = serverAttr(nil, syscall.SIGKILL)
		return cmd, nil
	}
}

// run starts the server process and waits until it accepts the account.
func (s *Server) run() error {
	cmd, err := s.command()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("server exited during start: %s", tail(s.Log(), 2000))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := s.adminDB().PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("not accepting connections after %s: %v: %s", startTimeout, err, tail(s.Log(), 2000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
