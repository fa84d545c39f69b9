// Package secretfile creates the files that hold secrets (the databases,
// key files, host keys, backups) readable by the server's user only, and
// reports existing ones that are not.
package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Modes of the files holding secrets and of the directories created for
// them.
const (
	FileMode fs.FileMode = 0o600
	DirMode  fs.FileMode = 0o700
)

// MkdirAll creates dir and its missing parents with DirMode; existing
// directories keep their mode.
func MkdirAll(dir string) error {
	return os.MkdirAll(dir, DirMode)
}

// Ensure creates an empty file at path with FileMode when none exists,
// creating its directory with DirMode, so a library that opens the file
// afterwards (SQLite, which gives its -wal and -shm files the mode of the
// database) finds it private.
func Ensure(path string) error {
	if err := MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Exposed returns, for each existing regular file among paths that group
// or others may read or write, "path (mode)". Missing files are skipped.
func Exposed(paths ...string) []string {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if fi.Mode().Perm()&0o066 != 0 {
			out = append(out, fmt.Sprintf("%s (%04o)", p, fi.Mode().Perm()))
		}
	}
	return out
}

// Warn logs one warning line naming the files among paths that group or
// others may read; it logs nothing when there are none.
func Warn(log *slog.Logger, what string, paths ...string) {
	if log == nil {
		return
	}
	if exp := Exposed(paths...); len(exp) > 0 {
		log.Warn(what+" readable by group or others, restrict them with chmod 600",
			"files", strings.Join(exp, ", "))
	}
}

// DirFiles returns the regular files directly in dir (none when dir does
// not exist).
func DirFiles(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}
