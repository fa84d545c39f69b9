package osfs

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// Symlink implements vfs.SymlinkFs. target is a path in the Fs namespace:
// absolute ("/dir/file", from the root) or relative to name's directory.
// It is stored relative, because os.Root refuses to follow absolute links,
// and refused with fs.ErrPermission when it would climb above the root.
// Links that stay inside lexically may still cross another symlink at use
// time; os.Root then refuses any step outside the root.
func (f *Fs) Symlink(ctx context.Context, target, name string) error {
	n, err := begin(ctx, "symlink", name)
	if err != nil {
		return err
	}
	if n == "." {
		return pathErr("symlink", name, fs.ErrExist)
	}
	if target == "" || strings.IndexByte(target, 0) >= 0 {
		return pathErr("symlink", name, fs.ErrInvalid)
	}
	// Treat a backslash as a separator for the check and the stored text,
	// so a link cannot escape on a host that honours it.
	t := strings.ReplaceAll(target, `\`, "/")
	linkDir := path.Dir("/" + n)
	var stored string
	if strings.HasPrefix(t, "/") {
		stored = relativeTo(linkDir, path.Clean(t))
	} else {
		if escapes(linkDir, t) {
			return pathErr("symlink", name, fmt.Errorf("target %q leaves the root: %w", target, fs.ErrPermission))
		}
		stored = path.Clean(t)
	}
	if err := f.root.Symlink(filepath.FromSlash(stored), n); err != nil {
		return mapErr("symlink", name, err, false)
	}
	return f.own("symlink", name, n)
}

// escapes reports whether the relative target, followed lexically from
// the absolute directory dir, ever climbs above the root.
func escapes(dir, target string) bool {
	depth := 0
	if dir != "/" {
		depth = strings.Count(dir, "/")
	}
	for _, e := range strings.Split(target, "/") {
		switch e {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// relativeTo returns the relative path from the absolute clean directory
// dir to the absolute clean path to.
func relativeTo(dir, to string) string {
	split := func(p string) []string {
		if p == "/" {
			return nil
		}
		return strings.Split(p[1:], "/")
	}
	d, t := split(dir), split(to)
	i := 0
	for i < len(d) && i < len(t) && d[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(d)-i+len(t)-i)
	for range d[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// Readlink implements vfs.SymlinkFs. A relative link is returned as stored.
// An absolute link found in place is returned as a root path when it
// points into the root, and refused with fs.ErrPermission otherwise, so
// host paths are never disclosed.
func (f *Fs) Readlink(ctx context.Context, name string) (string, error) {
	n, err := begin(ctx, "readlink", name)
	if err != nil {
		return "", err
	}
	s, err := f.root.Readlink(n)
	if err != nil {
		return "", mapErr("readlink", name, err, false)
	}
	if !filepath.IsAbs(s) {
		return filepath.ToSlash(s), nil
	}
	r, err := filepath.Rel(f.dir, filepath.Clean(s))
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", pathErr("readlink", name, fmt.Errorf("link points outside the root: %w", fs.ErrPermission))
	}
	return path.Clean("/" + filepath.ToSlash(r)), nil
}
