//go:build cgo

package dataprovider

import (
	"errors"

	"github.com/mattn/go-sqlite3"
)

// sqliteBuiltIn: mattn/go-sqlite3 is usable only in cgo builds.
const sqliteBuiltIn = true

func sqliteIsUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique ||
		se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

func sqliteIsForeignKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}
