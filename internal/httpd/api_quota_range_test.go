package httpd

import (
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TestQuotaUsageNearInt64Refused: a used quota near 2^63 is refused, so
// it can never overflow into a REAL in SQLite; before the fix the PUT was
// accepted and every later GET /users answered 500.
func TestQuotaUsageNearInt64Refused(t *testing.T) {
	e, _, _ := newEnvOnStore(t, "sqlite", 0)
	adm := e.adminAuth()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("u1"))
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("u2"))
	const p = "/api/v2/quotas/users/u1/usage"
	for _, b := range []string{`{"used_quota_size":9223372036854775807}`, `{"used_quota_size":9223372036854775000}`,
		`{"used_quota_files":9223372036854775807}`, `{"used_quota_size":-1}`} {
		e.expect(http.StatusBadRequest, http.MethodPut, p, adm, b).apiErr(t)
	}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/quotas/users/u1/transfer-usage", adm,
		`{"used_upload_data_transfer":9223372036854775807}`).apiErr(t)
	// the largest accepted value, then an add that would pass it
	e.expect(http.StatusOK, http.MethodPut, p, adm, fmt.Sprintf(`{"used_quota_size":%d}`, dataprovider.MaxCounter))
	r := e.expect(http.StatusBadRequest, http.MethodPut, p+"?mode=add", adm, `{"used_quota_size":10000}`)
	if !strings.Contains(string(r.body), "used_quota_size") {
		t.Fatalf("add past the limit: %s", r.body)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", adm, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/u1", adm, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata?output-data=1", adm, nil)
	// uid/gid and NUL bytes through the API
	u := testUser("u3")
	u["uid"] = int64(1) << 32
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users", adm, u).apiErr(t)
	u = testUser("u3")
	u["home_dir"] = "/srv/a\x00b"
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users", adm, u).apiErr(t)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/folders", adm,
		map[string]any{"name": "f", "mapped_path": "/srv/f\x00"}).apiErr(t)
}

// TestCorruptUserRowReported: one user row SQLite cannot read back as
// integers does not take the admin API down: the list answers with the
// others, the bad user's GET names the problem, and a quota reset or a
// delete repairs it.
func TestCorruptUserRowReported(t *testing.T) {
	e, _, dir := newEnvOnStore(t, "sqlite", 0)
	adm := e.adminAuth()
	for _, n := range []string{"u1", "u2", "u3"} {
		e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser(n))
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "sftpgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range []string{"u1", "u3"} {
		if _, err := db.Exec("UPDATE users SET used_quota_size = 9223372036854775807.0 * 2 WHERE username = ?", n); err != nil {
			t.Fatal(err)
		}
	}
	var list []map[string]any
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", adm, nil).json(t, &list)
	if len(list) != 1 || list[0]["username"] != "u2" {
		t.Fatalf("list with corrupt rows: %v", list)
	}
	r := e.expect(http.StatusInternalServerError, http.MethodGet, "/api/v2/users/u1", adm, nil)
	if !strings.Contains(string(r.body), `user \"u1\"`) || !strings.Contains(string(r.body), "used_quota_size") {
		t.Fatalf("GET of the corrupt user does not name the problem: %s", r.body)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata?output-data=1", adm, nil)
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/u1/usage", adm, `{"used_quota_size":0}`)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/u1", adm, nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/users/u3", adm, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", adm, nil).json(t, &list)
	if len(list) != 2 {
		t.Fatalf("after repair: %v", list)
	}
}
