package dataprovider

import (
	"path"
	"strings"
	"testing"
)

// TestCleanVirtualPath: the allocation-free path for absolute input gives
// what cleaning "/"+p gives, for clean and unclean paths alike.
func TestCleanVirtualPath(t *testing.T) {
	cases := map[string]string{
		"": "/", ".": "/", "/": "/", "//": "/", "a": "/a", "/a/b": "/a/b", "/a/b/": "/a/b",
		"//a//b": "/a/b", "/../..": "/", "a/../../b": "/b", `\a\..\b`: "/b", "/a/./b/..": "/a",
		`C:\dir\f`: "/C:/dir/f",
	}
	for in, want := range cases {
		got := CleanVirtualPath(in)
		ref := path.Clean("/" + strings.ReplaceAll(in, `\`, "/"))
		if got != want || got != ref {
			t.Errorf("CleanVirtualPath(%q) = %q, want %q (reference %q)", in, got, want, ref)
		}
	}
	if n := testing.AllocsPerRun(100, func() { CleanVirtualPath("/small/f00001") }); n != 0 {
		t.Errorf("clean absolute path: %v allocations", n)
	}
}
