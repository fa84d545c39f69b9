package httpd

import (
	"context"
	"encoding/base32"
	"net/http"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// TestAdminTokenNeedsOTP: an admin with TOTP gets a token only with the
// current code (or an unused recovery code, once) in X-SFTPGO-OTP.
func TestAdminTokenNeedsOTP(t *testing.T) {
	e := newTestEnv(t)
	key := []byte("0123456789abcdef0123")
	a := dataprovider.Admin{Username: "otp", Password: testPassword, Status: 1, Permissions: []string{"*"},
		Filters: dataprovider.AdminFilters{
			TOTPConfig: dataprovider.TOTPConfig{Enabled: true, ConfigName: "Default",
				Secret: kms.NewPlainSecret(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key))},
			RecoveryCodes: []dataprovider.RecoveryCode{{Secret: kms.NewPlainSecret("RC-ABCDEF123456")}}}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	withOTP := func(code string) auth {
		return func(r *http.Request) { r.SetBasicAuth("otp", testPassword); r.Header.Set(otpHeader, code) }
	}
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("otp", testPassword), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", withOTP("000000"), nil)
	code := common.TOTPCode(key, time.Now().Unix()/30, "sha1", 6)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", withOTP(code), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", withOTP("RC-ABCDEF123456"), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", withOTP("RC-ABCDEF123456"), nil)
}

// TestIPListsAndDefenderAPI: CRUD of IP list entries; the defender
// endpoints answer without a defender.
func TestIPListsAndDefenderAPI(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/iplists/2", adm,
		map[string]any{"type": 2, "ipornet": "192.0.2.9/24", "mode": 2, "protocols": 3, "description": "bad"})
	if loc := r.header.Get("Location"); loc != "/api/v2/iplists/2/192.0.2.0%2F24" {
		t.Fatalf("Location %q", loc)
	}
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/iplists/2", adm, map[string]any{"ipornet": "192.0.2.0/24", "mode": 1})
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/iplists/1", adm, map[string]any{"ipornet": "192.0.2.0/24", "mode": 2})
	e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/iplists/4", adm, nil)
	var got dataprovider.IPListEntry
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/iplists/2/192.0.2.0%2F24", adm, nil).json(t, &got)
	if got.Mode != 2 || got.Protocols != 3 || got.Description != "bad" || got.CreatedAt == 0 {
		t.Fatalf("entry %+v", got)
	}
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/iplists/2/192.0.2.0%2F24", adm, map[string]any{"mode": 1, "protocols": 0})
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/iplists/2/192.0.2.0%2F24", adm, nil).json(t, &got)
	if got.Mode != 1 || got.Protocols != 0 {
		t.Fatalf("updated entry %+v", got)
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/iplists/2", adm, map[string]any{"ipornet": "2001:db8::1", "mode": 2})
	var list []dataprovider.IPListEntry
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/iplists/2?filter=2001&limit=10", adm, nil).json(t, &list)
	if len(list) != 1 || list[0].IPOrNet != "2001:db8::1/128" {
		t.Fatalf("filtered list %+v", list)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/iplists/2?order=DESC", adm, nil).json(t, &list)
	if len(list) != 2 || list[0].IPOrNet != "2001:db8::1/128" {
		t.Fatalf("list %+v", list)
	}
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/iplists/2/192.0.2.0%2F24", adm, nil)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/iplists/2/192.0.2.0%2F24", adm, nil)

	e.addAdmin("viewer", dataprovider.AdminPermViewUsers)
	viewer := bearer(e.token("viewer", testPassword))
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/iplists/1", viewer, nil)
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/defender/hosts", viewer, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/defender/hosts", adm, nil)
	e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/defender/hosts/zz", adm, nil)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/defender/hosts/3132372e302e302e32", adm, nil)
}
