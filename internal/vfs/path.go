package vfs

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// CleanPath turns a client-supplied path into the form every Fs expects:
// slash-separated, absolute and clean, with "/" for the root.
//
// A relative path is taken as relative to the root; callers that track a
// working directory join it first. Backslashes are treated as separators,
// so "..\\..\\etc" cannot slip past a check on a host that honours them;
// a file name with a literal backslash cannot be addressed. Repeated
// slashes collapse, "." elements vanish and ".." elements are resolved
// lexically and stop at the root, as in a chroot: "/../../etc" is "/etc".
// A NUL byte, which no backend can store and which C libraries read as the
// end of the name, is rejected with an error wrapping fs.ErrInvalid.
func CleanPath(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("vfs: path %q: contains a NUL byte: %w", p, fs.ErrInvalid)
	}
	p = strings.ReplaceAll(p, `\`, "/")
	// path.Clean on a rooted path drops ".." above the root; it does not
	// allocate for a path already clean, so skip the concatenation then.
	if strings.HasPrefix(p, "/") {
		return path.Clean(p), nil
	}
	return path.Clean("/" + p), nil
}
