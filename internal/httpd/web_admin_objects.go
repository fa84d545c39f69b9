package httpd

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Groups, virtual folders, admins and API keys: list, create, edit and
// delete pages built like the user pages.

// objectForm is the common data of the object forms.
type objectForm struct {
	IsNew   bool
	Name    string
	Folders []string
	Groups  []string
	Perms   []string
	// the user form's option lists, for the group's user settings
	User userFormData
	// Key is a new API key, shown once.
	Key string
}

func (s *Server) folderNames(r *http.Request) []string {
	var out []string
	if folders, err := s.store.ListFolders(r.Context(), maxListLimit, 0, "ASC"); err == nil {
		for _, f := range folders {
			out = append(out, f.Name)
		}
	}
	return out
}

func (s *Server) groupNames(r *http.Request) []string {
	var out []string
	if groups, err := s.store.ListGroups(r.Context(), maxListLimit, 0, "ASC"); err == nil {
		for _, g := range groups {
			out = append(out, g.Name)
		}
	}
	return out
}

// renderObjectError re-renders a form with what was typed and the error
// placed next to its field.
func (s *Server) renderObjectError(w http.ResponseWriter, r *http.Request, tmpl, title, section string, fp *formParser, err error, data objectForm, extra ...string) {
	p := s.adminPage(r, title, section)
	p.Retype = typedSecrets(fp.v)
	p.Form = fp.v
	p.Form.Del("password")
	if len(fp.errors) > 0 {
		p.Errors, p.Error = fp.errors, msgFormInvalid
	} else {
		p.Errors, p.Error = s.fieldErrors(r, err, formKnows(fp.v, extra...))
	}
	p.Data = data
	s.render(w, r, http.StatusBadRequest, tmpl, p)
}

// ---- groups

func (s *Server) webAdminGroups(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNo := pageNumber(r)
	items, more, err := collect(r.Context(), s.store.ListGroups, searchOnly(q, func(g dataprovider.Group) bool {
		return containsFold(q, g.Name, g.Description)
	}), pageNo)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	p := s.adminPage(r, "Groups", "groups")
	p.Data = listPage{Items: items, Query: q, Page: pageNo, HasPrev: pageNo > 1, HasNext: more}
	s.render(w, r, http.StatusOK, "admin/groups", p)
}

func (s *Server) groupForm(r *http.Request, isNew bool, name string) objectForm {
	return objectForm{IsNew: isNew, Name: name, Folders: s.folderNames(r), User: s.userFormData(r, isNew, nil)}
}

func (s *Server) webAdminGroupNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "New group", "groups")
	p.Form = url.Values{"user_settings.filesystem.provider": {"0"}}
	p.Data = s.groupForm(r, true, "")
	s.render(w, r, http.StatusOK, "admin/group", p)
}

func (s *Server) webAdminGroupEdit(w http.ResponseWriter, r *http.Request) {
	g, err := s.store.GetGroup(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "Group not found.", true)
		return
	}
	v := url.Values{"name": {g.Name}, "description": {g.Description}}
	us := &g.UserSettings
	v.Set("user_settings.home_dir", us.HomeDir)
	setIf(v, "user_settings.max_sessions", itoa(us.MaxSessions))
	setIf(v, "user_settings.quota_size", formatSize(us.QuotaSize))
	setIf(v, "user_settings.quota_files", itoa(us.QuotaFiles))
	setIf(v, "user_settings.upload_bandwidth", itoa(us.UploadBandwidth))
	setIf(v, "user_settings.download_bandwidth", itoa(us.DownloadBandwidth))
	setIf(v, "user_settings.upload_data_transfer", itoa(us.UploadDataTransfer))
	setIf(v, "user_settings.download_data_transfer", itoa(us.DownloadDataTransfer))
	setIf(v, "user_settings.total_data_transfer", itoa(us.TotalDataTransfer))
	setIf(v, "user_settings.expires_in", itoa(us.ExpiresIn))
	permsToForm("user_settings.permissions", us.Permissions, v)
	filtersToForm("user_settings.filters", &us.Filters, v)
	fsToForm("user_settings.filesystem", us.FsConfig, v)
	foldersToForm("virtual_folders", g.VirtualFolders, v)
	p := s.adminPage(r, "Group "+g.Name, "groups")
	p.Form = v
	p.Data = s.groupForm(r, false, g.Name)
	s.render(w, r, http.StatusOK, "admin/group", p)
}

func (s *Server) webAdminGroupSave(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	isNew := name == ""
	var g dataprovider.Group
	if !isNew {
		var err error
		if g, err = s.store.GetGroup(r.Context(), name); err != nil {
			s.webError(w, r, errorStatus(err), "Group not found.", true)
			return
		}
	}
	_ = r.ParseForm()
	fp := newFormParser(r.PostForm)
	if isNew {
		g.Name = fp.str("name")
	}
	g.Description = fp.str("description")
	us := &g.UserSettings
	us.HomeDir = fp.str("user_settings.home_dir")
	us.MaxSessions = fp.int("user_settings.max_sessions")
	us.QuotaSize = fp.size("user_settings.quota_size")
	us.QuotaFiles = fp.int("user_settings.quota_files")
	us.UploadBandwidth = fp.int64("user_settings.upload_bandwidth")
	us.DownloadBandwidth = fp.int64("user_settings.download_bandwidth")
	us.UploadDataTransfer = fp.int64("user_settings.upload_data_transfer")
	us.DownloadDataTransfer = fp.int64("user_settings.download_data_transfer")
	us.TotalDataTransfer = fp.int64("user_settings.total_data_transfer")
	us.ExpiresIn = fp.int("user_settings.expires_in")
	us.Permissions = formToPerms(fp, "user_settings.permissions")
	storedFilters, storedFs := us.Filters, us.FsConfig
	us.Filters = formToFilters(fp, "user_settings.filters")
	keepHiddenFilters(&us.Filters, storedFilters)
	us.FsConfig = formToFs(fp, "user_settings.filesystem", storedFs)
	keepHiddenFs(&us.FsConfig, storedFs)
	g.VirtualFolders = formToFolders(fp, "virtual_folders")
	err := fp.err()
	if err == nil {
		if isNew {
			err = s.store.AddGroup(r.Context(), &g)
		} else {
			err = s.store.UpdateGroup(r.Context(), &g)
		}
	}
	if err != nil {
		title := "New group"
		if !isNew {
			title = "Group " + name
		}
		extra := append([]string{"name", "user_settings.permissions", "virtual_folders", "user_settings.filters.file_patterns",
			"user_settings.filters.bandwidth_limits", "user_settings.filters.data_transfer_limits", "user_settings.filters.access_time"},
			fsFieldNames("user_settings.filesystem")...)
		s.renderObjectError(w, r, "admin/group", title, "groups", fp, err, s.groupForm(r, isNew, name), extra...)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/groups", "ok", "Group "+g.Name+" saved.")
}

func (s *Server) webAdminGroupDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	if err := s.store.DeleteGroup(r.Context(), name); err != nil {
		msg := "Unable to delete the group: " + err.Error()
		if errorStatus(err) == http.StatusConflict {
			msg = "The group still has members: remove them first."
		}
		s.redirectFlash(w, r, webAdminPrefix+"/groups", "error", msg)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/groups", "ok", "Group "+name+" deleted.")
}

// ---- folders

func (s *Server) webAdminFolders(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNo := pageNumber(r)
	items, more, err := collect(r.Context(), s.store.ListFolders, searchOnly(q, func(f dataprovider.BaseVirtualFolder) bool {
		return containsFold(q, f.Name, f.Description, f.MappedPath)
	}), pageNo)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	p := s.adminPage(r, "Virtual folders", "folders")
	p.Data = listPage{Items: folderRows(items), Query: q, Page: pageNo, HasPrev: pageNo > 1, HasNext: more}
	s.render(w, r, http.StatusOK, "admin/folders", p)
}

func (s *Server) webAdminFolderNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "New virtual folder", "folders")
	p.Form = url.Values{"filesystem.provider": {"0"}}
	p.Data = objectForm{IsNew: true}
	s.render(w, r, http.StatusOK, "admin/folder", p)
}

func (s *Server) webAdminFolderEdit(w http.ResponseWriter, r *http.Request) {
	f, err := s.store.GetFolder(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "Folder not found.", true)
		return
	}
	v := url.Values{"name": {f.Name}, "description": {f.Description}, "mapped_path": {f.MappedPath}}
	fsToForm("filesystem", f.FsConfig, v)
	p := s.adminPage(r, "Folder "+f.Name, "folders")
	p.Form = v
	p.Data = objectForm{Name: f.Name}
	s.render(w, r, http.StatusOK, "admin/folder", p)
}

func (s *Server) webAdminFolderSave(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	isNew := name == ""
	var f dataprovider.BaseVirtualFolder
	if !isNew {
		var err error
		if f, err = s.store.GetFolder(r.Context(), name); err != nil {
			s.webError(w, r, errorStatus(err), "Folder not found.", true)
			return
		}
	}
	_ = r.ParseForm()
	fp := newFormParser(r.PostForm)
	if isNew {
		f.Name = fp.str("name")
	}
	f.Description = fp.str("description")
	f.MappedPath = fp.str("mapped_path")
	stored := f.FsConfig
	f.FsConfig = formToFs(fp, "filesystem", f.FsConfig)
	keepHiddenFs(&f.FsConfig, stored)
	err := fp.err()
	if err == nil {
		if isNew {
			err = s.store.AddFolder(r.Context(), &f)
		} else {
			err = s.store.UpdateFolder(r.Context(), &f)
		}
	}
	if err != nil {
		title := "New virtual folder"
		if !isNew {
			title = "Folder " + name
		}
		s.renderObjectError(w, r, "admin/folder", title, "folders", fp, err, objectForm{IsNew: isNew, Name: name},
			append([]string{"name", "mapped_path"}, fsFieldNames("filesystem")...)...)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/folders", "ok", "Folder "+f.Name+" saved.")
}

func (s *Server) webAdminFolderDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	if err := s.store.DeleteFolder(r.Context(), name); err != nil {
		s.redirectFlash(w, r, webAdminPrefix+"/folders", "error", "Unable to delete the folder: "+err.Error())
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/folders", "ok", "Folder "+name+" deleted.")
}

// ---- admins

func (s *Server) webAdminAdmins(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNo := pageNumber(r)
	items, more, err := collect(r.Context(), s.store.ListAdmins, searchOnly(q, func(a dataprovider.Admin) bool {
		return containsFold(q, a.Username, a.Email, a.Description)
	}), pageNo)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	p := s.adminPage(r, "Admins", "admins")
	p.Data = listPage{Items: mapSlice(items, redactAdmin), Query: q, Page: pageNo, HasPrev: pageNo > 1, HasNext: more}
	s.render(w, r, http.StatusOK, "admin/admins", p)
}

func (s *Server) adminForm(r *http.Request, isNew bool, name string) objectForm {
	return objectForm{IsNew: isNew, Name: name, Perms: dataprovider.ValidAdminPerms, Groups: s.groupNames(r)}
}

func (s *Server) webAdminAdminNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "New admin", "admins")
	p.Form = url.Values{"status": {"1"}}
	p.Data = s.adminForm(r, true, "")
	s.render(w, r, http.StatusOK, "admin/admin", p)
}

func (s *Server) webAdminAdminEdit(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.GetAdmin(r.Context(), urlParam(r, "username"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "Admin not found.", true)
		return
	}
	v := url.Values{"username": {a.Username}, "status": {itoa(a.Status)}, "email": {a.Email},
		"description": {a.Description}, "additional_info": {a.AdditionalInfo}, "role": {a.Role},
		"permissions": a.Permissions, "filters.allow_list": {strings.Join(a.Filters.AllowList, "\n")}}
	setBool(v, "filters.allow_api_key_auth", a.Filters.AllowAPIKeyAuth)
	setBool(v, "filters.require_password_change", a.Filters.RequirePasswordChange)
	setBool(v, "filters.require_two_factor", a.Filters.RequireTwoFactor)
	for _, g := range a.Groups {
		v.Add("groups.name", g.Name)
		v.Add("groups.add_to_users_as", itoa(g.Options.AddToUsersAs))
	}
	p := s.adminPage(r, "Admin "+a.Username, "admins")
	p.Form = v
	p.Data = s.adminForm(r, false, a.Username)
	s.render(w, r, http.StatusOK, "admin/admin", p)
}

func (s *Server) webAdminAdminSave(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "username")
	isNew := name == ""
	caller := authFromContext(r.Context()).admin
	var a, current dataprovider.Admin
	if !isNew {
		var err error
		if current, err = s.store.GetAdmin(r.Context(), name); err != nil {
			s.webError(w, r, errorStatus(err), "Admin not found.", true)
			return
		}
		a = current
	}
	_ = r.ParseForm()
	fp := newFormParser(r.PostForm)
	if isNew {
		a.Username = fp.str("username")
	}
	a.Password = r.PostFormValue("password")
	a.Status = fp.int("status")
	a.Email = fp.str("email")
	a.Description = fp.str("description")
	a.AdditionalInfo = fp.str("additional_info")
	a.Role = fp.str("role")
	a.Permissions = fp.values("permissions")
	a.Filters.AllowList = fp.list("filters.allow_list")
	a.Filters.AllowAPIKeyAuth = fp.bool("filters.allow_api_key_auth")
	a.Filters.RequirePasswordChange = fp.bool("filters.require_password_change")
	a.Filters.RequireTwoFactor = fp.bool("filters.require_two_factor")
	a.Groups = nil
	for i, g := range fp.column("groups.name") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		as, _ := strconv.Atoi(nth(fp.column("groups.add_to_users_as"), i))
		a.Groups = append(a.Groups, dataprovider.AdminGroupMapping{Name: g, Options: dataprovider.AdminGroupMappingOptions{AddToUsersAs: as}})
	}
	err := fp.err()
	if err == nil && !isNew && caller.Username == current.Username {
		switch {
		case a.Status != dataprovider.StatusEnabled:
			fp.errors["status"] = "you cannot disable yourself"
		case removesCriticalPerms(current.Permissions, a.Permissions):
			fp.errors["permissions"] = "you cannot remove \"*\" or \"manage_admins\" from yourself"
		case a.Role != current.Role:
			fp.errors["role"] = "you cannot change your own role"
		}
		err = fp.err()
	}
	if err == nil {
		if isNew {
			err = s.store.AddAdmin(r.Context(), &a)
		} else {
			err = s.store.UpdateAdmin(r.Context(), &a)
		}
	}
	if err != nil {
		title := "New admin"
		if !isNew {
			title = "Admin " + name
		}
		s.renderObjectError(w, r, "admin/admin", title, "admins", fp, err, s.adminForm(r, isNew, name),
			"username", "password", "permissions", "status", "role", "groups", "filters.allow_list")
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/admins", "ok", "Admin "+a.Username+" saved.")
}

func (s *Server) webAdminAdminDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "username")
	if name == authFromContext(r.Context()).admin.Username {
		s.redirectFlash(w, r, webAdminPrefix+"/admins", "error", "You cannot delete yourself.")
		return
	}
	if err := s.store.DeleteAdmin(r.Context(), name); err != nil {
		s.redirectFlash(w, r, webAdminPrefix+"/admins", "error", "Unable to delete the admin: "+err.Error())
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/admins", "ok", "Admin "+name+" deleted.")
}

// ---- API keys

func (s *Server) webAdminAPIKeys(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNo := pageNumber(r)
	items, more, err := collect(r.Context(), s.store.ListAPIKeys, searchOnly(q, func(k dataprovider.APIKey) bool {
		return containsFold(q, k.Name, k.Description, k.User, k.Admin, k.KeyID)
	}), pageNo)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	p := s.adminPage(r, "API keys", "apikeys")
	p.Data = listPage{Items: mapSlice(items, redactAPIKey), Query: q, Page: pageNo, HasPrev: pageNo > 1, HasNext: more}
	s.render(w, r, http.StatusOK, "admin/apikeys", p)
}

func (s *Server) webAdminAPIKeyNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "New API key", "apikeys")
	p.Form = url.Values{"scope": {"1"}}
	p.Data = objectForm{IsNew: true}
	s.render(w, r, http.StatusOK, "admin/apikey", p)
}

func (s *Server) webAdminAPIKeyEdit(w http.ResponseWriter, r *http.Request) {
	k, err := s.store.GetAPIKey(r.Context(), urlParam(r, "id"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "API key not found.", true)
		return
	}
	v := url.Values{"name": {k.Name}, "description": {k.Description}, "scope": {itoa(k.Scope)},
		"expires_at": {formatDate(k.ExpiresAt)}, "user": {k.User}, "admin": {k.Admin}}
	p := s.adminPage(r, "API key "+k.Name, "apikeys")
	p.Form = v
	p.Data = objectForm{Name: k.KeyID}
	s.render(w, r, http.StatusOK, "admin/apikey", p)
}

func (s *Server) webAdminAPIKeySave(w http.ResponseWriter, r *http.Request) {
	id := urlParam(r, "id")
	isNew := id == ""
	_ = r.ParseForm()
	fp := newFormParser(r.PostForm)
	k := dataprovider.APIKey{KeyID: id, Name: fp.str("name"), Description: fp.str("description"),
		Scope: fp.int("scope"), ExpiresAt: fp.date("expires_at"), User: fp.str("user"), Admin: fp.str("admin")}
	err := fp.err()
	if err == nil {
		if isNew {
			err = s.store.AddAPIKey(r.Context(), &k)
		} else {
			err = s.store.UpdateAPIKey(r.Context(), &k)
		}
	}
	if err != nil {
		title := "New API key"
		if !isNew {
			title = "API key " + fp.str("name")
		}
		s.renderObjectError(w, r, "admin/apikey", title, "apikeys", fp, err, objectForm{IsNew: isNew, Name: id},
			"name", "scope", "expires_at", "user", "admin")
		return
	}
	if isNew {
		// the only time the key is visible
		p := s.adminPage(r, "API key created", "apikeys")
		p.Data = objectForm{Key: k.Key, Name: k.Name}
		s.render(w, r, http.StatusOK, "admin/apikey_created", p)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/apikeys", "ok", "API key "+k.Name+" saved.")
}

func (s *Server) webAdminAPIKeyDelete(w http.ResponseWriter, r *http.Request) {
	id := urlParam(r, "id")
	if err := s.store.DeleteAPIKey(r.Context(), id); err != nil {
		s.redirectFlash(w, r, webAdminPrefix+"/apikeys", "error", "Unable to delete the API key: "+err.Error())
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/apikeys", "ok", "API key deleted.")
}
