package vfs

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "/"},
		{"/", "/"},
		{".", "/"},
		{"..", "/"},
		{"/..", "/"},
		{"a", "/a"},
		{"a/b/", "/a/b"},
		{"//a//b//", "/a/b"},
		{"/a/./b/../c", "/a/c"},
		{"/../../etc/passwd", "/etc/passwd"},
		{"a/../../../etc", "/etc"},
		{`..\..\windows\system32`, "/windows/system32"},
		{`\a\b`, "/a/b"},
		{`C:\x`, "/C:/x"},
		{"/dir with space/ü 日本.txt", "/dir with space/ü 日本.txt"},
		{"/...", "/..."},
		{"/a/..b", "/a/..b"},
	}
	for _, tc := range tests {
		got, err := CleanPath(tc.in)
		if err != nil {
			t.Errorf("CleanPath(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("CleanPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanPathRejectsNUL(t *testing.T) {
	for _, in := range []string{"\x00", "/a\x00b", "/a/b\x00/../c"} {
		if _, err := CleanPath(in); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("CleanPath(%q) error = %v, want fs.ErrInvalid", in, err)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "..", "/a/../../b", `..\..\x`, "a//b/./c/", "\x00", "/ü/日本/..", "....//..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CleanPath(in)
		if err != nil {
			if !strings.Contains(in, "\x00") || !errors.Is(err, fs.ErrInvalid) {
				t.Fatalf("CleanPath(%q): unexpected error %v", in, err)
			}
			return
		}
		if strings.Contains(in, "\x00") {
			t.Fatalf("CleanPath(%q) accepted a NUL byte", in)
		}
		if !strings.HasPrefix(got, "/") {
			t.Fatalf("CleanPath(%q) = %q: not absolute", in, got)
		}
		if strings.ContainsRune(got, '\\') || strings.Contains(got, "//") {
			t.Fatalf("CleanPath(%q) = %q: has a backslash or empty element", in, got)
		}
		if got != "/" && strings.HasSuffix(got, "/") {
			t.Fatalf("CleanPath(%q) = %q: trailing slash", in, got)
		}
		for _, elem := range strings.Split(got[1:], "/") {
			if elem == "." || elem == ".." {
				t.Fatalf("CleanPath(%q) = %q: has a %q element", in, got, elem)
			}
		}
		if path.Clean(got) != got {
			t.Fatalf("CleanPath(%q) = %q: not clean", in, got)
		}
		again, err := CleanPath(got)
		if err != nil || again != got {
			t.Fatalf("CleanPath not idempotent: %q -> %q -> %q (%v)", in, got, again, err)
		}
	})
}
