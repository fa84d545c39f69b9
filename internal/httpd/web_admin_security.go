package httpd

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/defender"
)

// Web admin pages for roles, defender hosts and IP lists, over the same
// store and defender calls as the REST API.

func (s *Server) webAdminSecurityRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.webPerm(dataprovider.AdminPermManageRoles))
		r.Get("/roles", s.webAdminRoles)
		r.Get("/role", s.webAdminRoleNew)
		r.Post("/role", s.webAdminRoleSave)
		r.Get("/role/{name}", s.webAdminRoleEdit)
		r.Post("/role/{name}", s.webAdminRoleSave)
		r.Post("/role/{name}/delete", s.webAdminRoleDelete)
	})
	r.With(s.webPerm(dataprovider.AdminPermViewDefender)).Get("/defender", s.webAdminDefender)
	r.With(s.webPerm(dataprovider.AdminPermManageDefender)).Post("/defender/{id}/delete", s.webAdminDefenderUnban)
	r.Group(func(r chi.Router) {
		r.Use(s.webPerm(dataprovider.AdminPermManageIPLists))
		r.Get("/iplists", s.webAdminIPLists)
		r.Post("/iplists/{type}", s.webAdminIPListAdd)
		r.Post("/iplists/{type}/delete", s.webAdminIPListDelete)
	})
}

// ---- roles

type roleForm struct {
	IsNew  bool
	Role   dataprovider.Role
	Users  []string
	Admins []string
}

func (s *Server) webAdminRoles(w http.ResponseWriter, r *http.Request) {
	rs, err := s.roles()
	var list []dataprovider.Role
	if err == nil {
		list, err = rs.ListRoles(r.Context(), maxListLimit, 0, "ASC")
	}
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	p := s.adminPage(r, "Roles", "roles")
	p.Data = list
	s.render(w, r, http.StatusOK, "admin/roles", p)
}

func (s *Server) webAdminRoleNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "Add role", "roles")
	p.Data = roleForm{IsNew: true}
	s.render(w, r, http.StatusOK, "admin/role", p)
}

func (s *Server) webAdminRoleEdit(w http.ResponseWriter, r *http.Request) {
	rs, err := s.roles()
	var role dataprovider.Role
	if err == nil {
		role, err = rs.GetRole(r.Context(), urlParam(r, "name"))
	}
	if err != nil {
		s.webError(w, r, errorStatus(err), "Role not found.", true)
		return
	}
	p := s.adminPage(r, "Role "+role.Name, "roles")
	p.Form = url.Values{"name": {role.Name}, "description": {role.Description}}
	p.Data = roleForm{Role: role, Users: role.Users, Admins: role.Admins}
	s.render(w, r, http.StatusOK, "admin/role", p)
}

func (s *Server) webAdminRoleSave(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	isNew := name == ""
	role := dataprovider.Role{Name: name, Description: strings.TrimSpace(r.PostFormValue("description"))}
	if isNew {
		role.Name = strings.TrimSpace(r.PostFormValue("name"))
	}
	rs, err := s.roles()
	if err == nil {
		if isNew {
			err = rs.AddRole(r.Context(), &role)
		} else {
			err = rs.UpdateRole(r.Context(), &role)
		}
	}
	if err != nil {
		p := s.adminPage(r, "Role", "roles")
		p.Form = url.Values{"name": {role.Name}, "description": {role.Description}}
		p.Error = err.Error()
		p.Data = roleForm{IsNew: isNew, Role: role}
		s.render(w, r, http.StatusBadRequest, "admin/role", p)
		return
	}
	verb := "updated"
	if isNew {
		verb = "created"
	}
	s.redirectFlash(w, r, webAdminPrefix+"/roles", "ok", "Role "+role.Name+" "+verb+".")
}

func (s *Server) webAdminRoleDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	rs, err := s.roles()
	if err == nil {
		err = rs.DeleteRole(r.Context(), name)
	}
	if err != nil {
		msg := "Unable to delete the role: " + err.Error()
		if errors.Is(err, dataprovider.ErrConflict) {
			msg = "Role " + name + " is still held by users or admins: change their role first."
		}
		s.redirectFlash(w, r, webAdminPrefix+"/roles", "error", msg)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/roles", "ok", "Role "+name+" deleted.")
}

// ---- defender

type defenderPage struct {
	Enabled   bool
	Hosts     []defenderHost
	CanManage bool
}

func (s *Server) webAdminDefender(w http.ResponseWriter, r *http.Request) {
	d := defenderPage{CanManage: authFromContext(r.Context()).admin.HasPermission(dataprovider.AdminPermManageDefender)}
	if df := s.defender(); df != nil {
		d.Enabled = true
		hosts, err := df.Hosts(r.Context())
		if err != nil {
			s.webError(w, r, http.StatusInternalServerError, "Unable to read the defender hosts.", true)
			return
		}
		for _, h := range hosts {
			d.Hosts = append(d.Hosts, toDefenderHost(h))
		}
	}
	p := s.adminPage(r, "Defender", "defender")
	p.Data = d
	s.render(w, r, http.StatusOK, "admin/defender", p)
}

func (s *Server) webAdminDefenderUnban(w http.ResponseWriter, r *http.Request) {
	ip, ok := defender.IPFromID(chi.URLParam(r, "id"))
	df := s.defender()
	if !ok || df == nil {
		s.redirectFlash(w, r, webAdminPrefix+"/defender", "error", "Unknown host.")
		return
	}
	if err := df.DeleteHost(r.Context(), ip); err != nil {
		s.redirectFlash(w, r, webAdminPrefix+"/defender", "error", "Host "+ip+" not found.")
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/defender", "ok", "Host "+ip+" removed from the defender.")
}

// ---- IP lists

type ipListRow struct {
	dataprovider.IPListEntry
	Protos string
}

type ipListsPage struct {
	Type    int
	Types   []option
	Entries []ipListRow
	// ProtoNames are the protocols an entry may be limited to.
	ProtoNames []string
	// Query is the address or network prefix searched; From the entry the
	// page starts after ("" for the first page); Next the last entry shown
	// when more follow.
	Query, From, Next string
}

// ipListPageSize is how many entries the IP list page shows at once: a
// list may hold a million, the page walks it by address.
const ipListPageSize = 100

var ipListTypes = []option{{Value: "1", Label: "Allow list"}, {Value: "2", Label: "Defender"}, {Value: "3", Label: "Rate limiter safe list"}}

var ipListProtos = []struct {
	bit  int
	name string
}{{dataprovider.IPListProtoSSH, "SSH"}, {dataprovider.IPListProtoFTP, "FTP"}, {dataprovider.IPListProtoDAV, "DAV"}, {dataprovider.IPListProtoHTTP, "HTTP"}}

func protoNames(mask int) string {
	if mask == 0 {
		return "all"
	}
	var out []string
	for _, p := range ipListProtos {
		if mask&p.bit != 0 {
			out = append(out, p.name)
		}
	}
	return strings.Join(out, ", ")
}

func webIPListType(v string) (dataprovider.IPListType, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 3 {
		return 0, false
	}
	return dataprovider.IPListType(n), true
}

func (s *Server) webAdminIPLists(w http.ResponseWriter, r *http.Request) {
	t, ok := webIPListType(r.URL.Query().Get("type"))
	if !ok {
		t = dataprovider.IPListTypeAllowList
	}
	st, ok := s.store.(ipListStore)
	if !ok {
		s.webError(w, r, http.StatusNotImplemented, "IP lists are not supported by this data provider.", true)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	from := strings.TrimSpace(r.URL.Query().Get("from"))
	entries, err := st.ListIPListEntries(r.Context(), dataprovider.IPListQuery{Type: t, Filter: q, From: from, Limit: ipListPageSize + 1})
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	d := ipListsPage{Type: int(t), Types: ipListTypes, ProtoNames: []string{"SSH", "FTP", "DAV", "HTTP"}, Query: q, From: from}
	if len(entries) > ipListPageSize {
		entries = entries[:ipListPageSize]
		d.Next = entries[len(entries)-1].IPOrNet
	}
	for _, e := range entries {
		d.Entries = append(d.Entries, ipListRow{IPListEntry: e, Protos: protoNames(e.Protocols)})
	}
	p := s.adminPage(r, "IP lists", "iplists")
	p.Data = d
	s.render(w, r, http.StatusOK, "admin/iplists", p)
}

func (s *Server) webAdminIPListAdd(w http.ResponseWriter, r *http.Request) {
	t, ok := webIPListType(chi.URLParam(r, "type"))
	st, sok := s.store.(ipListStore)
	back := webAdminPrefix + "/iplists?type=" + chi.URLParam(r, "type")
	if !ok || !sok {
		s.redirectFlash(w, r, back, "error", "Unknown IP list.")
		return
	}
	mode, _ := strconv.Atoi(r.PostFormValue("mode"))
	if t != dataprovider.IPListTypeDefender {
		mode = dataprovider.ListModeAllow
	}
	protos := 0
	for _, v := range r.PostForm["protocols"] {
		for _, p := range ipListProtos {
			if v == p.name {
				protos |= p.bit
			}
		}
	}
	e := dataprovider.IPListEntry{Type: t, IPOrNet: strings.TrimSpace(r.PostFormValue("ipornet")), Mode: mode,
		Protocols: protos, Description: strings.TrimSpace(r.PostFormValue("description"))}
	if err := st.AddIPListEntry(r.Context(), &e); err != nil {
		s.redirectFlash(w, r, back, "error", "Unable to add the entry: "+err.Error())
		return
	}
	s.ipListChanged(r.Context())
	s.redirectFlash(w, r, back, "ok", "Entry "+e.IPOrNet+" added.")
}

func (s *Server) webAdminIPListDelete(w http.ResponseWriter, r *http.Request) {
	t, ok := webIPListType(chi.URLParam(r, "type"))
	st, sok := s.store.(ipListStore)
	back := webAdminPrefix + "/iplists?type=" + chi.URLParam(r, "type")
	ipOrNet := r.PostFormValue("ipornet")
	if !ok || !sok {
		s.redirectFlash(w, r, back, "error", "Unknown IP list.")
		return
	}
	if err := st.DeleteIPListEntry(r.Context(), t, ipOrNet); err != nil {
		s.redirectFlash(w, r, back, "error", "Unable to delete "+ipOrNet+": "+err.Error())
		return
	}
	s.ipListChanged(r.Context())
	s.redirectFlash(w, r, back, "ok", "Entry "+ipOrNet+" deleted.")
}
