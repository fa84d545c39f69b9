package smtp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuth2 providers (smtp.oauth2.provider).
const (
	OAuth2Google    = 0
	OAuth2Microsoft = 1
)

// WithOAuth2TokenURL replaces the provider's token endpoint (a national
// cloud, a proxy, tests).
func WithOAuth2TokenURL(u string) Option { return func(c *Client) { c.tokenURL = u } }

// oauth2Source returns the access tokens XOAUTH2 sends as the password:
// they are refreshed with smtp.oauth2.refresh_token when they expire and
// reused until then.
func (c *Client) oauth2Source() (*refreshSource, error) {
	o := c.cfg.OAuth2
	if o.ClientID == "" || o.ClientSecret == "" || o.RefreshToken == "" {
		return nil, errors.New("smtp: auth_type 3 (XOAUTH2) needs oauth2.client_id, client_secret and refresh_token")
	}
	if c.cfg.User == "" {
		return nil, errors.New("smtp: auth_type 3 (XOAUTH2) needs user, the mailbox to send as")
	}
	var tokenURL string
	var scopes []string
	switch o.Provider {
	case OAuth2Google:
		tokenURL = "https://oauth2.googleapis.com/token"
		scopes = []string{"https://mail.google.com/"}
	case OAuth2Microsoft:
		tenant := o.Tenant
		if tenant == "" {
			tenant = "common"
		}
		tokenURL = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
		scopes = []string{"offline_access", "https://outlook.office.com/SMTP.Send"}
	default:
		return nil, fmt.Errorf("smtp: invalid oauth2.provider %d", o.Provider)
	}
	if c.tokenURL != "" {
		tokenURL = c.tokenURL
	}
	return &refreshSource{url: tokenURL, clientID: o.ClientID, secret: o.ClientSecret, refresh: o.RefreshToken,
		scope: strings.Join(scopes, " "), http: &http.Client{Timeout: c.timeout}}, nil
}

// refreshSource trades the refresh token for access tokens (RFC 6749
// section 6, with the scope Microsoft wants on every refresh) and keeps
// the current one until a minute before it expires. A rotated refresh
// token in the answer replaces the configured one for this process.
type refreshSource struct {
	url, clientID, secret, scope string
	http                         *http.Client

	mu      sync.Mutex
	refresh string
	access  string
	expiry  time.Time
}

func (r *refreshSource) Token(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.access != "" && time.Now().Before(r.expiry) {
		return r.access, nil
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.refresh},
		"client_id": {r.clientID}, "client_secret": {r.secret}, "scope": {r.scope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken  string `json:"access_token"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20))
	if err := dec.Decode(&body); err != nil && resp.StatusCode == http.StatusOK {
		return "", fmt.Errorf("token endpoint answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		msg := strings.TrimSpace(body.Error + " " + body.Description)
		if msg == "" {
			msg = "no access_token"
		}
		return "", fmt.Errorf("token endpoint %s: %s: %s", r.url, resp.Status, msg)
	}
	if body.RefreshToken != "" {
		r.refresh = body.RefreshToken
	}
	r.access = body.AccessToken
	life := time.Duration(body.ExpiresIn) * time.Second
	if life <= 0 {
		life = 5 * time.Minute
	}
	r.expiry = time.Now().Add(life - time.Minute)
	return r.access, nil
}
