package httpd

import (
	"net/http"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// brandNav is the branding of one UI (httpd.bindings[].branding) as the
// templates see it: every path is already a URL.
type brandNav struct {
	// Name is the page title suffix; ShortName the text beside the logo.
	Name      string
	ShortName string
	Favicon   string
	Logo      string
	// DisclaimerName labels a link to DisclaimerURL on the login pages and
	// in the page foot.
	DisclaimerName string
	DisclaimerURL  string
	// CSS replaces the default stylesheet when default_css is set;
	// ExtraCSS is added after it.
	CSS      []string
	ExtraCSS []string
	// SupportURL is the project link of the setup page; "" with
	// httpd.hide_support_link.
	SupportURL string
}

// supportURL is where the setup page's support link points.
const supportURL = "https://github.com/sftpgo-ng/sftpgo"

const defaultAppName = "SFTPGo"

// staticURL turns a path relative to static_files_path into its URL;
// an absolute http(s) URL stays as it is.
func (s *Server) staticURL(p string) string {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		return p
	}
	return s.webRoot + "/static/" + strings.TrimLeft(p, "/")
}

func (s *Server) brandFor(c config.BrandingConfig) *brandNav {
	b := &brandNav{
		Name:           c.Name,
		ShortName:      c.ShortName,
		Favicon:        s.webRoot + "/static/img/favicon.svg",
		Logo:           s.webRoot + "/static/img/logo.svg",
		DisclaimerName: c.DisclaimerName,
		CSS:            []string{s.webRoot + "/static/css/sftpgo-ng.css"},
	}
	if b.Name == "" {
		b.Name = defaultAppName
	}
	if b.ShortName == "" {
		b.ShortName = b.Name
	}
	if c.FaviconPath != "" {
		b.Favicon = s.staticURL(c.FaviconPath)
	}
	if c.LogoPath != "" {
		b.Logo = s.staticURL(c.LogoPath)
	}
	if c.DisclaimerPath != "" {
		b.DisclaimerURL = s.staticURL(c.DisclaimerPath)
		if b.DisclaimerName == "" {
			b.DisclaimerName = "Disclaimer"
		}
	} else {
		b.DisclaimerName = ""
	}
	if len(c.DefaultCSS) > 0 {
		b.CSS = nil
		for _, p := range c.DefaultCSS {
			b.CSS = append(b.CSS, s.staticURL(p))
		}
	}
	for _, p := range c.ExtraCSS {
		b.ExtraCSS = append(b.ExtraCSS, s.staticURL(p))
	}
	return b
}

// decoratePage adds what depends on the binding to a page: its branding
// and, on a login page, the sign-in choices.
func (s *Server) decoratePage(r *http.Request, name string, p *page) {
	admin := strings.HasPrefix(name, "admin/")
	var cfg config.BrandingConfig
	if wb := webBindingFrom(r.Context()); wb != nil {
		cfg = wb.b.Branding.WebClient
		if admin {
			cfg = wb.b.Branding.WebAdmin
		}
	}
	if p.Brand == nil {
		p.Brand = s.brandFor(cfg)
		if !s.cfg.HideSupportLink {
			p.Brand.SupportURL = supportURL
		}
	}
	if p.AppName == "" || p.AppName == defaultAppName {
		p.AppName = p.Brand.ShortName
	}
	if p.Login == nil && (name == "admin/login" || name == "client/login") {
		p.Login = s.loginNav(r, admin)
		if p.Login.OIDC {
			prefix := webClientPrefix
			if admin {
				prefix = webAdminPrefix
			}
			p.Login.OIDCURL = s.webRoot + prefix + oidcLoginPath
		}
	}
	if p.Login == nil {
		p.Login = &loginNav{}
	}
}
