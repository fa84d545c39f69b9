package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	modulePath    = "github.com/sftpgo-ng/sftpgo"
	configPkgPath = modulePath + "/internal/config"
)

// loaderReads are keys whose effect is in this package: the loader itself
// consumes them, or Validate refuses any value but the default.
var loaderReads = map[string]bool{
	"data_provider.password_file": true,
}

// refusedSections are sections Validate refuses when set (plugins).
var refusedSections = []string{"plugins"}

func actsInConfig(path string) bool {
	if loaderReads[path] {
		return true
	}
	for _, s := range refusedSections {
		if path == s || strings.HasPrefix(path, s+".") || strings.HasPrefix(path, s+"[]") {
			return true
		}
	}
	return false
}

// readFields type-checks every non-test package under internal/ except
// this one and returns the config struct fields some code selects, as
// "StructType.Field".
//
// Why type information and not a text grep: field names such as Port,
// Enabled or Hook are everywhere, so only the type checker can tell that
// x.Port reads config.SFTPDBinding.Port and not some other Port. Every
// selector expression resolved to a field of a struct type declared in
// internal/config counts as a read, including promoted fields and reads
// through a copy held in another package's variable. The limit: one Go
// struct type used under several keys (CORSConfig under webdavd.cors and
// httpd.bindings[].cors... BrandingConfig under web_admin and web_client)
// counts as read for all of them when any one is read.
func readFields(t *testing.T) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-export", "-deps",
		"-json=ImportPath,Dir,GoFiles,CgoFiles,Export,Module,Error",
		"./internal/...", "./cmd/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type listed struct {
		ImportPath string
		Dir        string
		GoFiles    []string
		CgoFiles   []string
		Export     string
		Module     *struct{ Path string }
		Error      *struct{ Err string }
	}
	exports := map[string]string{}
	var ours []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == modulePath && p.ImportPath != configPkgPath {
			ours = append(ours, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	read := map[string]bool{}
	for _, p := range ours {
		var files []*ast.File
		for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		conf := types.Config{Importer: imp, FakeImportC: true}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		for _, sel := range info.Selections {
			if sel.Kind() != types.FieldVal {
				continue
			}
			f, ok := sel.Obj().(*types.Var)
			if !ok || f.Pkg() == nil || f.Pkg().Path() != configPkgPath {
				continue
			}
			if owner := fieldOwner(sel); owner != "" {
				read[owner+"."+f.Name()] = true
			}
		}
	}
	return read
}

// fieldOwner names the struct type that declares the selected field,
// following the path through embedded fields.
func fieldOwner(sel *types.Selection) string {
	t := sel.Recv()
	idx := sel.Index()
	for _, i := range idx[:len(idx)-1] {
		st, ok := deref(t).Underlying().(*types.Struct)
		if !ok {
			return ""
		}
		t = st.Field(i).Type()
	}
	if n, ok := deref(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

func deref(t types.Type) types.Type {
	// An alias (type Config = config.SMTPConfig) reads the same fields.
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		return types.Unalias(p.Elem())
	}
	return t
}

// TestNoSilentStubs fails for a key the loader accepts that no component
// reads and that is not on the noEffect list: such a key would be
// accepted and silently do nothing.
func TestNoSilentStubs(t *testing.T) {
	read := readFields(t)
	var silent, listedButRead []string
	for _, k := range Keys() {
		isRead := read[k.Struct+"."+k.Field] || actsInConfig(k.Path)
		_, listed := noEffectEntry(k.Path)
		switch {
		case !isRead && !listed:
			silent = append(silent, k.Path+" ("+k.Struct+"."+k.Field+")")
		case isRead && listed:
			listedButRead = append(listedButRead, k.Path)
		}
	}
	sort.Strings(silent)
	if len(silent) > 0 {
		t.Errorf("%d keys are accepted but read by no component and not on the noEffect list (internal/config/noeffect.go):\n%s",
			len(silent), strings.Join(silent, "\n"))
	}
	if len(listedButRead) > 0 {
		// A key that acts must leave the list (or be named in
		// actsInSection), or the start-up warning and the docs lie.
		t.Errorf("keys on the noEffect list that some component reads: %s", strings.Join(listedButRead, ", "))
	}
}
