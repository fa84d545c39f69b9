package dataprovider

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// counterScan reads the counter columns of one row. A value that is not
// an integer (SQLite keeps an overflowing sum as a REAL) is noted instead
// of failing the scan, so the caller can report that one record as
// corrupt and a list can go on with the others.
type counterScan struct{ bad []string }

// col returns the scanner of one counter column into v.
func col[T int | int64](c *counterScan, name string, v *T) sql.Scanner {
	return counterCol[T]{c: c, name: name, v: v}
}

type counterCol[T int | int64] struct {
	c    *counterScan
	name string
	v    *T
}

func (k counterCol[T]) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*k.v = 0
		return nil
	case int64:
		*k.v = T(x)
		return nil
	case float64:
		// an integral REAL in range is the value a driver returned as a float
		if x == math.Trunc(x) && math.Abs(x) <= float64(MaxCounter) {
			*k.v = T(x)
			return nil
		}
	case []byte:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			*k.v = T(n)
			return nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			*k.v = T(n)
			return nil
		}
	}
	*k.v = 0
	k.c.bad = append(k.c.bad, fmt.Sprintf("%s = %v is not an integer counter", k.name, src))
	return nil
}

// err returns the corrupt-record error of the row, or nil.
func (c *counterScan) err(kind, name string) error {
	if len(c.bad) == 0 {
		return nil
	}
	return &CorruptRecordError{Kind: kind, Name: name, Err: errors.New(strings.Join(c.bad, ", "))}
}

// SkippedRecords is what a list returns next to the records it could
// read: the ones it left out because they are corrupt.
type SkippedRecords []error

func (s SkippedRecords) Error() string {
	msgs := make([]string, len(s))
	for i, e := range s {
		msgs[i] = e.Error()
	}
	return "skipped corrupt records: " + strings.Join(msgs, "; ")
}

// Unwrap exposes each skipped record's error.
func (s SkippedRecords) Unwrap() []error { return s }

// keepOrSkip appends a record read by a list, or notes it as skipped
// when it is corrupt; any other error ends the list.
func keepOrSkip[T any](out *[]T, skipped *SkippedRecords, v T, err error) error {
	if err == nil {
		*out = append(*out, v)
		return nil
	}
	if errors.Is(err, ErrCorruptRecord) {
		*skipped = append(*skipped, err)
		return nil
	}
	return err
}

// listResult returns a list and, when records were skipped, the
// SkippedRecords error that names them.
func listResult[T any](out []T, skipped SkippedRecords) ([]T, error) {
	if len(skipped) > 0 {
		return out, skipped
	}
	return out, nil
}

// logSkipped logs each record a list left out as corrupt and clears the
// error, so one bad row does not hide the others; other errors pass.
func (s *Store) logSkipped(err error) error {
	var skipped SkippedRecords
	if !errors.As(err, &skipped) {
		return err
	}
	for _, e := range skipped {
		s.log.Error("data provider: record left out of a list, it cannot be read", "error", e)
	}
	return nil
}
