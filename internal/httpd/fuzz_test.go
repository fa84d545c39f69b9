package httpd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// FuzzDecodeJSON feeds untrusted bodies to the strict object decoder and
// the lenient backup decoder: they must never panic and must either
// succeed or return an error a client can read.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"username":"a","permissions":{"/":["*"]}}`,
		`{"username":"a","filesystem":{"provider":1,"s3config":{"access_secret":{"status":"Plain","payload":"x"}}}}`,
		`{"users":[{"username":"u"}],"version":16,"configs":{"x":1}}`,
		`{"a":`, `[]`, `null`, `{"quota_size":"1"}`, `{} {}`, "\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, strict := range []bool{true, false} {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			rec := httptest.NewRecorder()
			var u dataprovider.User
			if err := decodeJSON(rec, req, &u, maxObjectBodySize, strict); err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
			req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			var b dataprovider.BackupData
			if err := decodeJSON(rec, req, &b, maxRestoreSize, strict); err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
	})
}
