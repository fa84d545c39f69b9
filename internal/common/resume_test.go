package common_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
)

// TestResumeMaxSize: an SFTP client resumes an upload on S3, whose
// objects cannot be appended to. common.resume_max_size decides: 0
// refuses, a limit below the stored size refuses, a larger one rewrites
// the object with the old content followed by the new. A refusal leaves
// the stored object intact.
func TestResumeMaxSize(t *testing.T) {
	cloudtest.ClearAWSEnv()
	s3srv := cloudtest.StartS3(t)
	first := make([]byte, 2<<20)
	second := make([]byte, 700<<10)
	rand.Read(first)
	rand.Read(second)
	cases := []struct {
		name    string
		limit   int64
		resumed bool
		msg     string
	}{
		{"disabled", 0, false, "not enabled"},
		{"too large", 1 << 20, false, "too large"},
		{"allowed", 8 << 20, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newCloudEnvCommon(t, config.CommonConfig{ResumeMaxSize: c.limit})
			user := map[string]any{
				"username": "resumer", "password": cloudPassword, "status": 1,
				"permissions": map[string]any{"/": []string{"*"}},
				"filesystem": map[string]any{"provider": 1, "s3config": map[string]any{
					"bucket": s3srv.Bucket, "region": cloudtest.S3Region, "endpoint": s3srv.Endpoint(), "force_path_style": true,
					"access_key": cloudtest.S3AccessKey, "access_secret": map[string]any{"status": "Plain", "payload": cloudtest.S3Secret},
					"key_prefix": "resume-" + strings.ReplaceAll(c.name, " ", "-") + "/",
				}},
			}
			e.apiJSON(t, http.MethodPost, "/api/v2/users", user, nil, http.StatusCreated)
			cl := e.sftpClient(t, "resumer")
			if err := sftpPut(cl, "/big.bin", first); err != nil {
				t.Fatal(err)
			}
			// resume: open the existing file without truncating it and go
			// on from its end, as "reput" does
			var werr error
			f, err := cl.OpenFile("/big.bin", os.O_WRONLY)
			if err == nil {
				_, werr = f.WriteAt(second, int64(len(first)))
				if cerr := f.Close(); werr == nil {
					werr = cerr
				}
			} else {
				werr = err
			}
			got, err := sftpGet(cl, "/big.bin")
			if err != nil {
				t.Fatal(err)
			}
			if c.resumed {
				if werr != nil {
					t.Fatalf("resume refused: %v", werr)
				}
				if want := append(append([]byte(nil), first...), second...); !bytes.Equal(got, want) {
					t.Fatalf("resumed file: %d bytes, want %d (old then new content)", len(got), len(want))
				}
				return
			}
			if werr == nil {
				t.Fatal("resume accepted")
			}
			if !strings.Contains(werr.Error(), c.msg) {
				t.Errorf("refusal %q lacks %q", werr, c.msg)
			}
			if !bytes.Equal(got, first) {
				t.Fatalf("a refused resume changed the object: %d bytes", len(got))
			}
		})
	}
}
