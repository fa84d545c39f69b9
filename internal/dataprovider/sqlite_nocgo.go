//go:build !cgo

package dataprovider

// sqliteBuiltIn is false without cgo: mattn/go-sqlite3 is then a stub
// that fails every connection, so openSQLite refuses at once with
// errSQLiteNoCgo and --version does not list +sqlite.
const sqliteBuiltIn = false

func sqliteIsUnique(error) bool { return false }

func sqliteIsForeignKey(error) bool { return false }
