package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Background owns the goroutines of asynchronous hooks (post-login,
// post-disconnect, asynchronous actions); Close cancels those still
// running and waits for them.
type Background struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewBackground returns a running Background.
func NewBackground() *Background {
	ctx, cancel := context.WithCancel(context.Background())
	return &Background{ctx: ctx, cancel: cancel}
}

// Go runs f in a goroutine with a context cancelled by Close.
func (b *Background) Go(f func(ctx context.Context)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f(b.ctx)
	}()
}

// Close waits for the running hooks until ctx is done, then cancels
// those still running (killing their programs).
func (b *Background) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	defer b.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	b.cancel()
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return ctx.Err()
}

// PostLogin is data_provider.post_login_hook: told about login outcomes,
// asynchronously.
type PostLogin struct {
	Runner *Runner
	BG     *Background
	Hook   string
	// Scope: 0 every login, 1 failed only, 2 successful only.
	Scope int
}

// Notify reports a login; user may be nil (unknown user: a user with
// only the username and id 0 is sent).
func (p *PostLogin) Notify(info LoginInfo, user *dataprovider.User, ok bool) {
	if (ok && p.Scope == 1) || (!ok && p.Scope == 2) {
		return
	}
	u := dataprovider.User{Username: info.Username}
	if user != nil {
		u = *user
	}
	u.HasPassword = u.HasPassword || u.Password != ""
	u.Password = ""
	status := "0"
	if ok {
		status = "1"
	}
	body, _ := json.Marshal(RedactUser(u))
	p.BG.Go(func(ctx context.Context) {
		if IsURL(p.Hook) {
			q := url.Values{"login_method": {info.Method}, "ip": {info.IP}, "protocol": {info.Protocol}, "status": {status}}
			resp, err := p.Runner.HTTP().Do(ctx, http.MethodPost, withQuery(p.Hook, q), body, "application/json")
			if err == nil && resp.StatusCode != http.StatusOK {
				p.Runner.Logger().Warn("post-login hook answered", "status", resp.StatusCode)
			}
			return
		}
		_, _ = p.Runner.Exec(ctx, KindPostLogin, p.Hook, env(
			"SFTPGO_LOGIND_USER", string(body),
			"SFTPGO_LOGIND_IP", info.IP,
			"SFTPGO_LOGIND_METHOD", info.Method,
			"SFTPGO_LOGIND_STATUS", status,
			"SFTPGO_LOGIND_PROTOCOL", info.Protocol,
		), connectTimeout)
	})
}

// PostDisconnect is common.post_disconnect_hook.
type PostDisconnect struct {
	Runner *Runner
	BG     *Background
	Hook   string
}

// Notify reports a closed connection, asynchronously.
func (p *PostDisconnect) Notify(protocol, ip, username string, duration time.Duration) {
	ms := itoa(duration.Milliseconds())
	p.BG.Go(func(ctx context.Context) {
		if IsURL(p.Hook) {
			q := url.Values{"ip": {ip}, "protocol": {protocol}, "username": {username}, "connection_duration": {ms}}
			_, _ = p.Runner.HTTP().Do(ctx, http.MethodGet, withQuery(p.Hook, q), nil, "")
			return
		}
		_, _ = p.Runner.Exec(ctx, KindPostDisconnect, p.Hook, env(
			"SFTPGO_CONNECTION_IP", ip,
			"SFTPGO_CONNECTION_USERNAME", username,
			"SFTPGO_CONNECTION_DURATION", ms,
			"SFTPGO_CONNECTION_PROTOCOL", protocol,
		), connectTimeout)
	})
}

// RunStartup runs common.startup_hook; an error must stop the start.
func RunStartup(ctx context.Context, r *Runner, hook string) error {
	if hook == "" {
		return nil
	}
	if IsURL(hook) {
		resp, err := r.HTTP().Do(ctx, http.MethodGet, hook, nil, "")
		if err != nil {
			return fmt.Errorf("startup hook: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("startup hook: HTTP status %d", resp.StatusCode)
		}
		return nil
	}
	_, err := r.Exec(ctx, KindStartup, hook, nil, 60*time.Second)
	return err
}
