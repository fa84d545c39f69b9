package common

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// ActionHook runs the custom actions of common.actions; *hooks.FsActions
// satisfies it and service wires it through Deps.Actions.
type ActionHook interface {
	// Wants reports whether action fires the hook and whether the
	// operation waits for its result.
	Wants(action string) (fire, sync bool)
	// Run calls the hook and waits for its verdict.
	Run(ctx context.Context, ev *hooks.FsEvent) error
	// Go calls the hook in the background.
	Go(ev *hooks.FsEvent)
}

// Filesystem actions, as common.actions.execute_on names them.
const (
	ActionUpload      = "upload"
	ActionPreUpload   = "pre-upload"
	ActionDownload    = "download"
	ActionPreDownload = "pre-download"
	ActionDelete      = "delete"
	ActionPreDelete   = "pre-delete"
	ActionRename      = "rename"
	ActionMkdir       = "mkdir"
	ActionRmdir       = "rmdir"
	ActionSSHCmd      = "ssh_cmd"
	ActionCopy        = "copy"
	// ActionFirstUpload and ActionFirstDownload fire, besides upload and
	// download, for the user's very first one (recorded in the store).
	ActionFirstUpload   = "first-upload"
	ActionFirstDownload = "first-download"
)

// actionProtocol is the protocol an action reports: SSH sessions say
// SFTP, SCP or SSH (other commands) depending on what runs.
func (c *BaseConnection) actionProtocol() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shownProtocol()
}

// shownProtocol is the protocol actions and the connection list report,
// as SFTPGo names it; the caller holds c.mu.
func (c *BaseConnection) shownProtocol() string {
	if c.protocol != dataprovider.ProtocolSSH {
		return c.protocol
	}
	name, _, _ := strings.Cut(c.command, " ")
	switch name {
	case "scp":
		return "SCP"
	case "md5sum", "sha1sum", "sha256sum", "sha384sum", "sha512sum", "cd", "pwd", "sftpgo-copy", "sftpgo-remove":
		return "SSH"
	}
	return "SFTP"
}

// actionEvent describes an operation on loc (and target, for renames).
func (c *BaseConnection) actionEvent(action string, loc, target *location) *hooks.FsEvent {
	ev := &hooks.FsEvent{Action: action, Username: c.User.Username, Protocol: c.actionProtocol(),
		IP: hostOf(c.remoteAddr), SessionID: c.id, Role: c.User.Role, Status: hooks.StatusOK}
	if loc != nil {
		ev.VirtualPath, ev.Path, ev.Metadata = loc.vpath, actionPath(loc), loc.metadata
		fsc := c.User.FsConfig
		if loc.folder != nil {
			fsc = loc.folder.FsConfig
		}
		ev.FsProvider = int(fsc.Provider)
		switch fsc.Provider {
		case dataprovider.S3FilesystemProvider:
			ev.Bucket, ev.Endpoint = fsc.S3Config.Bucket, fsc.S3Config.Endpoint
		case dataprovider.GCSFilesystemProvider:
			ev.Bucket = fsc.GCSConfig.Bucket
		case dataprovider.AzureBlobFilesystemProvider:
			ev.Bucket, ev.Endpoint = fsc.AzBlobConfig.Container, fsc.AzBlobConfig.Endpoint
		case dataprovider.SFTPFilesystemProvider:
			ev.Endpoint = fsc.SFTPConfig.Endpoint
		}
	}
	if target != nil {
		ev.VirtualTargetPath, ev.TargetPath = target.vpath, actionPath(target)
	}
	return ev
}

// actionPath is the storage path of loc: the host path on local storage,
// the backend path elsewhere.
func actionPath(loc *location) string {
	if p, ok, err := vfs.LocalPath(loc.fs, loc.fsPath); ok && err == nil {
		return p
	}
	return loc.fsPath
}

func actionStatus(err error) int {
	switch {
	case err == nil:
		return hooks.StatusOK
	case errors.Is(err, vfs.ErrQuotaExceeded):
		return hooks.StatusQuotaExceeded
	}
	return hooks.StatusError
}

// preAction runs a pre-* action before the operation on loc; a failing
// hook refuses it with permission denied.
func (c *BaseConnection) preAction(ctx context.Context, action string, loc *location, size int64) error {
	a := c.srv.deps.Actions
	if a == nil {
		return nil
	}
	if fire, _ := a.Wants(action); !fire {
		return nil
	}
	ev := c.actionEvent(action, loc, nil)
	ev.FileSize = size
	if err := a.Run(ctx, ev); err != nil {
		c.log.Info("operation refused by the action hook", "action", action, "path", loc.vpath, "error", err)
		return errPermissionDenied()
	}
	return nil
}

// postAction reports a finished operation. For synchronous actions it
// waits and returns the hook's error; otherwise the hook runs in the
// background and the result is nil.
func (c *BaseConnection) postAction(action string, loc, target *location, size int64, elapsed time.Duration, opErr error) error {
	a := c.srv.deps.Actions
	if a == nil {
		return nil
	}
	fire, sync := a.Wants(action)
	if !fire {
		return nil
	}
	ev := c.actionEvent(action, loc, target)
	ev.FileSize, ev.Elapsed, ev.Status = size, elapsed.Milliseconds(), actionStatus(opErr)
	if !sync {
		a.Go(ev)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := a.Run(ctx, ev); err != nil {
		c.log.Warn("synchronous action failed", "action", action, "path", ev.VirtualPath, "error", err)
		return err
	}
	return nil
}

// SSHCommandDone reports an SSH command (ssh_cmd) that ran on vpath
// (empty when it names no file).
func (c *BaseConnection) SSHCommandDone(command, vpath string, failed bool) {
	a := c.srv.deps.Actions
	if a == nil {
		return
	}
	if fire, _ := a.Wants(ActionSSHCmd); !fire {
		return
	}
	var loc *location
	if vpath != "" {
		loc, _ = c.resolve(vpath)
	}
	ev := c.actionEvent(ActionSSHCmd, loc, nil)
	ev.SSHCmd, ev.Status = command, hooks.StatusOK
	if failed {
		ev.Status = hooks.StatusError
	}
	a.Go(ev)
}

// DisconnectHook is told about finished SSH and FTP sessions
// (common.post_disconnect_hook); *hooks.PostDisconnect satisfies it.
type DisconnectHook interface {
	Notify(protocol, ip, username string, duration time.Duration)
}

// postDisconnect reports the end of the session, as SFTPGo does for the
// connection-oriented protocols only.
func (c *BaseConnection) postDisconnect() {
	h := c.srv.deps.PostDisconnect
	if h == nil || (c.protocol != dataprovider.ProtocolSSH && c.protocol != dataprovider.ProtocolFTP) {
		return
	}
	h.Notify(c.protocol, hostOf(c.remoteAddr), c.User.Username, time.Since(c.connTime))
}

// firstTransferStore records first transfers; *dataprovider.Store
// satisfies it.
type firstTransferStore interface {
	MarkFirstTransfer(ctx context.Context, username string, upload bool) (bool, error)
}

// firstTransfer records a successful upload (download) as the user's
// first when none is recorded yet, and then fires first-upload
// (first-download). A session asks the store at most once per direction.
func (c *BaseConnection) firstTransfer(upload bool, loc *location, size int64, elapsed time.Duration) {
	seen, flag, action := c.User.FirstDownload, &c.firstDown, ActionFirstDownload
	if upload {
		seen, flag, action = c.User.FirstUpload, &c.firstUp, ActionFirstUpload
	}
	if seen != 0 || flag.Swap(true) {
		return
	}
	st, ok := c.srv.deps.Store.(firstTransferStore)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := st.MarkFirstTransfer(ctx, c.User.Username, upload)
	if err != nil {
		c.log.Warn("unable to record the first transfer", "upload", upload, "error", err)
		return
	}
	if first {
		_ = c.postAction(action, loc, nil, size, elapsed, nil)
	}
}

// JoinActionHooks combines the consumers of filesystem events (the
// custom actions and the event manager) into one ActionHook: each gets
// the events it wants, the synchronous ones wait for each other in
// order and the first failure is the verdict. Nil hooks are skipped.
func JoinActionHooks(list ...ActionHook) ActionHook {
	var hs joinedHooks
	for _, h := range list {
		if h != nil {
			hs = append(hs, h)
		}
	}
	switch len(hs) {
	case 0:
		return nil
	case 1:
		return hs[0]
	}
	return hs
}

type joinedHooks []ActionHook

func (j joinedHooks) Wants(action string) (fire, sync bool) {
	for _, h := range j {
		f, s := h.Wants(action)
		fire, sync = fire || f, sync || (f && s)
	}
	return fire, sync
}

func (j joinedHooks) Run(ctx context.Context, ev *hooks.FsEvent) error {
	var first error
	for _, h := range j {
		fire, sync := h.Wants(ev.Action)
		switch {
		case !fire:
		case sync || strings.HasPrefix(ev.Action, "pre-"):
			if err := h.Run(ctx, ev); err != nil && first == nil {
				first = err
			}
		default:
			h.Go(ev)
		}
	}
	return first
}

func (j joinedHooks) Go(ev *hooks.FsEvent) {
	for _, h := range j {
		if fire, _ := h.Wants(ev.Action); fire {
			h.Go(ev)
		}
	}
}
