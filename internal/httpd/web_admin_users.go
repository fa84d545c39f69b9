package httpd

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

const webPageSize = 25

// listPage is a page of a list with search.
type listPage struct {
	Items   any
	Query   string
	Page    int
	HasPrev bool
	HasNext bool
	Total   int // -1 when unknown
}

func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// collect pages through a store list, keeping what match accepts, and
// returns page number pageNo of the result and whether more follow. A
// nil match (no search) reads just that page from the store.
func collect[T any](ctx context.Context, list func(ctx context.Context, limit, offset int, order string) ([]T, error), match func(T) bool, pageNo int) ([]T, bool, error) {
	skip := (pageNo - 1) * webPageSize
	if match == nil {
		items, err := list(ctx, webPageSize+1, skip, "ASC")
		if err != nil || len(items) <= webPageSize {
			return items, false, err
		}
		return items[:webPageSize], true, nil
	}
	var out []T
	for off := 0; ; off += listScanBatch {
		batch, err := list(ctx, listScanBatch, off, "ASC")
		if err != nil {
			return nil, false, err
		}
		for _, it := range batch {
			if !match(it) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(out) == webPageSize {
				return out, true, nil
			}
			out = append(out, it)
		}
		if len(batch) < listScanBatch {
			return out, false, nil
		}
	}
}

func containsFold(q string, fields ...string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

func (s *Server) webAdminUsers(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNo := pageNumber(r)
	role := authFromContext(r.Context()).admin.Role
	users, more, err := s.store.SearchUsers(r.Context(), q, role, webPageSize, (pageNo-1)*webPageSize)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	p := s.adminPage(r, "Users", "users")
	p.Data = listPage{Items: s.userRows(users), Query: q, Page: pageNo, HasPrev: pageNo > 1, HasNext: more}
	s.render(w, r, http.StatusOK, "admin/users", p)
}

// userFormData is what the user form needs besides the values.
type userFormData struct {
	IsNew         bool
	Username      string
	HasPassword   bool
	Perms         []string
	LoginMethods  []string
	Protocols     []string
	TwoFAProtos   []string
	WebClientOpts []string
	Groups        []string
	Folders       []string
	Usage         string
	CanEdit       bool
	CanDelete     bool
}

func (s *Server) userFormData(r *http.Request, isNew bool, u *dataprovider.User) userFormData {
	admin := authFromContext(r.Context()).admin
	d := userFormData{
		IsNew:         isNew,
		Perms:         dataprovider.ValidPerms,
		LoginMethods:  []string{"password", "password-over-SSH", "publickey", "keyboard-interactive", "publickey+password", "publickey+keyboard-interactive", "TLSCertificate", "TLSCertificate+password", "IDP"},
		Protocols:     []string{"SSH", "FTP", "DAV", "HTTP"},
		TwoFAProtos:   []string{"SSH", "FTP", "HTTP"},
		WebClientOpts: webClientOptions,
		CanEdit:       admin.HasPermission(dataprovider.AdminPermEditUsers) || isNew,
		CanDelete:     admin.HasPermission(dataprovider.AdminPermDelUsers),
	}
	if u != nil {
		d.Username = u.Username
		d.HasPassword = u.Password != "" || u.HasPassword
		d.Usage = s.quotaUsage(u)
	}
	if groups, err := s.store.ListGroups(r.Context(), maxListLimit, 0, "ASC"); err == nil {
		for _, g := range groups {
			d.Groups = append(d.Groups, g.Name)
		}
	}
	if folders, err := s.store.ListFolders(r.Context(), maxListLimit, 0, "ASC"); err == nil {
		for _, f := range folders {
			d.Folders = append(d.Folders, f.Name)
		}
	}
	return d
}

func (s *Server) webAdminUserNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "New user", "users")
	p.Form = url.Values{"status": {"1"}, "permissions./": {dataprovider.PermAny}, "filesystem.provider": {"0"}}
	p.Data = s.userFormData(r, true, nil)
	s.render(w, r, http.StatusOK, "admin/user", p)
}

func (s *Server) webAdminUserEdit(w http.ResponseWriter, r *http.Request) {
	u, err := s.getVisibleUser(r, urlParam(r, "username"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "User not found.", true)
		return
	}
	p := s.adminPage(r, "User "+u.Username, "users")
	p.Form = userToForm(&u)
	p.Data = s.userFormData(r, false, &u)
	s.render(w, r, http.StatusOK, "admin/user", p)
}

func (s *Server) webAdminUserCreate(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	fp := newFormParser(r.PostForm)
	u := formToUser(fp, dataprovider.User{})
	u.Username = fp.str("username")
	u.Password = r.PostFormValue("password")
	if role := authFromContext(r.Context()).admin.Role; role != "" {
		u.Role = role
	}
	err := fp.err()
	if err == nil {
		err = s.store.AddUser(r.Context(), &u)
	}
	if err != nil {
		s.renderUserFormError(w, r, true, nil, fp, err)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/users", "ok", "User "+u.Username+" created.")
}

func (s *Server) webAdminUserUpdate(w http.ResponseWriter, r *http.Request) {
	current, err := s.getVisibleUser(r, urlParam(r, "username"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "User not found.", true)
		return
	}
	_ = r.ParseForm()
	fp := newFormParser(r.PostForm)
	u := formToUser(fp, current)
	u.Password = r.PostFormValue("password") // empty keeps the current one
	if role := authFromContext(r.Context()).admin.Role; role != "" {
		u.Role = role
	}
	err = fp.err()
	if err == nil {
		err = s.store.UpdateUser(r.Context(), &u)
	}
	if err != nil {
		s.renderUserFormError(w, r, false, &current, fp, err)
		return
	}
	if fp.bool("disconnect") {
		s.disconnectUser(u.Username)
	}
	s.redirectFlash(w, r, webAdminPrefix+"/users", "ok", "User "+u.Username+" updated.")
}

// userGroupFields are the form names validation errors of repeated
// groups land on.
var userGroupFields = []string{"permissions", "groups", "virtual_folders", "filters.file_patterns",
	"filters.bandwidth_limits", "filters.data_transfer_limits", "filters.access_time", "filesystem",
	"password", "username", "home_dir"}

func (s *Server) renderUserFormError(w http.ResponseWriter, r *http.Request, isNew bool, current *dataprovider.User, fp *formParser, err error) {
	title := "New user"
	if !isNew {
		title = "User " + current.Username
	}
	p := s.adminPage(r, title, "users")
	p.Retype = typedSecrets(fp.v)
	p.Form = fp.v
	p.Form.Del("password")
	if len(fp.errors) > 0 {
		p.Errors, p.Error = fp.errors, msgFormInvalid
	} else {
		p.Errors, p.Error = s.fieldErrors(r, err, formKnows(fp.v, append(userGroupFields, fsFieldNames("filesystem")...)...))
	}
	p.Data = s.userFormData(r, isNew, current)
	s.render(w, r, http.StatusBadRequest, "admin/user", p)
}

func (s *Server) webAdminUserDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "username")
	if _, err := s.getVisibleUser(r, name); err != nil {
		s.redirectFlash(w, r, webAdminPrefix+"/users", "error", "User not found.")
		return
	}
	if err := s.store.DeleteUser(r.Context(), name); err != nil {
		s.redirectFlash(w, r, webAdminPrefix+"/users", "error", "Unable to delete the user: "+err.Error())
		return
	}
	s.disconnectUser(name)
	s.redirectFlash(w, r, webAdminPrefix+"/users", "ok", "User "+name+" deleted.")
}

// ---- user <-> form

func setIf(v url.Values, name, val string) {
	if val != "" && val != "0" {
		v.Set(name, val)
	}
}

func setBool(v url.Values, name string, b bool) {
	if b {
		v.Set(name, "1")
	}
}

func itoa[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// userToForm shows a stored user in the form.
func userToForm(u *dataprovider.User) url.Values {
	v := url.Values{}
	v.Set("username", u.Username)
	v.Set("status", itoa(u.Status))
	v.Set("email", u.Email)
	v.Set("description", u.Description)
	v.Set("expiration_date", formatDate(u.ExpirationDate))
	v.Set("public_keys", strings.Join(u.PublicKeys, "\n"))
	v.Set("home_dir", u.HomeDir)
	setIf(v, "uid", itoa(u.UID))
	setIf(v, "gid", itoa(u.GID))
	setIf(v, "max_sessions", itoa(u.MaxSessions))
	setIf(v, "quota_size", formatSize(u.QuotaSize))
	setIf(v, "quota_files", itoa(u.QuotaFiles))
	setIf(v, "upload_bandwidth", itoa(u.UploadBandwidth))
	setIf(v, "download_bandwidth", itoa(u.DownloadBandwidth))
	setIf(v, "upload_data_transfer", itoa(u.UploadDataTransfer))
	setIf(v, "download_data_transfer", itoa(u.DownloadDataTransfer))
	setIf(v, "total_data_transfer", itoa(u.TotalDataTransfer))
	v.Set("additional_info", u.AdditionalInfo)
	v.Set("role", u.Role)
	permsToForm("permissions", u.Permissions, v)
	for _, g := range u.Groups {
		switch g.Type {
		case dataprovider.GroupTypePrimary:
			v.Set("groups.primary", g.Name)
		case dataprovider.GroupTypeSecondary:
			v.Add("groups.secondary", g.Name)
		default:
			v.Add("groups.membership", g.Name)
		}
	}
	foldersToForm("virtual_folders", u.VirtualFolders, v)
	filtersToForm("filters", &u.Filters, v)
	fsToForm("filesystem", u.FsConfig, v)
	return v
}

// permsToForm: "/" as checkboxes (prefix+"./"), other directories as
// "dir: perm, perm" lines (prefix).
func permsToForm(prefix string, perms map[string][]string, v url.Values) {
	v[prefix+"./"] = append([]string(nil), perms["/"]...)
	var dirs []string
	for d := range perms {
		if d != "/" {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	var lines []string
	for _, d := range dirs {
		lines = append(lines, d+": "+strings.Join(perms[d], ", "))
	}
	v.Set(prefix, strings.Join(lines, "\n"))
}

func foldersToForm(prefix string, folders []dataprovider.VirtualFolder, v url.Values) {
	for _, f := range folders {
		v.Add(prefix+".name", f.Name)
		v.Add(prefix+".virtual_path", f.VirtualPath)
		if f.QuotaSize < 0 {
			v.Add(prefix+".quota_size", "-1")
		} else {
			v.Add(prefix+".quota_size", formatSize(f.QuotaSize))
		}
		v.Add(prefix+".quota_files", itoa(f.QuotaFiles))
	}
}

func filtersToForm(prefix string, f *dataprovider.UserFilters, v url.Values) {
	n := func(s string) string { return prefix + "." + s }
	v.Set(n("allowed_ip"), strings.Join(f.AllowedIP, "\n"))
	v.Set(n("denied_ip"), strings.Join(f.DeniedIP, "\n"))
	v[n("denied_login_methods")] = f.DeniedLoginMethods
	v[n("denied_protocols")] = f.DeniedProtocols
	for _, fp := range f.FilePatterns {
		v.Add(n("file_patterns.path"), fp.Path)
		v.Add(n("file_patterns.allowed_patterns"), strings.Join(fp.AllowedPatterns, ", "))
		v.Add(n("file_patterns.denied_patterns"), strings.Join(fp.DeniedPatterns, ", "))
		v.Add(n("file_patterns.deny_policy"), itoa(fp.DenyPolicy))
	}
	setIf(v, n("max_upload_file_size"), formatSize(f.MaxUploadFileSize))
	v.Set(n("tls_username"), f.TLSUsername)
	setBool(v, n("hooks.external_auth_disabled"), f.Hooks.ExternalAuthDisabled)
	setBool(v, n("hooks.pre_login_disabled"), f.Hooks.PreLoginDisabled)
	setBool(v, n("hooks.check_password_disabled"), f.Hooks.CheckPasswordDisabled)
	setBool(v, n("disable_fs_checks"), f.DisableFsChecks)
	v[n("web_client")] = f.WebClient
	setBool(v, n("allow_api_key_auth"), f.AllowAPIKeyAuth)
	v.Set(n("user_type"), f.UserType)
	for _, bl := range f.BandwidthLimits {
		v.Add(n("bandwidth_limits.sources"), strings.Join(bl.Sources, ", "))
		v.Add(n("bandwidth_limits.upload_bandwidth"), itoa(bl.UploadBandwidth))
		v.Add(n("bandwidth_limits.download_bandwidth"), itoa(bl.DownloadBandwidth))
	}
	for _, dl := range f.DataTransferLimits {
		v.Add(n("data_transfer_limits.sources"), strings.Join(dl.Sources, ", "))
		v.Add(n("data_transfer_limits.upload_data_transfer"), itoa(dl.UploadDataTransfer))
		v.Add(n("data_transfer_limits.download_data_transfer"), itoa(dl.DownloadDataTransfer))
		v.Add(n("data_transfer_limits.total_data_transfer"), itoa(dl.TotalDataTransfer))
	}
	setBool(v, n("is_anonymous"), f.IsAnonymous)
	setIf(v, n("default_shares_expiration"), itoa(f.DefaultSharesExpiration))
	setIf(v, n("max_shares_expiration"), itoa(f.MaxSharesExpiration))
	setIf(v, n("password_expiration"), itoa(f.PasswordExpiration))
	setIf(v, n("password_strength"), itoa(f.PasswordStrength))
	v.Set(n("ftp_security"), itoa(f.FTPSecurity))
	v.Set(n("start_directory"), f.StartDirectory)
	v[n("two_factor_protocols")] = f.TwoFactorAuthProtocols
	for _, at := range f.AccessTime {
		v.Add(n("access_time.day_of_week"), itoa(at.DayOfWeek))
		v.Add(n("access_time.from"), at.From)
		v.Add(n("access_time.to"), at.To)
	}
	setBool(v, n("require_password_change"), f.RequirePasswordChange)
	v.Set(n("tls_certs"), strings.Join(f.TLSCerts, "\n"))
}

// formToUser reads the form over base (the stored user on edit), keeping
// what the form does not show (usage counters, two-factor secrets, ...).
func formToUser(p *formParser, base dataprovider.User) dataprovider.User {
	u := base
	u.Status = p.int("status")
	u.Email = p.str("email")
	u.Description = p.str("description")
	u.ExpirationDate = p.date("expiration_date")
	u.PublicKeys = p.lines("public_keys")
	u.HomeDir = p.str("home_dir")
	u.UID = p.int("uid")
	u.GID = p.int("gid")
	u.MaxSessions = p.int("max_sessions")
	u.QuotaSize = p.size("quota_size")
	u.QuotaFiles = p.int("quota_files")
	u.UploadBandwidth = p.int64("upload_bandwidth")
	u.DownloadBandwidth = p.int64("download_bandwidth")
	u.UploadDataTransfer = p.int64("upload_data_transfer")
	u.DownloadDataTransfer = p.int64("download_data_transfer")
	u.TotalDataTransfer = p.int64("total_data_transfer")
	u.AdditionalInfo = p.str("additional_info")
	u.Role = p.str("role")
	u.Permissions = formToPerms(p, "permissions")
	u.Groups = nil
	if g := p.str("groups.primary"); g != "" {
		u.Groups = append(u.Groups, dataprovider.GroupMapping{Name: g, Type: dataprovider.GroupTypePrimary})
	}
	for _, g := range p.values("groups.secondary") {
		u.Groups = append(u.Groups, dataprovider.GroupMapping{Name: g, Type: dataprovider.GroupTypeSecondary})
	}
	for _, g := range p.values("groups.membership") {
		u.Groups = append(u.Groups, dataprovider.GroupMapping{Name: g, Type: dataprovider.GroupTypeMembership})
	}
	u.VirtualFolders = formToFolders(p, "virtual_folders")
	keepTOTP, keepCodes := u.Filters.TOTPConfig, u.Filters.RecoveryCodes
	u.Filters = formToFilters(p, "filters")
	u.Filters.TOTPConfig, u.Filters.RecoveryCodes = keepTOTP, keepCodes
	keepHiddenFilters(&u.Filters, base.Filters)
	u.FsConfig = formToFs(p, "filesystem", base.FsConfig)
	keepHiddenFs(&u.FsConfig, base.FsConfig)
	return u
}

func formToPerms(p *formParser, prefix string) map[string][]string {
	perms := map[string][]string{}
	if root := p.values(prefix + "./"); len(root) > 0 {
		perms["/"] = root
	}
	for _, line := range p.lines(prefix) {
		dir, list, ok := strings.Cut(line, ":")
		if !ok {
			p.errors[prefix] = "write one directory per line as /dir: perm, perm"
			continue
		}
		perms[strings.TrimSpace(dir)] = splitList(list)
	}
	return perms
}

func formToFolders(p *formParser, prefix string) []dataprovider.VirtualFolder {
	names := p.column(prefix + ".name")
	var out []dataprovider.VirtualFolder
	for i, name := range names {
		name = strings.TrimSpace(name)
		vpath := strings.TrimSpace(nth(p.column(prefix+".virtual_path"), i))
		if name == "" && vpath == "" {
			continue
		}
		vf := dataprovider.VirtualFolder{VirtualPath: vpath}
		vf.Name = name
		qs := strings.TrimSpace(nth(p.column(prefix+".quota_size"), i))
		if qs == "-1" {
			vf.QuotaSize = -1
		} else if n, err := parseSize(qs); err != nil {
			p.errors[prefix] = "quota size: " + err.Error()
		} else {
			vf.QuotaSize = n
		}
		if qf := strings.TrimSpace(nth(p.column(prefix+".quota_files"), i)); qf != "" {
			n, err := strconv.Atoi(qf)
			if err != nil {
				p.errors[prefix] = "quota files must be a whole number"
			}
			vf.QuotaFiles = n
		}
		out = append(out, vf)
	}
	return out
}

func atoiOr(s string, p *formParser, field string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.errors[field] = "values must be whole numbers"
	}
	return n
}

func formToFilters(p *formParser, prefix string) dataprovider.UserFilters {
	n := func(s string) string { return prefix + "." + s }
	f := dataprovider.UserFilters{
		AllowedIP:          p.list(n("allowed_ip")),
		DeniedIP:           p.list(n("denied_ip")),
		DeniedLoginMethods: p.values(n("denied_login_methods")),
		DeniedProtocols:    p.values(n("denied_protocols")),
		MaxUploadFileSize:  p.size(n("max_upload_file_size")),
		TLSUsername:        p.str(n("tls_username")),
		Hooks: dataprovider.HooksFilter{
			ExternalAuthDisabled:  p.bool(n("hooks.external_auth_disabled")),
			PreLoginDisabled:      p.bool(n("hooks.pre_login_disabled")),
			CheckPasswordDisabled: p.bool(n("hooks.check_password_disabled")),
		},
		DisableFsChecks:         p.bool(n("disable_fs_checks")),
		WebClient:               p.values(n("web_client")),
		AllowAPIKeyAuth:         p.bool(n("allow_api_key_auth")),
		UserType:                p.str(n("user_type")),
		IsAnonymous:             p.bool(n("is_anonymous")),
		DefaultSharesExpiration: p.int(n("default_shares_expiration")),
		MaxSharesExpiration:     p.int(n("max_shares_expiration")),
		PasswordExpiration:      p.int(n("password_expiration")),
		PasswordStrength:        p.int(n("password_strength")),
		FTPSecurity:             p.int(n("ftp_security")),
		StartDirectory:          p.str(n("start_directory")),
		TwoFactorAuthProtocols:  p.values(n("two_factor_protocols")),
		RequirePasswordChange:   p.bool(n("require_password_change")),
		TLSCerts:                splitPEM(p.v.Get(n("tls_certs"))),
	}
	for i, path := range p.column(n("file_patterns.path")) {
		allowed := splitList(nth(p.column(n("file_patterns.allowed_patterns")), i))
		denied := splitList(nth(p.column(n("file_patterns.denied_patterns")), i))
		if strings.TrimSpace(path) == "" && len(allowed) == 0 && len(denied) == 0 {
			continue
		}
		f.FilePatterns = append(f.FilePatterns, dataprovider.PatternsFilter{Path: strings.TrimSpace(path),
			AllowedPatterns: allowed, DeniedPatterns: denied,
			DenyPolicy: int(atoiOr(nth(p.column(n("file_patterns.deny_policy")), i), p, n("file_patterns")))})
	}
	for i, src := range p.column(n("bandwidth_limits.sources")) {
		sources := splitList(src)
		up := atoiOr(nth(p.column(n("bandwidth_limits.upload_bandwidth")), i), p, n("bandwidth_limits"))
		down := atoiOr(nth(p.column(n("bandwidth_limits.download_bandwidth")), i), p, n("bandwidth_limits"))
		if len(sources) == 0 && up == 0 && down == 0 {
			continue
		}
		f.BandwidthLimits = append(f.BandwidthLimits, dataprovider.BandwidthLimit{Sources: sources, UploadBandwidth: up, DownloadBandwidth: down})
	}
	for i, src := range p.column(n("data_transfer_limits.sources")) {
		sources := splitList(src)
		up := atoiOr(nth(p.column(n("data_transfer_limits.upload_data_transfer")), i), p, n("data_transfer_limits"))
		down := atoiOr(nth(p.column(n("data_transfer_limits.download_data_transfer")), i), p, n("data_transfer_limits"))
		total := atoiOr(nth(p.column(n("data_transfer_limits.total_data_transfer")), i), p, n("data_transfer_limits"))
		if len(sources) == 0 && up == 0 && down == 0 && total == 0 {
			continue
		}
		f.DataTransferLimits = append(f.DataTransferLimits, dataprovider.DataTransferLimit{Sources: sources,
			UploadDataTransfer: up, DownloadDataTransfer: down, TotalDataTransfer: total})
	}
	for i, from := range p.column(n("access_time.from")) {
		to := strings.TrimSpace(nth(p.column(n("access_time.to")), i))
		from = strings.TrimSpace(from)
		if from == "" && to == "" {
			continue
		}
		day := atoiOr(nth(p.column(n("access_time.day_of_week")), i), p, n("access_time"))
		f.AccessTime = append(f.AccessTime, dataprovider.TimePeriod{DayOfWeek: int(day), From: from, To: to})
	}
	return f
}

// splitPEM splits concatenated PEM certificates.
func splitPEM(s string) []string {
	const end = "-----END CERTIFICATE-----"
	var out []string
	for {
		i := strings.Index(s, end)
		if i < 0 {
			break
		}
		if c := strings.TrimSpace(s[:i+len(end)]); c != "" {
			out = append(out, c)
		}
		s = s[i+len(end):]
	}
	if rest := strings.TrimSpace(s); rest != "" {
		out = append(out, rest)
	}
	return out
}
