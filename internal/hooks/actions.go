package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Default time limits of actions when the command section sets none.
const (
	fsActionTimeout       = 30 * time.Second
	providerActionTimeout = 15 * time.Second
)

// Action statuses (SFTPGO_ACTION_STATUS, "status").
const (
	StatusOK            = 1
	StatusError         = 2
	StatusQuotaExceeded = 3
)

// FsEvent is one filesystem operation reported to common.actions.
type FsEvent struct {
	Action            string            `json:"action"`
	Username          string            `json:"username"`
	Path              string            `json:"path"`
	TargetPath        string            `json:"target_path,omitempty"`
	VirtualPath       string            `json:"virtual_path"`
	VirtualTargetPath string            `json:"virtual_target_path,omitempty"`
	SSHCmd            string            `json:"ssh_cmd,omitempty"`
	FileSize          int64             `json:"file_size,omitempty"`
	Elapsed           int64             `json:"elapsed,omitempty"`
	FsProvider        int               `json:"fs_provider"`
	Bucket            string            `json:"bucket,omitempty"`
	Endpoint          string            `json:"endpoint,omitempty"`
	Status            int               `json:"status"`
	Protocol          string            `json:"protocol"`
	IP                string            `json:"ip"`
	SessionID         string            `json:"session_id"`
	OpenFlags         int               `json:"open_flags,omitempty"`
	Role              string            `json:"role,omitempty"`
	Timestamp         int64             `json:"timestamp"`
	Metadata          map[string]string `json:"metadata,omitempty"`
}

func (e *FsEvent) env() []string {
	out := env(
		"SFTPGO_ACTION", e.Action,
		"SFTPGO_ACTION_USERNAME", e.Username,
		"SFTPGO_ACTION_PATH", e.Path,
		"SFTPGO_ACTION_TARGET", e.TargetPath,
		"SFTPGO_ACTION_VIRTUAL_PATH", e.VirtualPath,
		"SFTPGO_ACTION_VIRTUAL_TARGET", e.VirtualTargetPath,
		"SFTPGO_ACTION_SSH_CMD", e.SSHCmd,
		"SFTPGO_ACTION_FILE_SIZE", nonZero(e.FileSize),
		"SFTPGO_ACTION_ELAPSED", nonZero(e.Elapsed),
		"SFTPGO_ACTION_FS_PROVIDER", strconv.Itoa(e.FsProvider),
		"SFTPGO_ACTION_BUCKET", e.Bucket,
		"SFTPGO_ACTION_ENDPOINT", e.Endpoint,
		"SFTPGO_ACTION_STATUS", strconv.Itoa(e.Status),
		"SFTPGO_ACTION_PROTOCOL", e.Protocol,
		"SFTPGO_ACTION_IP", e.IP,
		"SFTPGO_ACTION_SESSION_ID", e.SessionID,
		"SFTPGO_ACTION_OPEN_FLAGS", nonZero(int64(e.OpenFlags)),
		"SFTPGO_ACTION_ROLE", e.Role,
		"SFTPGO_ACTION_TIMESTAMP", strconv.FormatInt(e.Timestamp, 10),
	)
	if len(e.Metadata) > 0 {
		data, _ := json.Marshal(e.Metadata)
		out = append(out, "SFTPGO_ACTION_METADATA="+string(data))
	}
	return out
}

func nonZero(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// FsActions is common.actions: a hook run for the configured filesystem
// operations, synchronously for pre-* operations and those in
// execute_sync, in the background otherwise.
type FsActions struct {
	Runner      *Runner
	BG          *Background
	Hook        string
	ExecuteOn   []string
	ExecuteSync []string
}

// Wants reports whether action fires the hook and whether the operation
// waits for (and depends on) its result.
func (a *FsActions) Wants(action string) (fire, sync bool) {
	if a == nil || a.Hook == "" || !slices.Contains(a.ExecuteOn, action) {
		return false, false
	}
	return true, strings.HasPrefix(action, "pre-") || slices.Contains(a.ExecuteSync, action)
}

// Run calls the hook for ev and waits for it: a non-zero exit or a status
// other than 200 is an error.
func (a *FsActions) Run(ctx context.Context, ev *FsEvent) error {
	if ev.Timestamp == 0 {
		ev.Timestamp = time.Now().UnixNano()
	}
	if IsURL(a.Hook) {
		body, _ := json.Marshal(ev)
		resp, err := a.Runner.HTTP().Do(ctx, http.MethodPost, a.Hook, body, "application/json")
		if err != nil {
			return fmt.Errorf("action %s: %w", ev.Action, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("action %s: HTTP status %d: %w", ev.Action, resp.StatusCode, ErrDenied)
		}
		return nil
	}
	_, err := a.Runner.Exec(ctx, KindFsActions, a.Hook, ev.env(), fsActionTimeout)
	return err
}

// Go calls the hook for ev in the background.
func (a *FsActions) Go(ev *FsEvent) {
	if ev.Timestamp == 0 {
		ev.Timestamp = time.Now().UnixNano()
	}
	a.BG.Go(func(ctx context.Context) { _ = a.Run(ctx, ev) })
}

// ProviderActions is data_provider.actions: a hook told, in the
// background, about added, updated and deleted provider objects.
type ProviderActions struct {
	Runner     *Runner
	BG         *Background
	Hook       string
	ExecuteOn  []string
	ExecuteFor []string
}

// Notify is a dataprovider.ObjectChangeFunc.
func (p *ProviderActions) Notify(ch dataprovider.ObjectChange) {
	if p.Hook == "" || !slices.Contains(p.ExecuteOn, ch.Action) || !slices.Contains(p.ExecuteFor, ch.ObjectType) {
		return
	}
	body, err := json.Marshal(RedactObject(ch.Object))
	if err != nil {
		p.Runner.Logger().Warn("provider action: cannot encode object", "object_type", ch.ObjectType, "error", err)
		return
	}
	ts := strconv.FormatInt(time.Now().UnixNano(), 10)
	p.BG.Go(func(ctx context.Context) {
		if IsURL(p.Hook) {
			q := url.Values{"action": {ch.Action}, "username": {ch.Actor.Username}, "ip": {ch.Actor.IP},
				"object_type": {ch.ObjectType}, "object_name": {ch.ObjectName}, "timestamp": {ts}}
			if ch.Actor.Role != "" {
				q.Set("role", ch.Actor.Role)
			}
			resp, err := p.Runner.HTTP().Do(ctx, http.MethodPost, withQuery(p.Hook, q), body, "application/json")
			if err == nil && resp.StatusCode != http.StatusOK {
				p.Runner.Logger().Warn("provider action answered", "status", resp.StatusCode, "object_type", ch.ObjectType)
			}
			return
		}
		_, _ = p.Runner.Exec(ctx, KindProviderActions, p.Hook, env(
			"SFTPGO_PROVIDER_ACTION", ch.Action,
			"SFTPGO_PROVIDER_OBJECT_TYPE", ch.ObjectType,
			"SFTPGO_PROVIDER_OBJECT_NAME", ch.ObjectName,
			"SFTPGO_PROVIDER_USERNAME", ch.Actor.Username,
			"SFTPGO_PROVIDER_IP", ch.Actor.IP,
			"SFTPGO_PROVIDER_ROLE", ch.Actor.Role,
			"SFTPGO_PROVIDER_TIMESTAMP", ts,
			"SFTPGO_PROVIDER_OBJECT", string(body),
		), providerActionTimeout)
	})
}
