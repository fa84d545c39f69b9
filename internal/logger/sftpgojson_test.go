package logger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fixturesDir is the SFTPGo fixture set (data written by SFTPGo itself);
// SFTPGO_FIXTURES_DIR overrides its location.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures" // shared/ sits beside the checkout
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "sftpgo.log")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// fixtureLines returns the lines of a fixture log.
func fixtureLines(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixturesDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// keyOrder returns the top-level keys of a JSON object in order.
func keyOrder(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", line)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%v in %s", err, line)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v in %s", err, line)
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatalf("trailing data after the object: %s", line)
	}
	return keys
}

var timeField = regexp.MustCompile(`"time":"[^"]*"`)

// fail2banRegexp turns a failregex into a Go regexp the way fail2ban
// expands <HOST> (its IPv4 / IPv6 / DNS alternatives; RE2 has no
// look-behind, so the IPv6 form's trailing "(?<=:):" is a plain ":").
func fail2banRegexp(t *testing.T, failregex string) *regexp.Regexp {
	t.Helper()
	const ip4 = `(?:\d{1,3}\.){3}\d{1,3}`
	const ip6 = `(?:[0-9a-fA-F]{1,4}::?|:){1,7}(?:[0-9a-fA-F]{1,4}|:)`
	host := `(?:\[?(?:(?:::f{4,6}:)?(?P<ip4>` + ip4 + `)|(?P<ip6>` + ip6 + `))\]?|(?P<dns>[\w\-.^_]*\w))`
	return regexp.MustCompile(strings.ReplaceAll(failregex, "<HOST>", host))
}

// sftpgoFailregex reads the failregex of SFTPGo's fail2ban filter.
func sftpgoFailregex(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join(fixturesDir(t), "fail2ban-filter.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.TrimSpace(k) == "failregex" {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no failregex in the fixture filter")
	return ""
}

func hostOf(re *regexp.Regexp, m []string) string {
	for _, g := range []string{"ip4", "ip6", "dns"} {
		if v := m[re.SubexpIndex(g)]; v != "" {
			return v
		}
	}
	return ""
}

func newJSON(t *testing.T, level string) (*slog.Logger, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	l, _, err := New(Options{Writer: &buf, Level: level, Format: FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	return l, &buf
}

func lines(buf *bytes.Buffer) []string {
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

// TestLoginFailedJSONIsSFTPGos: our failed-login line is SFTPGo's line,
// byte for byte apart from the time, whatever attributes the caller's
// logger carries.
func TestLoginFailedJSONIsSFTPGos(t *testing.T) {
	t.Parallel()
	fixture := fixtureLines(t, "failed-logins.log")
	l, buf := newJSON(t, "debug")
	// A logger made with With, as the servers' are.
	cl := l.With("component", "sftpd", "conn_id", "abc", "binding", 0)
	for _, line := range fixture {
		var r struct {
			ClientIP  string `json:"client_ip"`
			Username  string `json:"username"`
			LoginType string `json:"login_type"`
			Protocol  string `json:"protocol"`
			Error     string `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		LoginFailed(cl, r.ClientIP, r.Username, r.LoginType, r.Protocol, errors.New(r.Error))
	}
	ours := lines(buf)
	if len(ours) != len(fixture) {
		t.Fatalf("%d lines for %d failed logins", len(ours), len(fixture))
	}
	for i := range fixture {
		if got, want := timeField.ReplaceAllString(ours[i], `"time":"T"`), timeField.ReplaceAllString(fixture[i], `"time":"T"`); got != want {
			t.Errorf("line %d:\n ours   %s\n SFTPGo %s", i, got, want)
		}
		want := []string{"level", "time", "sender", "client_ip", "username", "login_type", "protocol", "error"}
		if got := keyOrder(t, ours[i]); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("key order %v, want %v", got, want)
		}
	}
	// It is a debug line, as SFTPGo's: dropped at info.
	li, bi := newJSON(t, "info")
	LoginFailed(li, "192.0.2.1", "u", "password", "SSH", errors.New("x"))
	if bi.Len() != 0 {
		t.Fatalf("failed-login line logged at level info: %s", bi.String())
	}
}

// TestFail2banFiltersOnJSON runs SFTPGo's own failregex (from its
// published filter) and ours over our lines, including user names made to
// look like other fields.
func TestFail2banFiltersOnJSON(t *testing.T) {
	t.Parallel()
	sftpgo := fail2banRegexp(t, sftpgoFailregex(t))
	ours := fail2banRegexp(t, Fail2banJSONRegex)
	l, buf := newJSON(t, "debug")
	cases := []struct {
		ip, user, method string
		sftpgoMatch      bool
	}{
		{"192.0.2.10", "alice", "password", true},
		{"2001:db8::1", "bob", "password", true},
		{"198.51.100.7", "", "password", true},
		{"192.0.2.11", `x","client_ip":"10.9.9.9","username":"y`, "password", true},
		// SFTPGo's filter counts password logins only...
		{"192.0.2.12", "carol", "publickey", false},
		// ...and a user name cannot make a key login look like one.
		{"192.0.2.13", `z","login_type":"password","protocol":"SSH","error":"e"}`, "publickey", false},
		{"192.0.2.14", "line\nbreak\"}\n{\"sender\":\"connection_failed\",\"client_ip\":\"10.1.1.1\"", "keyboard-interactive", false},
	}
	for _, c := range cases {
		LoginFailed(l, c.ip, c.user, c.method, "SSH", errors.New("invalid credentials"))
	}
	got := lines(buf)
	if len(got) != len(cases) {
		t.Fatalf("%d lines for %d logins: a value broke a line", len(got), len(cases))
	}
	for i, c := range cases {
		m := sftpgo.FindStringSubmatch(got[i])
		if (m != nil) != c.sftpgoMatch {
			t.Errorf("SFTPGo's failregex on %s: match %v, want %v", got[i], m != nil, c.sftpgoMatch)
		}
		if m != nil && hostOf(sftpgo, m) != c.ip {
			t.Errorf("SFTPGo's failregex took host %q from %s, want %s", hostOf(sftpgo, m), got[i], c.ip)
		}
		m = ours.FindStringSubmatch(got[i])
		if m == nil || hostOf(ours, m) != c.ip {
			t.Errorf("Fail2banJSONRegex on %s: %v, want host %s", got[i], m, c.ip)
		}
	}
}

// TestJSONLineShape: level, time, sender first, the fields in order, the
// message last, with SFTPGo's level names and time format.
func TestJSONLineShape(t *testing.T) {
	t.Parallel()
	l, buf := newJSON(t, "debug")
	l.Debug("d")
	l.Info("i", "n", 3, "ok", true)
	l.Warn("w")
	l.Error("e", "error", errors.New("boom"))
	l.With("component", "sftpd").Info("listening", "address", "127.0.0.1:2022")
	l.With("sender", "SFTP", "connection_id", "SFTP_1").Debug("transfer added")
	l.With("component", "ftpd").Info("x", "sender", "Upload")
	l.WithGroup("g").With("a", 1).Info("grouped", "b", "two", slog.Group("h", "c", 3))
	l.Info("", "only", "fields")
	l.Info("clash", "time", "t", "message", "m", "level", 1)

	want := []struct {
		level, sender string
		keys          []string
	}{
		{"debug", "service", []string{"level", "time", "sender", "message"}},
		{"info", "service", []string{"level", "time", "sender", "n", "ok", "message"}},
		{"warn", "service", []string{"level", "time", "sender", "message"}},
		{"error", "service", []string{"level", "time", "sender", "error", "message"}},
		{"info", "sftpd", []string{"level", "time", "sender", "address", "message"}},
		{"debug", "SFTP", []string{"level", "time", "sender", "connection_id", "message"}},
		{"info", "Upload", []string{"level", "time", "sender", "message"}},
		{"info", "service", []string{"level", "time", "sender", "g.a", "g.b", "g.h.c", "message"}},
		{"info", "service", []string{"level", "time", "sender", "only"}},
		{"info", "service", []string{"level", "time", "sender", "attr.time", "attr.message", "attr.level", "message"}},
	}
	got := lines(buf)
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i, w := range want {
		var rec map[string]any
		if err := json.Unmarshal([]byte(got[i]), &rec); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, got[i])
		}
		if rec["level"] != w.level || rec["sender"] != w.sender {
			t.Errorf("line %d: level %v sender %v, want %s %s", i, rec["level"], rec["sender"], w.level, w.sender)
		}
		if k := keyOrder(t, got[i]); strings.Join(k, ",") != strings.Join(w.keys, ",") {
			t.Errorf("line %d: keys %v, want %v", i, k, w.keys)
		}
		if _, err := time.ParseInLocation(jsonTimeFormat, rec["time"].(string), time.Local); err != nil {
			t.Errorf("line %d: time %v: %v", i, rec["time"], err)
		}
	}
	if !strings.Contains(got[1], `"n":3,"ok":true`) || !strings.Contains(got[3], `"error":"boom"`) {
		t.Errorf("values not typed: %s / %s", got[1], got[3])
	}
	// The fixture's lines have the same head: level, time, sender.
	for _, line := range fixtureLines(t, "sftpgo.log") {
		if k := keyOrder(t, line); len(k) < 3 || k[0] != "level" || k[1] != "time" || k[2] != "sender" {
			t.Fatalf("fixture line starts %v", k)
		}
	}
}

// TestJSONTime: SFTPGo's format (milliseconds, no zone), local or UTC.
func TestJSONTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 17, 10, 6, 494_900_000, time.FixedZone("X", 3*3600))
	for _, utc := range []bool{false, true} {
		var buf bytes.Buffer
		h := NewHandler(&buf, slog.LevelInfo, utc, true)
		r := slog.NewRecord(at, slog.LevelInfo, "m", 0)
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		want := `"time":"` + at.Local().Format("2006-01-02T15:04:05.000") + `"`
		if utc {
			want = `"time":"2026-12-03T14:10:06.494"`
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("utc=%v: %s, want %s", utc, buf.String(), want)
		}
	}
}

// TestJSONEscaping: no value can end its string, the object or the line.
func TestJSONEscaping(t *testing.T) {
	t.Parallel()
	l, buf := newJSON(t, "info")
	nasty := "q\"b\\s\nn\r\tt\x00\x1f\x7f<>&\xff\u2028é"
	l.Info(nasty, "k", nasty)
	got := lines(buf)
	if len(got) != 1 {
		t.Fatalf("one record took %d lines", len(got))
	}
	var rec map[string]string
	if err := json.Unmarshal([]byte(got[0]), &rec); err != nil {
		t.Fatalf("%v: %s", err, got[0])
	}
	want := strings.ToValidUTF8(nasty, "\ufffd")
	if rec["message"] != want || rec["k"] != want {
		t.Errorf("round trip: %q, want %q", rec["k"], want)
	}
	if !strings.Contains(got[0], `<>&`) {
		t.Errorf("HTML characters escaped, SFTPGo does not: %s", got[0])
	}
}

// TestTransferJSONIsSFTPGos: the transfer line has SFTPGo's keys in
// SFTPGo's order, whatever the caller's logger carries.
func TestTransferJSONIsSFTPGos(t *testing.T) {
	t.Parallel()
	var fixture []string
	for _, line := range fixtureLines(t, "sftpgo.log") {
		if strings.Contains(line, `"sender":"Upload"`) || strings.Contains(line, `"sender":"Download"`) {
			fixture = append(fixture, line)
		}
	}
	if len(fixture) == 0 {
		t.Fatal("no transfer lines in the fixture log")
	}
	l, buf := newJSON(t, "debug")
	cl := l.With("conn_id", "c1", "user", "alice", "proto", "SFTP")
	for _, line := range fixture {
		var r struct {
			Sender       string `json:"sender"`
			LocalAddr    string `json:"local_addr"`
			RemoteAddr   string `json:"remote_addr"`
			ElapsedMS    int64  `json:"elapsed_ms"`
			SizeBytes    int64  `json:"size_bytes"`
			Username     string `json:"username"`
			FilePath     string `json:"file_path"`
			VirtualPath  string `json:"virtual_path"`
			ConnectionID string `json:"connection_id"`
			Protocol     string `json:"protocol"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		Transfer(cl, TransferRecord{Upload: r.Sender == "Upload", LocalAddr: r.LocalAddr, RemoteAddr: r.RemoteAddr,
			Elapsed: time.Duration(r.ElapsedMS) * time.Millisecond, Size: r.SizeBytes, Username: r.Username,
			FilePath: r.FilePath, VirtualPath: r.VirtualPath, ConnectionID: r.ConnectionID, Protocol: r.Protocol})
	}
	ours := lines(buf)
	for i := range fixture {
		if got, want := timeField.ReplaceAllString(ours[i], `"time":"T"`), timeField.ReplaceAllString(fixture[i], `"time":"T"`); got != want {
			t.Errorf("line %d:\n ours   %s\n SFTPGo %s", i, got, want)
		}
	}
	buf.Reset()
	Transfer(cl, TransferRecord{Upload: true, Protocol: "FTP", FTPMode: "passive", Err: errors.New("quota exceeded")})
	line := strings.TrimSpace(buf.String())
	want := []string{"level", "time", "sender", "local_addr", "remote_addr", "elapsed_ms", "size_bytes", "username",
		"file_path", "virtual_path", "connection_id", "protocol", "ftp_mode", "error"}
	if k := keyOrder(t, line); strings.Join(k, ",") != strings.Join(want, ",") {
		t.Errorf("failed FTP upload keys %v, want %v", k, want)
	}
	if !strings.HasPrefix(line, `{"level":"warn",`) {
		t.Errorf("failed transfer not a warning: %s", line)
	}
}

// TestTransferText: the text format keeps its own line, with the
// logger's attributes.
func TestTransferText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l, _, err := New(Options{Writer: &buf, Format: FormatText})
	if err != nil {
		t.Fatal(err)
	}
	Transfer(l.With("conn_id", "c1"), TransferRecord{VirtualPath: "/a b", Size: 42, Elapsed: 1500 * time.Millisecond, FilePath: "/srv/a b"})
	got := timePrefix.ReplaceAllString(strings.TrimSpace(buf.String()), "")
	want := `level=INFO msg="download finished" conn_id=c1 path="/a b" bytes=42 elapsed_ms=1500 file_path="/srv/a b"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestFormatSelection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		format string
		file   bool
		json   bool
	}{
		{"", true, true}, {"auto", true, true}, {"", false, false},
		{"json", false, true}, {"text", true, false}, {"JSON", true, true},
	} {
		var buf bytes.Buffer
		opts := Options{Format: c.format, Level: "info"}
		path := filepath.Join(dir, c.format+"-"+map[bool]string{true: "f", false: "w"}[c.file]+".log")
		if c.file {
			opts.FilePath = path
		} else {
			opts.Writer = &buf
		}
		l, closer, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		l.Info("hello")
		closer.Close()
		out := buf.String()
		if c.file {
			b, _ := os.ReadFile(path)
			out = string(b)
		}
		if isJSON := strings.HasPrefix(out, `{"level":"info",`); isJSON != c.json {
			t.Errorf("format %q file %v: %q, want JSON %v", c.format, c.file, out, c.json)
		}
	}
	if _, _, err := New(Options{Format: "xml"}); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// FuzzJSONLine: whatever a client sends as a value, the record stays one
// valid JSON line whose field decodes back to the value.
func FuzzJSONLine(f *testing.F) {
	for _, s := range []string{"", "alice", `x","client_ip":"1.2.3.4`, "a\nb", "\xff\xfe", "\u2028", "\x00\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		l := slog.New(NewHandler(&buf, slog.LevelDebug, true, true))
		LoginFailed(l, "192.0.2.1", s, "password", "SSH", errors.New(s))
		out := buf.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") {
			t.Fatalf("not one line: %q", out)
		}
		var rec map[string]string
		if err := json.Unmarshal([]byte(out), &rec); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		// each invalid byte becomes one U+FFFD, as encoding/json does
		if want := string([]rune(s)); rec["username"] != want || rec["error"] != want || rec["client_ip"] != "192.0.2.1" {
			t.Fatalf("fields %q, want username and error %q", rec, want)
		}
	})
}
