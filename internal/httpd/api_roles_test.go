package httpd

import (
	"net/http"
	"slices"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TestRolesAPI: CRUD of /api/v2/roles with manage_roles; a role lists
// its users and admins; a role in use is not deleted; a role admin
// cannot get global permissions.
func TestRolesAPI(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	var created dataprovider.Role
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/roles", adm,
		map[string]any{"name": "support", "description": "help desk", "users": []string{"ignored"}})
	r.json(t, &created)
	if r.header.Get("Location") != "/api/v2/roles/support" || created.Name != "support" || created.CreatedAt == 0 || created.Users != nil {
		t.Fatalf("created %+v, Location %q", created, r.header.Get("Location"))
	}
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/roles", adm, map[string]any{"name": "support"})
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/roles", adm, map[string]any{"name": ""})
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/roles", adm, map[string]any{"name": "x", "color": "red"})
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/roles", adm, map[string]any{"name": "audit"})

	u := testUser("carol")
	u["role"] = "support"
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, u)
	u = testUser("dave")
	u["role"] = "missing"
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users", adm, u)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins", adm, map[string]any{"username": "boss2",
		"password": testPassword, "status": 1, "role": "support", "permissions": []string{"*"}})
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/admins", adm, map[string]any{"username": "helper",
		"password": testPassword, "status": 1, "role": "support", "permissions": []string{"view_users"}})

	var got dataprovider.Role
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/roles/support", adm, nil).json(t, &got)
	if !slices.Equal(got.Users, []string{"carol"}) || !slices.Equal(got.Admins, []string{"helper"}) || got.Description != "help desk" {
		t.Fatalf("role %+v", got)
	}
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/roles/support", adm, map[string]any{"description": "second line"})
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/roles/support", adm, nil).json(t, &got)
	if got.Description != "second line" || got.CreatedAt != created.CreatedAt {
		t.Fatalf("updated role %+v", got)
	}
	e.expect(http.StatusNotFound, http.MethodPut, "/api/v2/roles/ghost", adm, map[string]any{"description": "x"})
	var list []dataprovider.Role
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/roles?order=DESC&limit=1", adm, nil).json(t, &list)
	if len(list) != 1 || list[0].Name != "support" {
		t.Fatalf("list %+v", list)
	}
	e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/roles?order=sideways", adm, nil)

	e.expect(http.StatusConflict, http.MethodDelete, "/api/v2/roles/support", adm, nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/roles/audit", adm, nil)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/roles/audit", adm, nil)

	e.addAdmin("viewer", dataprovider.AdminPermViewUsers)
	viewer := bearer(e.token("viewer", testPassword))
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/roles", viewer, nil)
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/roles", viewer, map[string]any{"name": "x"})

	// the dump carries the role, restorable elsewhere
	var dump dataprovider.BackupData
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata?output-data=1", adm, nil).json(t, &dump)
	if len(dump.Roles) != 1 || dump.Roles[0].Name != "support" {
		t.Fatalf("dumped roles %+v", dump.Roles)
	}
}
