package webdavd

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run executes an external client and fails the test with its output on
// error.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = t.TempDir()
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestCurlClient(t *testing.T) {
	curl := requireTool(t, "curl")
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	dir := t.TempDir()
	data := randomBytes(t, 7<<20+17)
	src := filepath.Join(dir, "src.bin")
	os.WriteFile(src, data, 0o644)
	auth := "alice:" + testPassword
	base := e.url
	// -f makes HTTP errors fail the command; -w prints the status
	code := func(args ...string) string {
		return strings.TrimSpace(run(t, nil, curl, append([]string{"-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u", auth}, args...)...))
	}
	if c := code("-X", "MKCOL", base+"docs/"); c != "201" {
		t.Fatalf("MKCOL: %s", c)
	}
	if c := code("-T", src, base+"docs/file.bin"); c != "201" {
		t.Fatalf("PUT: %s", c)
	}
	out := filepath.Join(dir, "out.bin")
	run(t, nil, curl, "-sSf", "-u", auth, "-o", out, base+"docs/file.bin")
	got, _ := os.ReadFile(out)
	if sha(got) != sha(data) {
		t.Fatalf("downloaded %d bytes, hash mismatch", len(got))
	}
	// resume a partial download with a range
	part := filepath.Join(dir, "part.bin")
	os.WriteFile(part, data[:1<<20], 0o644)
	run(t, nil, curl, "-sSf", "-u", auth, "-C", "-", "-o", part, base+"docs/file.bin")
	got, _ = os.ReadFile(part)
	if sha(got) != sha(data) {
		t.Fatal("resumed download mismatch")
	}
	if c := code("-X", "COPY", "-H", "Destination: "+base+"docs/copy.bin", base+"docs/file.bin"); c != "201" {
		t.Fatalf("COPY: %s", c)
	}
	if c := code("-X", "MOVE", "-H", "Destination: "+base+"moved.bin", base+"docs/copy.bin"); c != "201" {
		t.Fatalf("MOVE: %s", c)
	}
	props := run(t, nil, curl, "-sSf", "-u", auth, "-X", "PROPFIND", "-H", "Depth: 1", base)
	if !strings.Contains(props, "/moved.bin</D:href>") || !strings.Contains(props, "/docs/</D:href>") {
		t.Fatalf("PROPFIND depth 1:\n%s", props)
	}
	if c := code("-X", "DELETE", base+"docs/"); c != "204" {
		t.Fatalf("DELETE: %s", c)
	}
	if c := code(base + "docs/file.bin"); c != "404" {
		t.Fatalf("GET deleted: %s", c)
	}
	if c := strings.TrimSpace(run(t, nil, curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:wrong", base)); c != "401" {
		t.Fatalf("wrong password: %s", c)
	}
}

// rcloneEnv is the environment for rclone: AWS_CA_BUNDLE breaks it.
func rcloneEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestRcloneClient(t *testing.T) {
	rclone := requireTool(t, "rclone")
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	env := rcloneEnv()
	obscured := strings.TrimSpace(run(t, env, rclone, "obscure", testPassword))
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	os.WriteFile(conf, []byte("[dav]\ntype = webdav\nurl = "+e.url+"\nvendor = other\nuser = alice\npass = "+obscured+"\n"), 0o600)
	rc := func(args ...string) string {
		return run(t, env, rclone, append([]string{"--config", conf, "--retries", "1", "--low-level-retries", "1"}, args...)...)
	}
	local := filepath.Join(dir, "local")
	os.MkdirAll(filepath.Join(local, "sub"), 0o755)
	files := map[string][]byte{
		"big.bin":     randomBytes(t, 12<<20+5),
		"sub/a.txt":   []byte("hello from rclone"),
		"sub/é ü.txt": randomBytes(t, 3000),
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(local, name), data, 0o644)
	}
	rc("copy", local, "dav:backup")
	var entries []struct {
		Path  string
		Size  int64
		IsDir bool
	}
	if err := json.Unmarshal([]byte(rc("lsjson", "-R", "dav:backup")), &entries); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, en := range entries {
		if !en.IsDir {
			sizes[en.Path] = en.Size
		}
	}
	for name, data := range files {
		if sizes[name] != int64(len(data)) {
			t.Fatalf("lsjson %s: %d, want %d (%v)", name, sizes[name], len(data), sizes)
		}
	}
	back := filepath.Join(dir, "back")
	rc("copy", "dav:backup", back)
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(back, name))
		if err != nil || sha(got) != sha(data) {
			t.Fatalf("%s: round trip mismatch (%v)", name, err)
		}
	}
	rc("check", local, "dav:backup")
	rc("moveto", "dav:backup/sub/a.txt", "dav:moved/a.txt")
	rc("deletefile", "dav:backup/big.bin")
	if out := rc("lsf", "-R", "dav:"); strings.Contains(out, "big.bin") || !strings.Contains(out, "moved/a.txt") {
		t.Fatalf("after moveto/deletefile:\n%s", out)
	}
	rc("purge", "dav:backup")
	if _, err := os.Stat(filepath.Join(e.base, "homes", "alice", "backup")); !os.IsNotExist(err) {
		t.Fatalf("purge left the directory: %v", err)
	}
}
