package common_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/httpd"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
)

// These tests drive the cloud backends the way users do: an admin
// creates the user through the REST API with secrets in clear, the store
// keeps them encrypted by the KMS, the API shows them redacted, and the
// user moves files over SFTP into the emulator, where the objects are
// checked directly.

const (
	cloudAdmin    = "admin"
	cloudPassword = "Cl0ud-Passw0rd!"
)

type cloudEnv struct {
	store    *dataprovider.Store
	km       *kms.Manager
	api      *httptest.Server
	sftpAddr string
	token    string
}

func newCloudEnv(t *testing.T) *cloudEnv {
	t.Helper()
	// rename_mode 1: the test renames a non-empty directory on each store.
	return newCloudEnvCommon(t, config.CommonConfig{RenameMode: 1})
}

// newCloudEnvCommon is newCloudEnv with the given common configuration.
func newCloudEnvCommon(t *testing.T, ccfg config.CommonConfig) *cloudEnv {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	km, err := kms.NewManager(config.KMSConfig{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	pcfg := config.Default().DataProvider
	pcfg.Driver, pcfg.Name = "memory", ""
	pcfg.PasswordHashing.BcryptOptions.Cost = 4
	pcfg.PasswordCaching = false
	store, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: pcfg, ConfigDir: dir, KMS: km, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin := dataprovider.Admin{Username: cloudAdmin, Password: cloudPassword, Status: dataprovider.StatusEnabled, Permissions: []string{dataprovider.AdminPermAny}}
	if err := store.AddAdmin(context.Background(), &admin); err != nil {
		t.Fatal(err)
	}
	api, err := httpd.New(httpd.Options{Store: store, Logger: logger, ConfigDir: dir, BackupsPath: t.TempDir(), DataProviderDriver: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(api.Handler())
	t.Cleanup(ts.Close)

	cs, err := common.New(ccfg, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(dir, "users")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	srv, err := sftpd.New(config.SFTPDConfig{MaxAuthTries: 5, PasswordAuthentication: true, HostKeys: []string{"id_ed25519"}}, cs, store, dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	e := &cloudEnv{store: store, km: km, api: ts, sftpAddr: l.Addr().String()}
	e.token = e.getToken(t)
	return e
}

func (e *cloudEnv) getToken(t *testing.T) string {
	req, _ := http.NewRequest(http.MethodGet, e.api.URL+"/api/v2/token", nil)
	req.SetBasicAuth(cloudAdmin, cloudPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// apiJSON sends body to the REST API and decodes the answer into out.
func (e *cloudEnv) apiJSON(t *testing.T, method, path string, body, out any, want int) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.api.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

func (e *cloudEnv) sftpClient(t *testing.T, user string) *sftp.Client {
	t.Helper()
	conn, err := ssh.Dial("tcp", e.sftpAddr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(cloudPassword)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClient(conn, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// secretField digs a secret out of a decoded user.
func secretField(user map[string]any, section, field string) map[string]any {
	fsys, _ := user["filesystem"].(map[string]any)
	sec, _ := fsys[section].(map[string]any)
	s, _ := sec[field].(map[string]any)
	return s
}

type cloudCase struct {
	name    string
	section string // filesystem section in the JSON
	secret  string // the secret field checked for redaction
	plain   string // its clear value
	fsJSON  func(prefix string) map[string]any
	keys    func(t testing.TB) []string
}

func TestCloudStorageOverSFTP(t *testing.T) {
	cloudtest.ClearAWSEnv()
	s3srv := cloudtest.StartS3(t)
	gcs := cloudtest.StartGCS(t)
	// The GCS config has no endpoint field: the SDK finds the emulator
	// through the environment, as it would in a user's deployment.
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(gcs.Endpoint(), "http://"))
	az := cloudtest.StartAzurite(t, cloudtest.AzuriteOptions{})
	gcsCreds := `{"type":"service_account","project_id":"p","private_key_id":"k","client_email":"x@p.iam.gserviceaccount.com"}`

	cases := []cloudCase{
		{
			name: "s3", section: "s3config", secret: "access_secret", plain: cloudtest.S3Secret,
			fsJSON: func(prefix string) map[string]any {
				return map[string]any{"provider": 1, "s3config": map[string]any{
					"bucket": s3srv.Bucket, "region": cloudtest.S3Region, "endpoint": s3srv.Endpoint(), "force_path_style": true,
					"access_key": cloudtest.S3AccessKey, "access_secret": map[string]any{"status": "Plain", "payload": cloudtest.S3Secret},
					"key_prefix": prefix, "upload_part_size": 5, "upload_concurrency": 2, "download_part_size": 1, "download_concurrency": 3,
				}}
			},
			keys: s3srv.Keys,
		},
		{
			name: "gcs", section: "gcsconfig", secret: "credentials", plain: gcsCreds,
			fsJSON: func(prefix string) map[string]any {
				return map[string]any{"provider": 2, "gcsconfig": map[string]any{
					"bucket": gcs.Bucket, "key_prefix": prefix, "upload_part_size": 1,
					// Stored and redacted like real credentials; the
					// emulator ignores them.
					"credentials": map[string]any{"status": "Plain", "payload": gcsCreds},
				}}
			},
			keys: func(t testing.TB) []string { k := gcs.Objects(t); slices.Sort(k); return k },
		},
		{
			name: "azblob", section: "azblobconfig", secret: "account_key", plain: cloudtest.AzureKey,
			fsJSON: func(prefix string) map[string]any {
				return map[string]any{"provider": 3, "azblobconfig": map[string]any{
					"container": az.Container, "account_name": cloudtest.AzureAccount,
					"account_key": map[string]any{"status": "Plain", "payload": cloudtest.AzureKey},
					"endpoint":    az.Endpoint, "use_emulator": true, "key_prefix": prefix,
					"upload_part_size": 1, "upload_concurrency": 3, "download_part_size": 1, "download_concurrency": 3,
				}}
			},
			keys: func(t testing.TB) []string { k := az.Blobs(t); slices.Sort(k); return k },
		},
	}
	e := newCloudEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testCloudUser(t, e, c)
		})
	}
}

func testCloudUser(t *testing.T, e *cloudEnv, c cloudCase) {
	name := "user-" + c.name
	// GCS credentials only count without automatic credentials; the
	// emulator needs none, so the builder must ignore them there.
	fsys := c.fsJSON("tenants/" + name)
	if c.name == "gcs" {
		fsys["gcsconfig"].(map[string]any)["automatic_credentials"] = 1
	}
	user := map[string]any{
		"username": name, "password": cloudPassword, "status": 1, "home_dir": t.TempDir(),
		"permissions": map[string]any{"/": []string{"*"}},
		"filesystem":  fsys,
	}
	var created map[string]any
	e.apiJSON(t, http.MethodPost, "/api/v2/users", user, &created, http.StatusCreated)

	// The API shows the secret's status only; the store holds it
	// encrypted, and the KMS gives back the clear value.
	var got map[string]any
	e.apiJSON(t, http.MethodGet, "/api/v2/users/"+name, nil, &got, http.StatusOK)
	for _, u := range []map[string]any{created, got} {
		s := secretField(u, c.section, c.secret)
		if s == nil || s["status"] == "" || s["status"] == "Plain" || s["payload"] != nil || s["key"] != nil {
			t.Fatalf("API shows %s.%s as %v, want a redacted secret", c.section, c.secret, s)
		}
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), c.plain) {
		t.Fatalf("API answer contains the clear %s", c.secret)
	}
	stored, err := e.store.GetUser(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var sec *kms.Secret
	switch c.section {
	case "s3config":
		sec = stored.FsConfig.S3Config.AccessSecret
	case "gcsconfig":
		sec = stored.FsConfig.GCSConfig.Credentials
	default:
		sec = stored.FsConfig.AzBlobConfig.AccountKey
	}
	if !sec.IsEncrypted() || strings.Contains(sec.Payload, c.plain) {
		t.Fatalf("stored secret %+v is not encrypted", sec)
	}
	if clear, err := e.km.Decrypt(sec); err != nil || clear != c.plain {
		t.Fatalf("KMS decrypts the stored secret to %q, %v", clear, err)
	}

	// A multi-megabyte file round-trips over SFTP.
	cl := e.sftpClient(t, name)
	data := make([]byte, 7<<20+12345)
	rand.Read(data)
	if err := cl.Mkdir("/dir"); err != nil {
		t.Fatal(err)
	}
	if err := sftpPut(cl, "/dir/big.bin", data); err != nil {
		t.Fatalf("upload: %v", err)
	}
	back, err := sftpGet(cl, "/dir/big.bin")
	if err != nil || sha256.Sum256(back) != sha256.Sum256(data) {
		t.Fatalf("download: %d bytes, %v; want %d identical bytes", len(back), err, len(data))
	}
	if fi, err := cl.Stat("/dir/big.bin"); err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("stat: %v, %v", fi, err)
	}
	prefix := "tenants/" + name + "/"
	if keys := c.keys(t); !slices.Equal(keys, []string{prefix + "dir/", prefix + "dir/big.bin"}) {
		t.Fatalf("store holds %q", keys)
	}

	// Renames and deletes show in the store.
	if err := cl.Rename("/dir/big.bin", "/dir/moved.bin"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Rename("/dir", "/renamed"); err != nil {
		t.Fatal(err)
	}
	if keys := c.keys(t); !slices.Equal(keys, []string{prefix + "renamed/", prefix + "renamed/moved.bin"}) {
		t.Fatalf("after renames the store holds %q", keys)
	}
	back, err = sftpGet(cl, "/renamed/moved.bin")
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("download after rename: %v", err)
	}
	if err := cl.Remove("/renamed/moved.bin"); err != nil {
		t.Fatal(err)
	}
	if err := cl.RemoveDirectory("/renamed"); err != nil {
		t.Fatal(err)
	}
	if keys := c.keys(t); len(keys) != 0 {
		t.Fatalf("after deletes the store holds %q", keys)
	}
	entries, err := cl.ReadDir("/")
	if err != nil || len(entries) != 0 {
		t.Fatalf("root lists %v, %v", entries, err)
	}
}

// TestCloudVirtualFolder mounts an S3 folder into a local user's tree.
func TestCloudVirtualFolder(t *testing.T) {
	cloudtest.ClearAWSEnv()
	s3srv := cloudtest.StartS3(t)
	e := newCloudEnv(t)
	folder := map[string]any{
		"name": "shared-s3", "filesystem": map[string]any{"provider": 1, "s3config": map[string]any{
			"bucket": s3srv.Bucket, "region": cloudtest.S3Region, "endpoint": s3srv.Endpoint(), "force_path_style": true,
			"access_key": cloudtest.S3AccessKey, "access_secret": map[string]any{"status": "Plain", "payload": cloudtest.S3Secret},
			"key_prefix": "shared",
		}},
	}
	var created map[string]any
	e.apiJSON(t, http.MethodPost, "/api/v2/folders", folder, &created, http.StatusCreated)
	if s := secretField(created, "s3config", "access_secret"); s == nil || s["payload"] != nil || s["status"] == "Plain" {
		t.Fatalf("folder secret shown as %v", s)
	}
	home := t.TempDir()
	user := map[string]any{
		"username": "local-user", "password": cloudPassword, "status": 1, "home_dir": home,
		"permissions":     map[string]any{"/": []string{"*"}},
		"virtual_folders": []any{map[string]any{"name": "shared-s3", "virtual_path": "/s3", "quota_size": -1, "quota_files": -1}},
	}
	e.apiJSON(t, http.MethodPost, "/api/v2/users", user, nil, http.StatusCreated)
	cl := e.sftpClient(t, "local-user")
	data := make([]byte, 3<<20)
	rand.Read(data)
	if err := sftpPut(cl, "/s3/in-bucket.bin", data); err != nil {
		t.Fatal(err)
	}
	if err := sftpPut(cl, "/on-disk.bin", data[:100]); err != nil {
		t.Fatal(err)
	}
	if keys := s3srv.Keys(t); !slices.Equal(keys, []string{"shared/in-bucket.bin"}) {
		t.Fatalf("bucket holds %q", keys)
	}
	if _, err := os.Stat(filepath.Join(home, "on-disk.bin")); err != nil {
		t.Fatalf("local file: %v", err)
	}
	back, err := sftpGet(cl, "/s3/in-bucket.bin")
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("download from the folder: %v", err)
	}
}

func sftpPut(c *sftp.Client, p string, data []byte) error {
	f, err := c.Create(p)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func sftpGet(c *sftp.Client, p string) ([]byte, error) {
	f, err := c.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	return buf.Bytes(), err
}
