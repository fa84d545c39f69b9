package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestUploadMemoryIsFlat uploads a large file through the web client
// (multipart, as the browser sends it) and through the user REST API
// while sampling the server process's resident memory, and fails when the
// peak grows with the file: uploads must stream to the storage, not sit
// in memory. SFTPGO_MEMTEST_MB sets the size (default 256; the numbers in
// docs/performance.md use 1024).
func TestUploadMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("large upload")
	}
	sizeMB := 256
	if v := os.Getenv("SFTPGO_MEMTEST_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SFTPGO_MEMTEST_MB=%q", v)
		}
		sizeMB = n
	}
	size := int64(sizeMB) << 20

	in := newInstance(t, t.TempDir(),
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
		"SFTPGO_COMMON__UPLOAD_MODE=1",
	)
	in.start()
	home := t.TempDir()
	tok := in.token("admin", "admin-pass")
	if code, body := in.api(tok, http.MethodPost, "/api/v2/users", map[string]any{
		"username": "big", "password": "B1g-upload!", "status": 1, "home_dir": home,
		"permissions": map[string][]string{"/": {"*"}},
	}); code != http.StatusCreated {
		t.Fatalf("add user: %d %s", code, body)
	}

	pid := in.cmd.Process.Pid
	for _, via := range []string{"web client", "user API"} {
		t.Run(via, func(t *testing.T) {
			name := strings.ReplaceAll(via, " ", "-") + ".bin"
			var (
				url   string
				setup func(*http.Request)
				c     *http.Client
			)
			if via == "web client" {
				c, url, setup = webClientUploader(t, in)
			} else {
				c, url, setup = apiUploader(t, in)
			}
			base := rssKB(t, pid, "VmRSS")
			sampler := startSampler(pid)
			start := time.Now()
			sum := uploadStream(t, c, url, setup, name, size)
			elapsed := time.Since(start)
			samples := sampler.stop()
			peak := maxOf(samples)
			onDisk := fileSHA256(t, filepath.Join(home, name))
			if onDisk != sum {
				t.Fatalf("stored file differs: %s vs %s", onDisk, sum)
			}
			growthMB := float64(peak-base) / 1024
			t.Logf("%s: %d MiB in %s (%.0f MiB/s); RSS before %.1f MiB, peak during %.1f MiB (+%.1f MiB), %d samples",
				via, sizeMB, elapsed.Round(time.Millisecond), float64(sizeMB)/elapsed.Seconds(),
				float64(base)/1024, float64(peak)/1024, growthMB, len(samples))
			// GC slack and copy buffers only: a fraction of even the
			// smallest test size, independent of the file.
			if growthMB > 64 {
				t.Fatalf("resident memory grew by %.1f MiB during a %d MiB upload", growthMB, sizeMB)
			}
			_ = os.Remove(filepath.Join(home, name))
		})
	}
}

// rssKB reads a field (VmRSS, VmHWM) of /proc/PID/status in KiB.
func rssKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	v, err := readStatus(pid, field)
	if err != nil {
		t.Skipf("cannot read /proc/%d/status: %v", pid, err)
	}
	return v
}

func readStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not found", field)
}

type sampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	vals  []int64
}

// startSampler reads VmRSS every 20 ms until stop.
func startSampler(pid int) *sampler {
	s := &sampler{stopc: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if v, err := readStatus(pid, "VmRSS"); err == nil {
				s.mu.Lock()
				s.vals = append(s.vals, v)
				s.mu.Unlock()
			}
			select {
			case <-s.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() []int64 {
	close(s.stopc)
	s.wg.Wait()
	return s.vals
}

func maxOf(v []int64) int64 {
	var m int64
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// uploadStream sends size pseudo-random bytes as a one-file multipart
// body, generated on the fly, and returns their SHA-256.
func uploadStream(t *testing.T, c *http.Client, url string, setup func(*http.Request), name string, size int64) string {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	h := sha256.New()
	go func() {
		fw, err := mw.CreateFormFile("filenames", name)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		src := io.LimitReader(rand.NewChaCha8([32]byte{1, 2, 3}), size)
		if _, err := io.Copy(io.MultiWriter(fw, h), src); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, url, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	setup(req)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

var csrfMeta = regexp.MustCompile(`name="(?:_form_token" value|csrf-token" content)="([^"]+)"`)

// webClientUploader signs in to the web client like a browser and returns
// the upload endpoint of the file browser.
func webClientUploader(t *testing.T, in *instance) (*http.Client, string, func(*http.Request)) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	token := func(path string, resp *http.Response, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := csrfMeta.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no CSRF token (status %d)", path, resp.StatusCode)
		}
		return string(m[1])
	}
	resp, err := c.Get(in.baseURL() + "/web/client/login")
	login := token("login page", resp, err)
	resp, err = c.PostForm(in.baseURL()+"/web/client/login", url.Values{
		"username": {"big"}, "password": {"B1g-upload!"}, "_form_token": {login}})
	session := token("files page", resp, err)
	return c, in.baseURL() + "/web/client/upload?path=%2F", func(r *http.Request) { r.Header.Set("X-CSRF-TOKEN", session) }
}

// apiUploader gets a user token and returns the REST upload endpoint.
func apiUploader(t *testing.T, in *instance) (*http.Client, string, func(*http.Request)) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/user/token", nil)
	req.SetBasicAuth("big", "B1g-upload!")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"access_token":"([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("user token: %d %s", resp.StatusCode, b)
	}
	tok := string(m[1])
	return http.DefaultClient, in.baseURL() + "/api/v2/user/files?path=%2F", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}
