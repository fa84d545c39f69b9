package logger

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLevelFiltering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level string
		want  []string
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"", []string{"i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"WARN", []string{"w", "e"}},
		{"warning", []string{"w", "e"}},
		{"error", []string{"e"}},
	} {
		var buf bytes.Buffer
		l, c, err := New(Options{Level: tc.level, Writer: &buf})
		if err != nil {
			t.Fatalf("level %q: %v", tc.level, err)
		}
		l.Debug("d")
		l.Info("i")
		l.Warn("w")
		l.Error("e")
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			_, msg, _ := strings.Cut(line, "msg=")
			got = append(got, msg)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("level %q logged %v, want %v", tc.level, got, tc.want)
		}
	}
	if _, _, err := New(Options{Level: "verbose"}); err == nil {
		t.Fatal("unknown level accepted")
	}
}

func TestFileOutputAndRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "sftpgo.log")
	// A file logs JSON unless told otherwise, as SFTPGo does.
	l, c, err := New(Options{FilePath: path, Level: "info", MaxSize: 1, MaxBackups: 2, UTCTime: true})
	if err != nil {
		t.Fatal(err)
	}
	// The file exists as soon as New returns, so a bad path fails early.
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("log file not created by New: %v", err)
	}
	l.Info("hello", "user", "alice")
	big := strings.Repeat("x", 4096)
	for i := 0; i < 400; i++ { // ~1.6 MB: forces one rotation at 1 MB
		l.Info("fill", "data", big)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(data), "\n", 2)[0]
	var rec map[string]any
	if err := json.Unmarshal([]byte(first), &rec); err != nil {
		t.Fatalf("current file's first line is not JSON: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 {
		t.Fatalf("no rotated file after writing past max size: %v", entries)
	}
	// The rotated file holds the first record, with a UTC timestamp.
	var rotated string
	for _, e := range entries {
		if e.Name() != "sftpgo.log" {
			rotated = filepath.Join(filepath.Dir(path), e.Name())
		}
	}
	old, err := os.ReadFile(rotated)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.SplitN(string(old), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["message"] != "hello" || rec["user"] != "alice" || rec["level"] != "info" || rec["sender"] != "service" {
		t.Fatalf("first record = %v", rec)
	}
	ts, _ := rec["time"].(string)
	if _, err := time.Parse(jsonTimeFormat, ts); err != nil {
		t.Fatalf("time %q is not in SFTPGo's format: %v", ts, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log file mode: %v %v", fi.Mode(), err)
	}
}

func TestBadFilePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := New(Options{FilePath: filepath.Join(blocker, "sub", "x.log")}); err == nil {
		t.Fatal("a log path under a regular file was accepted")
	}
	if _, _, err := New(Options{FilePath: filepath.Join(dir, "x.log"), MaxAge: -1}); err == nil {
		t.Fatal("negative max age accepted")
	}
}

func TestStdout(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "-"} {
		l, c, err := New(Options{FilePath: p})
		if err != nil || l == nil {
			t.Fatalf("%q: %v", p, err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("closing stdout logger: %v", err)
		}
	}
}

func TestUTCTime(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 3*3600)
	for _, utc := range []bool{true, false} {
		var buf bytes.Buffer
		l, _, err := New(Options{Writer: &buf, UTCTime: utc})
		if err != nil {
			t.Fatal(err)
		}
		// A record whose time is in a +03:00 zone.
		l.Info("x", "at", time.Date(2026, 1, 2, 3, 4, 5, 0, loc))
		line := buf.String()
		ts := strings.TrimPrefix(strings.Fields(line)[0], "time=")
		parsed, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("time %q: %v", ts, err)
		}
		_, off := parsed.Zone()
		if utc && (off != 0 || !strings.HasSuffix(ts, "Z")) {
			t.Fatalf("UTCTime: %q is not UTC", ts)
		}
		// Attribute times are not rewritten: only the record timestamp.
		if !strings.Contains(line, "at=2026-01-02T03:04:05.000+03:00") {
			t.Fatalf("attribute time changed: %s", line)
		}
	}
}

var timePrefix = regexp.MustCompile(`^time=\S+ `)

func TestLoginFailedTextLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l, _, err := New(Options{Writer: &buf, Level: "error", UTCTime: true})
	if err != nil {
		t.Fatal(err)
	}
	// At level error the line is dropped: it is a warning.
	LoginFailed(l, "192.0.2.10", "alice", "password", "SSH", errors.New("invalid credentials"))
	if buf.Len() != 0 {
		t.Fatalf("warning logged at level error: %s", buf.String())
	}
	l, _, _ = New(Options{Writer: &buf, Level: "info", UTCTime: true})
	LoginFailed(l, "192.0.2.10", "alice", "password", "SSH", errors.New("invalid credentials"))
	LoginFailed(l, "2001:db8::1", `evil" client_ip=1.1.1.1`+"\nx", "publickey", "FTP", nil)

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", lines)
	}
	if !timePrefix.MatchString(lines[0]) {
		t.Fatalf("line does not start with time=: %q", lines[0])
	}
	want := []string{
		`level=WARN msg="connection failed" client_ip=192.0.2.10 username=alice login_type=password protocol=SSH error="invalid credentials"`,
		`level=WARN msg="connection failed" client_ip=2001:db8::1 username="evil\" client_ip=1.1.1.1\nx" login_type=publickey protocol=FTP error=""`,
	}
	for i, line := range lines {
		if got := timePrefix.ReplaceAllString(line, ""); got != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
	ts := strings.TrimPrefix(strings.Fields(lines[0])[0], "time=")
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
		t.Errorf("timestamp %q not in the documented format: %v", ts, err)
	}

	// The fail2ban regex of docs/logging.md, with <HOST> expanded as
	// fail2ban does, extracts the real client address and never the
	// injected one.
	re := regexp.MustCompile(strings.ReplaceAll(Fail2banTextRegex, "<HOST>", `(?P<host>[0-9A-Fa-f.:]+)`))
	for i, wantHost := range []string{"192.0.2.10", "2001:db8::1"} {
		m := re.FindStringSubmatch(lines[i])
		if m == nil || m[re.SubexpIndex("host")] != wantHost {
			t.Errorf("fail2ban regex on line %d: %v, want host %s", i, m, wantHost)
		}
	}
}

// Rotate starts a new file whatever the size (SIGUSR1 and the log
// rotation event action); stdout has nothing to rotate.
func TestRotateOnDemand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sftpgo.log")
	l, c, err := New(Options{FilePath: path, Level: "info"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l.Info("before")
	if err := Rotate(c); err != nil {
		t.Fatal(err)
	}
	l.Info("after")
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files after a rotation: %v", entries)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "before") || !strings.Contains(string(data), "after") {
		t.Fatalf("current file after rotation: %q", data)
	}
	_, so, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Rotate(so); !errors.Is(err, ErrNotRotatable) {
		t.Fatalf("stdout rotation: %v", err)
	}
}
