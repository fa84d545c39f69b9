package httpd

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/defender"
)

// defenderHost is one entry of GET /api/v2/defender/hosts.
type defenderHost struct {
	ID      string `json:"id"`
	IP      string `json:"ip"`
	Score   int    `json:"score,omitempty"`
	BanTime string `json:"ban_time,omitempty"`
}

func toDefenderHost(h defender.Host) defenderHost {
	out := defenderHost{ID: h.ID(), IP: h.IP, Score: h.Score}
	if !h.BanTime.IsZero() {
		out.BanTime = h.BanTime.UTC().Format(time.RFC3339)
	}
	return out
}

// defenderRoutes registers /defender/hosts under the admin API.
func (s *Server) defenderRoutes(r chi.Router) {
	r.With(s.checkPerm(dataprovider.AdminPermViewDefender)).Get("/defender/hosts", s.listDefenderHosts)
	r.With(s.checkPerm(dataprovider.AdminPermViewDefender)).Get("/defender/hosts/{id}", s.getDefenderHost)
	r.With(s.checkPerm(dataprovider.AdminPermManageDefender)).Delete("/defender/hosts/{id}", s.deleteDefenderHost)
}

func (s *Server) defender() *defender.Defender {
	if s.guard == nil {
		return nil
	}
	return s.guard.Defender()
}

func (s *Server) listDefenderHosts(w http.ResponseWriter, r *http.Request) {
	out := []defenderHost{}
	if d := s.defender(); d != nil {
		hosts, err := d.Hosts(r.Context())
		if err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		for _, h := range hosts {
			out = append(out, toDefenderHost(h))
		}
	}
	renderJSON(w, http.StatusOK, out)
}

// defenderHostIP decodes the {id} of a defender host route.
func (s *Server) defenderHostIP(w http.ResponseWriter, r *http.Request) (*defender.Defender, string, bool) {
	ip, ok := defender.IPFromID(chi.URLParam(r, "id"))
	if !ok {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("invalid host id"))
		return nil, "", false
	}
	d := s.defender()
	if d == nil {
		sendAPIError(w, r, http.StatusNotFound, errors.New("the defender is not enabled"))
		return nil, "", false
	}
	return d, ip, true
}

func (s *Server) getDefenderHost(w http.ResponseWriter, r *http.Request) {
	d, ip, ok := s.defenderHostIP(w, r)
	if !ok {
		return
	}
	h, err := d.Host(r.Context(), ip)
	if errors.Is(err, defender.ErrHostNotFound) {
		sendAPIError(w, r, http.StatusNotFound, errors.New("host not found"))
		return
	}
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, toDefenderHost(h))
}

func (s *Server) deleteDefenderHost(w http.ResponseWriter, r *http.Request) {
	d, ip, ok := s.defenderHostIP(w, r)
	if !ok {
		return
	}
	err := d.DeleteHost(r.Context(), ip)
	if errors.Is(err, defender.ErrHostNotFound) {
		sendAPIError(w, r, http.StatusNotFound, errors.New("host not found"))
		return
	}
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "OK")
}
