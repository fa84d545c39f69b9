package objstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// ReadDir implements vfs.Fs. It asks the store for one page at a time, so
// memory does not grow with the size of the directory.
func (f *Fs) ReadDir(ctx context.Context, name string) (vfs.DirLister, error) {
	p, err := f.clean(ctx, "readdir", name)
	if err != nil {
		return nil, err
	}
	l := &lister{f: f, ctx: ctx, name: name, prefix: f.dirKey(p)}
	// The first page tells whether the directory exists at all.
	if err := l.fetch(); err != nil {
		return nil, err
	}
	if p != "/" && l.empty {
		if _, err := f.head(ctx, f.key(p)); err == nil {
			return nil, pathErr("readdir", name, vfs.ErrNotDir)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, wrap(ctx, "readdir", name, err)
		}
		return nil, pathErr("readdir", name, fs.ErrNotExist)
	}
	return l, nil
}

type lister struct {
	f       *Fs
	ctx     context.Context
	name    string
	prefix  string
	token   string
	started bool
	done    bool
	// empty: the listing found neither entries nor the directory marker.
	empty   bool
	pending []fs.FileInfo
	dirs    map[string]bool // sub-directories listed so far
	closed  bool
}

// fetch reads one page into pending.
func (l *lister) fetch() error {
	if err := l.ctx.Err(); err != nil {
		return pathErr("readdir", l.name, err)
	}
	page, err := l.f.store.List(l.ctx, l.prefix, "/", l.token, listBatch)
	if err != nil {
		return wrap(l.ctx, "readdir", l.name, err)
	}
	first := !l.started
	l.started = true
	l.token = page.Next
	l.done = page.Next == ""
	sawMarker := false
	for _, o := range page.Objects {
		rest := strings.TrimPrefix(o.Key, l.prefix)
		if rest == "" {
			sawMarker = true
			continue
		}
		if dir, _, ok := strings.Cut(rest, "/"); ok {
			// Some servers list a sub-directory's marker as an object
			// rather than as a common prefix.
			l.addDir(dir)
			continue
		}
		l.pending = append(l.pending, fileInfo(rest, o))
	}
	for _, cp := range page.Prefixes {
		rest := strings.TrimPrefix(cp, l.prefix)
		dir, _, _ := strings.Cut(rest, "/")
		l.addDir(dir)
	}
	if first {
		l.empty = !sawMarker && len(l.pending) == 0 && l.done
	}
	return nil
}

// addDir lists a sub-directory once, however many times the store
// mentions it.
func (l *lister) addDir(name string) {
	if name == "" || name == "." || name == ".." || l.dirs[name] {
		return
	}
	if l.dirs == nil {
		l.dirs = map[string]bool{}
	}
	l.dirs[name] = true
	l.pending = append(l.pending, dirInfo(name, dirModTime))
}

// Next implements vfs.DirLister.
func (l *lister) Next(limit int) ([]fs.FileInfo, error) {
	if l.closed {
		return nil, pathErr("readdir", l.name, fs.ErrClosed)
	}
	if limit <= 0 {
		limit = listBatch
	}
	for len(l.pending) < limit && !l.done {
		if err := l.fetch(); err != nil {
			return nil, err
		}
	}
	n := min(limit, len(l.pending))
	batch := l.pending[:n:n]
	l.pending = l.pending[n:]
	if l.done && len(l.pending) == 0 {
		return batch, io.EOF
	}
	return batch, nil
}

// Close implements vfs.DirLister.
func (l *lister) Close() error {
	l.closed = true
	l.pending = nil
	return nil
}
