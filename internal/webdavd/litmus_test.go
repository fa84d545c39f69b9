package webdavd

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var litmusSummary = regexp.MustCompile("summary for `([a-z]+)': of ([0-9]+) tests run: ([0-9]+) passed, ([0-9]+) failed")

// TestLitmus runs the litmus WebDAV compliance suites against the server,
// one suite at a time (litmus stops at the first failing suite), each in
// a collection of its own.
func TestLitmus(t *testing.T) {
	runLitmus(t, envOpts{})
}

// TestLitmusStreamingStorage runs litmus over storage that only streams
// (no random access, no server-side copy), like object stores.
func TestLitmusStreamingStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runLitmus(t, envOpts{newFs: streamingFs})
}

func runLitmus(t *testing.T, o envOpts) {
	bin := requireTool(t, "litmus")
	e := newEnv(t, o)
	e.addUser(t, "litmus", nil)
	suites := []struct {
		name  string
		tests int
	}{
		{"basic", 16},
		{"copymove", 13},
		{"props", 30},
		{"locks", 41},
		{"http", 4},
	}
	total := 0
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			if code, body := e.status(t, "MKCOL", s.name+"/", "litmus", nil, nil); code != http.StatusCreated {
				t.Fatalf("MKCOL: %d %s", code, body)
			}
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, e.url+s.name+"/", "litmus", testPassword)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "TESTS="+s.name)
			out, err := cmd.CombinedOutput()
			m := litmusSummary.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no litmus summary (err %v):\n%s", err, out)
			}
			run, _ := strconv.Atoi(string(m[2]))
			passed, _ := strconv.Atoi(string(m[3]))
			if err != nil || passed != run || run != s.tests {
				debug, _ := os.ReadFile(filepath.Join(dir, "debug.log"))
				if len(debug) > 20000 {
					debug = debug[len(debug)-20000:]
				}
				t.Fatalf("litmus %s: %d of %d passed, want %d (err %v):\n%s\ndebug.log tail:\n%s", s.name, passed, run, s.tests, err, out, debug)
			}
			if strings.Contains(string(out), "WARNING") {
				t.Errorf("litmus %s issued warnings:\n%s", s.name, out)
			}
			t.Logf("litmus %s: %d/%d passed", s.name, passed, run)
			if testing.Verbose() {
				t.Logf("%s", out)
				if os.Getenv("LITMUS_DEBUG") != "" {
					debug, _ := os.ReadFile(filepath.Join(dir, "debug.log"))
					t.Logf("debug.log:\n%s", debug)
				}
			}
			total += passed
		})
	}
	t.Logf("litmus total: %d passed", total)
}
