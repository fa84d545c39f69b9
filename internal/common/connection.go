package common

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// BaseConnection is one logged-in session of any protocol. It maps the
// user's virtual paths onto storage backends (the home and its virtual
// folders) and implements every file operation in virtual-path terms,
// checking permissions, file patterns and quotas.
type BaseConnection struct {
	// User is the effective user; protocols must not change it once the
	// connection is registered.
	User dataprovider.User

	id            string
	protocol      string
	remoteAddr    string
	clientVersion string
	srv           *Server
	log           *slog.Logger
	connTime      time.Time
	lastActivity  atomic.Int64
	ctx           context.Context
	cancel        context.CancelFunc
	disconnect    func() error

	mu        sync.Mutex
	localAddr string
	command   string
	fss       map[string]openFs // "" is the home, else folder name
	transfers map[int64]*Transfer
	nextTrID  int64
	closed    bool

	// first upload/download already looked at (actions.go)
	firstUp, firstDown atomic.Bool
}

// NewConnection creates the session state of an authenticated user. id
// must be unique in the process; disconnect (optional) closes the network
// connection and is called by CloseConnection and the idle checker. The
// connection is not registered: call AddConnection, and Close in any
// case (it releases the storages the session opened).
func (s *Server) NewConnection(id, protocol, remoteAddr, clientVersion string, user dataprovider.User, disconnect func() error) *BaseConnection {
	ctx, cancel := context.WithCancel(context.Background())
	c := &BaseConnection{
		User:          user,
		id:            id,
		protocol:      protocol,
		remoteAddr:    remoteAddr,
		clientVersion: clientVersion,
		srv:           s,
		connTime:      time.Now(),
		ctx:           ctx,
		cancel:        cancel,
		disconnect:    disconnect,
		fss:           make(map[string]openFs),
		transfers:     make(map[int64]*Transfer),
	}
	c.log = s.log.With("conn_id", id, "user", user.Username, "proto", protocol, "remote", remoteAddr)
	c.lastActivity.Store(c.connTime.UnixNano())
	c.createMountParents()
	return c
}

// createMountParents creates, through the storage (so symlinks cannot
// redirect it), the directories that lead to virtual folders mounted
// deeper than the root, as real directories are what clients expect to
// create files next to. Failures only leave them virtual.
func (c *BaseConnection) createMountParents() {
	for _, f := range c.User.VirtualFolders {
		dir := path.Dir(dataprovider.CleanVirtualPath(f.VirtualPath))
		if dir == "/" {
			continue
		}
		var parts []string
		for d := dir; d != "/"; d = path.Dir(d) {
			parts = append(parts, d)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			loc, err := c.resolve(parts[i])
			if err != nil || loc.fsPath == "/" {
				break
			}
			if err := loc.fs.Mkdir(c.ctx, loc.fsPath); err != nil && !errors.Is(err, fs.ErrExist) {
				c.log.Debug("unable to create a virtual folder's parent", "path", parts[i], "error", err)
				break
			}
		}
	}
}

// ID returns the connection id.
func (c *BaseConnection) ID() string { return c.id }

// Protocol returns the protocol name (SSH, FTP, DAV, HTTP).
func (c *BaseConnection) Protocol() string { return c.protocol }

// RemoteAddr returns the client address.
func (c *BaseConnection) RemoteAddr() string { return c.remoteAddr }

// SetLocalAddr records the address the connection arrived on, for the
// transfer log lines (SFTPGo's local_addr).
func (c *BaseConnection) SetLocalAddr(addr string) {
	c.mu.Lock()
	c.localAddr = addr
	c.mu.Unlock()
}

// LocalAddr is the address the connection arrived on, "" when unknown.
func (c *BaseConnection) LocalAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.localAddr
}

// Logger returns a logger carrying the connection attributes.
func (c *BaseConnection) Logger() *slog.Logger { return c.log }

// Context is cancelled when the connection closes.
func (c *BaseConnection) Context() context.Context { return c.ctx }

// Server returns the shared server.
func (c *BaseConnection) Server() *Server { return c.srv }

// UpdateLastActivity marks the connection as active now.
func (c *BaseConnection) UpdateLastActivity() { c.lastActivity.Store(time.Now().UnixNano()) }

// LastActivity returns the time of the last activity.
func (c *BaseConnection) LastActivity() time.Time { return time.Unix(0, c.lastActivity.Load()) }

// SetCommand records the last command, shown in the connection status.
func (c *BaseConnection) SetCommand(cmd string) {
	c.mu.Lock()
	c.command = cmd
	c.mu.Unlock()
	c.UpdateLastActivity()
}

func (c *BaseConnection) hasTransfers() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.transfers) > 0
}

// Status returns the connection as the REST API shows it.
func (c *BaseConnection) Status() ConnectionStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := ConnectionStatus{
		Username:       c.User.Username,
		ConnectionID:   c.id,
		ClientVersion:  c.clientVersion,
		RemoteAddress:  c.remoteAddr,
		ConnectionTime: c.connTime.UnixMilli(),
		Command:        c.command,
		LastActivity:   c.LastActivity().UnixMilli(),
		Protocol:       c.shownProtocol(),
	}
	for _, t := range c.transfers {
		st.ActiveTransfers = append(st.ActiveTransfers, t.status())
	}
	return st
}

// Disconnect closes the network connection (through the protocol's
// callback) and then the session.
func (c *BaseConnection) Disconnect() {
	if c.disconnect != nil {
		if err := c.disconnect(); err != nil {
			c.log.Debug("disconnect", "error", err)
		}
	}
	c.Close()
}

// Close ends the session: it aborts transfers still open, releases the
// backends and unregisters the connection. It is safe to call twice.
func (c *BaseConnection) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	transfers := make([]*Transfer, 0, len(c.transfers))
	for _, t := range c.transfers {
		transfers = append(transfers, t)
	}
	c.mu.Unlock()
	for _, t := range transfers {
		t.TransferError(newErr(ErrTransferAborted, "connection closed"))
		t.Close()
	}
	c.cancel()
	c.mu.Lock()
	for k, f := range c.fss {
		if err := f.release(); err != nil {
			c.log.Debug("close storage", "error", err)
		}
		delete(c.fss, k)
	}
	c.mu.Unlock()
	c.srv.RemoveConnection(c)
	c.postDisconnect()
	return nil
}

// location is a virtual path resolved to its storage.
type location struct {
	vpath  string
	fs     vfs.Fs
	fsPath string
	folder *dataprovider.VirtualFolder // nil: the user's home
	// metadata is the file's user metadata, read for downloads with
	// common.metadata.read (metadata.go).
	metadata map[string]string
}

func (l *location) mountKey() string {
	if l.folder == nil {
		return ""
	}
	return l.folder.Name
}

// resolve maps a virtual path onto its backend.
func (c *BaseConnection) resolve(vpath string) (*location, error) {
	vpath = dataprovider.CleanVirtualPath(vpath)
	loc := &location{vpath: vpath}
	key, root, fsConfig := "", c.User.HomeDir, c.User.FsConfig
	if f, ok := c.User.GetVirtualFolderForPath(vpath); ok {
		fcopy := f
		loc.folder = &fcopy
		key, root, fsConfig = f.Name, f.MappedPath, f.FsConfig
		loc.fsPath = path.Clean("/" + strings.TrimPrefix(vpath, dataprovider.CleanVirtualPath(f.VirtualPath)))
	} else {
		loc.fsPath = vpath
	}
	fsys, err := c.getFs(key, root, fsConfig)
	if err != nil {
		return nil, err
	}
	loc.fs = fsys
	return loc, nil
}

// openFs is a storage a session uses and the function that gives it back.
type openFs struct {
	fs      vfs.Fs
	release func() error
}

// getFs returns the session's storage for a folder (key "" is the home),
// building it on first use. It is built without holding the session's
// lock: a slow remote only delays the operation that needs it.
func (c *BaseConnection) getFs(key, root string, fsConfig dataprovider.Filesystem) (vfs.Fs, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, newErr(ErrTransferAborted, "connection closed")
	}
	if f, ok := c.fss[key]; ok {
		c.mu.Unlock()
		return f.fs, nil
	}
	c.mu.Unlock()
	if fsConfig.Provider == dataprovider.LocalFilesystemProvider || fsConfig.Provider == dataprovider.CryptedFilesystemProvider {
		if root == "" {
			c.log.Error("storage has no local root", "folder", key)
			return nil, newErr(ErrGeneric, "storage is not configured")
		}
		_, statErr := os.Lstat(root)
		if err := os.MkdirAll(root, 0o777&^c.srv.umask); err != nil {
			c.log.Error("unable to create storage root", "folder", key, "error", err)
			return nil, newErr(ErrGeneric, "storage is not available")
		}
		if uid, gid, ok := c.owner(); ok && os.IsNotExist(statErr) {
			if err := os.Lchown(root, uid, gid); err != nil {
				c.log.Warn("unable to give the storage root to the user's uid/gid", "folder", key, "error", err)
			}
		}
	}
	var of openFs
	var err error
	if uid, gid, ok := c.owner(); ok && fsConfig.Provider == dataprovider.LocalFilesystemProvider && c.srv.deps.NewFs == nil {
		of.fs, err = newOwnedLocalFs(root, uid, gid)
		if err == nil {
			of.release = of.fs.Close
		}
	} else {
		of.fs, of.release, err = c.srv.openFs(fsConfig, root)
	}
	if err != nil {
		return nil, c.storageError(key, err)
	}
	if fsConfig.Provider == dataprovider.LocalFilesystemProvider || fsConfig.Provider == dataprovider.CryptedFilesystemProvider {
		c.srv.trackRoot(root)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.fss[key]; ok || c.closed {
		// another operation of this session built it meanwhile, or the
		// session ended: keep one, give this one back
		if err := of.release(); err != nil {
			c.log.Debug("close storage", "error", err)
		}
		if c.closed {
			return nil, newErr(ErrTransferAborted, "connection closed")
		}
		return f.fs, nil
	}
	c.fss[key] = of
	return of.fs, nil
}

// owner returns the uid/gid that local files the user creates must
// belong to: the user's uid/gid when either is set and the process runs
// as root (only root may give files away), -1 for the one not set.
func (c *BaseConnection) owner() (uid, gid int, ok bool) {
	if c.User.UID <= 0 && c.User.GID <= 0 || !c.srv.isRoot {
		return -1, -1, false
	}
	uid, gid = -1, -1
	if c.User.UID > 0 {
		uid = c.User.UID
	}
	if c.User.GID > 0 {
		gid = c.User.GID
	}
	return uid, gid, true
}

// mountsIn returns the names of the entries of the virtual directory dir
// that lead to virtual folders: mount points directly in it and the first
// component of deeper ones.
func (c *BaseConnection) mountsIn(dir string) []string {
	var names []string
	prefix := dir + "/"
	if dir == "/" {
		prefix = "/"
	}
	for _, f := range c.User.VirtualFolders {
		vp := dataprovider.CleanVirtualPath(f.VirtualPath)
		rest, ok := strings.CutPrefix(vp, prefix)
		if !ok || rest == "" {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// isMountPoint reports whether vpath is where a virtual folder is mounted.
func (c *BaseConnection) isMountPoint(vpath string) bool {
	for _, f := range c.User.VirtualFolders {
		if dataprovider.CleanVirtualPath(f.VirtualPath) == vpath {
			return true
		}
	}
	return false
}

// hasMountBelow reports whether a virtual folder is mounted at vpath or
// anywhere under it.
func (c *BaseConnection) hasMountBelow(vpath string) bool {
	for _, f := range c.User.VirtualFolders {
		vp := dataprovider.CleanVirtualPath(f.VirtualPath)
		if vp == vpath || vpath == "/" || strings.HasPrefix(vp, vpath+"/") {
			return true
		}
	}
	return false
}

// log an unexpected backend error with its detail and return the safe one.
func (c *BaseConnection) fail(op, vpath string, err error) error {
	ue := userError(err)
	lvl := slog.LevelDebug
	if errorKind(ue) == ErrGeneric {
		lvl = slog.LevelWarn
	}
	c.log.Log(context.Background(), lvl, "operation failed", "op", op, "path", vpath, "error", err)
	return ue
}

func errorKind(err error) error {
	if e, ok := err.(*Error); ok {
		return e.kind
	}
	return nil
}

// fileInfo renames a backend FileInfo after its virtual name.
type fileInfo struct {
	vfs.FileInfo
}

func renamed(fi os.FileInfo, name string) os.FileInfo {
	if fi.Name() == name {
		return fi
	}
	return &fileInfo{vfs.FileInfo{FName: name, FSize: fi.Size(), FMode: fi.Mode(), FModTime: fi.ModTime(), FSys: fi.Sys()}}
}

func dirInfo(name string, mtime time.Time) os.FileInfo {
	return &vfs.FileInfo{FName: name, FMode: os.ModeDir | 0o755, FModTime: mtime}
}

var _ = io.EOF
var _ = fmt.Sprintf
