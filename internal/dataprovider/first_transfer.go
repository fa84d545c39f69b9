package dataprovider

import "context"

// firstTransferMarker is implemented by the drivers that can record a
// user's first upload and download atomically.
type firstTransferMarker interface {
	markFirstTransfer(ctx context.Context, username string, upload bool, at int64) (bool, error)
}

// MarkFirstTransfer records now as the user's first upload (or download)
// when none is recorded yet, and reports whether this call recorded it:
// exactly one caller learns that a transfer was the first, even across
// nodes sharing a database. Drivers without the capability report false.
func (s *Store) MarkFirstTransfer(ctx context.Context, username string, upload bool) (bool, error) {
	m, ok := s.driver.(firstTransferMarker)
	if !ok {
		return false, nil
	}
	return m.markFirstTransfer(ctx, s.name(username), upload, nowMillis())
}

func (o *sqlOps) markFirstTransfer(ctx context.Context, username string, upload bool, at int64) (bool, error) {
	col := "first_download"
	if upload {
		col = "first_upload"
	}
	res, err := o.exec(ctx, "UPDATE {p}users SET "+col+" = ? WHERE username = ? AND "+col+" = 0", at, username)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (d *memDriver) markFirstTransfer(_ context.Context, username string, upload bool, at int64) (bool, error) {
	first := false
	err := d.write(func(o *memOps) error {
		u, ok := o.s.users[username]
		if !ok {
			return notFound("user", username)
		}
		p := &u.FirstDownload
		if upload {
			p = &u.FirstUpload
		}
		if *p != 0 {
			return nil
		}
		*p, first = at, true
		o.s.users[username] = u
		o.touch("users", username)
		return nil
	})
	return first, err
}
