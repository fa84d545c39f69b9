package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs/httpfstest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// TestHTTPStorageThroughBinary: users on HTTP storage (provider 6),
// created through the REST API, point at the reference HTTPFs service
// over TCP (Basic auth and an API key) and over a unix socket. They log
// in over SFTP, upload and download multi-megabyte files that arrive
// intact (sha256) on the service's disk; OpenSSH sftp does the same. A
// user whose API key is wrong cannot use the storage, and no secret
// reaches the API or the log.
func TestHTTPStorageThroughBinary(t *testing.T) {
	opts := httpfstest.Options{Prefix: "/api/v1", Username: "svc", Password: "svc-pass-9", APIKey: "svc-api-key-9"}
	tcpRoot := t.TempDir()
	tcpSrv, err := httpfstest.Start(tcpRoot, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tcpSrv.Close)
	sockDir, err := os.MkdirTemp("", "hfs-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	unixRoot := filepath.Join(sockDir, "root")
	if err := os.Mkdir(unixRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	unixSrv, err := httpfstest.StartUnix(unixRoot, filepath.Join(sockDir, "fs.sock"), httpfstest.Options{APIKey: "unix-key-9"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unixSrv.Close)

	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	token := in.token("admin", "admin-pass")
	plain := func(v string) map[string]any { return map[string]any{"status": "Plain", "payload": v} }
	httpFs := func(cfg map[string]any) map[string]any {
		return map[string]any{"filesystem": map[string]any{"provider": 6, "httpconfig": cfg}}
	}
	in.addUser(token, "on-http", "user-pass-1", httpFs(map[string]any{
		"endpoint": tcpSrv.URL, "username": opts.Username, "password": plain(opts.Password), "api_key": plain(opts.APIKey),
	}))
	in.addUser(token, "on-unix", "user-pass-1", httpFs(map[string]any{
		"endpoint": unixSrv.URL, "api_key": plain("unix-key-9"),
	}))
	in.addUser(token, "wrong-key", "user-pass-1", httpFs(map[string]any{
		"endpoint": tcpSrv.URL, "username": opts.Username, "password": plain(opts.Password), "api_key": plain("not-the-key-9"),
	}))

	status, body := in.api(token, http.MethodGet, "/api/v2/users/on-http", nil)
	if status != http.StatusOK {
		t.Fatalf("get user: %d %s", status, body)
	}
	for _, secret := range []string{opts.Password, opts.APIKey, `"payload"`} {
		if bytes.Contains(body, []byte(secret)) {
			t.Fatalf("the API shows a secret (%q): %s", secret, body)
		}
	}
	if !bytes.Contains(body, []byte(`"api_key":{"status":"`)) {
		t.Fatalf("the stored API key's status is not shown: %s", body)
	}

	calls := func(srv *httpfstest.Running) string {
		var b strings.Builder
		for _, op := range []string{"stat", "readdir", "create", "open", "mkdir", "rename"} {
			fmt.Fprintf(&b, " %s=%d", op, srv.Requests(op))
		}
		return b.String()
	}
	defer func() { t.Logf("calls to the TCP service:%s; to the unix one:%s", calls(tcpSrv), calls(unixSrv)) }()
	roundTrip := func(t *testing.T, user, root string) {
		conn, c := dialSFTP(t, in.sftpPort, user, "user-pass-1")
		defer conn.Close()
		defer c.Close()
		if err := c.Mkdir("/in dir"); err != nil {
			t.Fatal(err)
		}
		data := vfstest.RandomData(t, 8<<20+5)
		f, err := c.Create("/in dir/upload.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := c.Open("/in dir/upload.bin")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if _, err := r.WriteTo(&got); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
			t.Fatalf("downloaded %d bytes that differ from the %d uploaded", got.Len(), len(data))
		}
		disk, err := os.ReadFile(filepath.Join(root, "in dir", "upload.bin"))
		if err != nil || sha256.Sum256(disk) != sha256.Sum256(data) {
			t.Fatalf("not on the service's disk: %v", err)
		}
		if err := c.Rename("/in dir/upload.bin", "/moved.bin"); err != nil {
			t.Fatal(err)
		}
		if fi, err := c.Stat("/moved.bin"); err != nil || fi.Size() != int64(len(data)) {
			t.Fatalf("after rename: %v, %v", fi, err)
		}
		entries, err := c.ReadDir("/in dir")
		if err != nil || len(entries) != 0 {
			t.Fatalf("listing /in dir after the move: %d entries, %v", len(entries), err)
		}
	}
	t.Run("tcp", func(t *testing.T) { roundTrip(t, "on-http", tcpRoot) })
	t.Run("webdav", func(t *testing.T) {
		data := vfstest.RandomData(t, 5<<20+3)
		davURL := fmt.Sprintf("http://127.0.0.1:%d/dav%%20upload.bin", in.davPort)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, davURL, bytes.NewReader(data))
		req.SetBasicAuth("on-http", "user-pass-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("WebDAV PUT: %s", resp.Status)
		}
		req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, davURL, nil)
		req.SetBasicAuth("on-http", "user-pass-1")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("WebDAV GET: %s, %d bytes, %v", resp.Status, len(got), err)
		}
		disk, err := os.ReadFile(filepath.Join(tcpRoot, "dav upload.bin"))
		if err != nil || sha256.Sum256(disk) != sha256.Sum256(data) {
			t.Fatalf("WebDAV upload not on the service's disk: %v", err)
		}
	})
	t.Run("unix socket", func(t *testing.T) { roundTrip(t, "on-unix", unixRoot) })

	t.Run("openssh", func(t *testing.T) {
		sftpBin := requireTool(t, "sftp")
		keyPath, pubKey := sshKey(t)
		in.addUser(token, "on-http-key", "user-pass-1", map[string]any{
			"public_keys": []string{pubKey},
			"filesystem": map[string]any{"provider": 6, "httpconfig": map[string]any{
				"endpoint": tcpSrv.URL, "username": opts.Username, "password": plain(opts.Password), "api_key": plain(opts.APIKey),
			}},
		})
		local, payload := randomFile(t, 6<<20+123)
		back := filepath.Join(t.TempDir(), "back.bin")
		cmd := exec.Command(sftpBin, "-q", "-i", keyPath, "-P", fmt.Sprint(in.sftpPort),
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
			"-b", "-", "on-http-key@127.0.0.1")
		cmd.Stdin = strings.NewReader(fmt.Sprintf("mkdir ssh\nput %s ssh/p.bin\nget ssh/p.bin %s\n", local, back))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sftp: %v\n%s", err, out)
		}
		got, err := os.ReadFile(back)
		if err != nil || sha256.Sum256(got) != sha256.Sum256(payload) {
			t.Fatalf("OpenSSH download differs from the upload: %v", err)
		}
		disk, err := os.ReadFile(filepath.Join(tcpRoot, "ssh", "p.bin"))
		if err != nil || sha256.Sum256(disk) != sha256.Sum256(payload) {
			t.Fatalf("OpenSSH upload not on the service's disk: %v", err)
		}
	})

	t.Run("wrong API key", func(t *testing.T) {
		conn, err := sshDialPassword(in.sftpPort, "wrong-key", "user-pass-1")
		if err == nil {
			c, cerr := sftp.NewClient(conn)
			if cerr == nil {
				_, err = c.ReadDir("/")
				c.Close()
			} else {
				err = cerr
			}
			conn.Close()
		}
		if err == nil {
			t.Fatal("a user whose storage refuses the API key could list files")
		}
		t.Logf("wrong API key: %v", err)
		if !strings.Contains(in.log.String(), "refused the credentials") {
			t.Fatalf("the log does not say why the storage failed:\n%s", in.log.String())
		}
	})

	log := in.log.String()
	for _, secret := range []string{opts.Password, opts.APIKey, "unix-key-9", "not-the-key-9"} {
		if strings.Contains(log, secret) {
			t.Fatalf("the log shows a secret (%q)", secret)
		}
	}
}
