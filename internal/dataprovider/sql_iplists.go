package dataprovider

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

const ipListColumns = "type, ipornet, mode, description, protocols, created_at, updated_at"

func scanIPListEntries(rows *sql.Rows) ([]IPListEntry, error) {
	defer rows.Close()
	var out []IPListEntry
	for rows.Next() {
		var e IPListEntry
		var desc sql.NullString
		if err := rows.Scan(&e.Type, &e.IPOrNet, &e.Mode, &desc, &e.Protocols, &e.CreatedAt, &e.UpdatedAt); err != nil {
			return nil, err
		}
		e.Description = desc.String
		out = append(out, e)
	}
	return out, rows.Err()
}

func (o *sqlOps) GetIPListEntry(ctx context.Context, t IPListType, ipOrNet string) (IPListEntry, error) {
	rows, err := o.q().QueryContext(ctx, o.sq("SELECT "+ipListColumns+" FROM {p}ip_lists WHERE type = ? AND ipornet = ?"), int(t), ipOrNet)
	if err != nil {
		return IPListEntry{}, err
	}
	list, err := scanIPListEntries(rows)
	if err != nil {
		return IPListEntry{}, err
	}
	if len(list) == 0 {
		return IPListEntry{}, notFound("IP list entry", ipOrNet)
	}
	return list[0], nil
}

func (o *sqlOps) ListIPListEntries(ctx context.Context, q IPListQuery) ([]IPListEntry, error) {
	var where []string
	var args []any
	if q.Type != 0 {
		where = append(where, "type = ?")
		args = append(args, int(q.Type))
	}
	if q.Filter != "" {
		where = append(where, "ipornet LIKE ?")
		args = append(args, likePrefix(q.Filter))
	}
	if q.From != "" {
		if q.Desc {
			where = append(where, "ipornet < ?")
		} else {
			where = append(where, "ipornet > ?")
		}
		args = append(args, q.From)
	}
	stmt := "SELECT " + ipListColumns + " FROM {p}ip_lists"
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	limit, _ := pageArgs(q.Limit, 0)
	stmt += fmt.Sprintf(" ORDER BY ipornet %s, type ASC LIMIT ?", orderBy(q.Desc))
	args = append(args, limit)
	rows, err := o.q().QueryContext(ctx, o.sq(stmt), args...)
	if err != nil {
		return nil, err
	}
	return scanIPListEntries(rows)
}

// likePrefix escapes the LIKE wildcards of s and matches values starting
// with it (the three databases treat backslash as the default escape).
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

func (o *sqlOps) AddIPListEntry(ctx context.Context, e *IPListEntry) error {
	p, err := ParseIPOrNet(e.IPOrNet)
	if err != nil {
		return err
	}
	first, last, ipType := prefixRange(p)
	_, err = o.exec(ctx, "INSERT INTO {p}ip_lists (type, ipornet, mode, description, first, last, ip_type, protocols, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
		int(e.Type), e.IPOrNet, e.Mode, e.Description, first, last, ipType, e.Protocols, e.CreatedAt, e.UpdatedAt)
	return err
}

func (o *sqlOps) UpdateIPListEntry(ctx context.Context, e *IPListEntry) error {
	res, err := o.exec(ctx, "UPDATE {p}ip_lists SET mode = ?, description = ?, protocols = ?, updated_at = ? WHERE type = ? AND ipornet = ?",
		e.Mode, e.Description, e.Protocols, e.UpdatedAt, int(e.Type), e.IPOrNet)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// MySQL reports 0 for an update that changes nothing
		if _, err := o.GetIPListEntry(ctx, e.Type, e.IPOrNet); err != nil {
			return err
		}
	}
	return nil
}

func (o *sqlOps) DeleteIPListEntry(ctx context.Context, t IPListType, ipOrNet string) error {
	res, err := o.exec(ctx, "DELETE FROM {p}ip_lists WHERE type = ? AND ipornet = ?", int(t), ipOrNet)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("IP list entry", ipOrNet)
	}
	return nil
}

func (o *sqlOps) MatchIPList(ctx context.Context, t IPListType, ip netip.Addr) ([]IPListEntry, error) {
	ip = ip.Unmap()
	b, ipType := ip.AsSlice(), ipTypeV4
	if ip.Is6() {
		ipType = ipTypeV6
	}
	rows, err := o.q().QueryContext(ctx, o.sq("SELECT "+ipListColumns+" FROM {p}ip_lists WHERE type = ? AND ip_type = ? AND first <= ? AND last >= ?"),
		int(t), ipType, b, b)
	if err != nil {
		return nil, err
	}
	return scanIPListEntries(rows)
}

func (o *sqlOps) IPListsSignature(ctx context.Context) (IPListSignature, error) {
	var sig IPListSignature
	var maxUpd, sumID sql.NullInt64
	err := o.queryRow(ctx, "SELECT COUNT(*), MAX(updated_at), SUM(id) FROM {p}ip_lists").Scan(&sig.Count, &maxUpd, &sumID)
	sig.LastUpdate, sig.Sum = maxUpd.Int64, sumID.Int64
	return sig, err
}

// Defender hosts and events.

func (o *sqlOps) defenderHostID(ctx context.Context, ip string, create bool, now int64) (int64, error) {
	var id int64
	err := o.queryRow(ctx, "SELECT id FROM {p}defender_hosts WHERE ip = ?", ip).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) || !create {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, notFound("defender host", ip)
		}
		return id, err
	}
	id, err = o.insertID(ctx, "INSERT INTO {p}defender_hosts (ip, ban_time, updated_at) VALUES (?, 0, ?)", ip, now)
	if errors.Is(err, ErrConflict) {
		// another node added it meanwhile
		err = o.queryRow(ctx, "SELECT id FROM {p}defender_hosts WHERE ip = ?", ip).Scan(&id)
	}
	return id, err
}

func (o *sqlOps) AddDefenderEvent(ctx context.Context, ip string, score int, at int64) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.defenderHostID(ctx, ip, true, at)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "UPDATE {p}defender_hosts SET updated_at = ? WHERE id = ?", at, id); err != nil {
			return err
		}
		_, err = o.exec(ctx, "INSERT INTO {p}defender_events (date_time, score, host_id) VALUES (?, ?, ?)", at, score, id)
		return err
	})
}

func (o *sqlOps) SetDefenderBanTime(ctx context.Context, ip string, until, now int64) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.defenderHostID(ctx, ip, true, now)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "UPDATE {p}defender_hosts SET ban_time = ?, updated_at = ? WHERE id = ?", until, now, id); err != nil {
			return err
		}
		// a banned host has no score
		_, err = o.exec(ctx, "DELETE FROM {p}defender_events WHERE host_id = ?", id)
		return err
	})
}

func (o *sqlOps) GetDefenderHost(ctx context.Context, ip string, since int64) (DefenderHost, error) {
	h := DefenderHost{IP: ip}
	var score sql.NullInt64
	err := o.queryRow(ctx, "SELECT h.ban_time, (SELECT SUM(e.score) FROM {p}defender_events e WHERE e.host_id = h.id AND e.date_time >= ?) FROM {p}defender_hosts h WHERE h.ip = ?",
		since, ip).Scan(&h.BanTime, &score)
	if errors.Is(err, sql.ErrNoRows) {
		return h, notFound("defender host", ip)
	}
	h.Score = int(score.Int64)
	return h, err
}

func (o *sqlOps) ListDefenderHosts(ctx context.Context, since, now int64, limit int) ([]DefenderHost, error) {
	limit, _ = pageArgs(limit, 0)
	rows, err := o.q().QueryContext(ctx, o.sq(`SELECT h.ip, h.ban_time, COALESCE((SELECT SUM(e.score) FROM {p}defender_events e WHERE e.host_id = h.id AND e.date_time >= ?), 0) AS score
FROM {p}defender_hosts h WHERE h.ban_time > ? OR EXISTS (SELECT 1 FROM {p}defender_events e WHERE e.host_id = h.id AND e.date_time >= ?)
ORDER BY h.updated_at DESC LIMIT ?`), since, now, since, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DefenderHost
	for rows.Next() {
		var h DefenderHost
		if err := rows.Scan(&h.IP, &h.BanTime, &h.Score); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (o *sqlOps) DeleteDefenderHost(ctx context.Context, ip string) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.defenderHostID(ctx, ip, false, 0)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "DELETE FROM {p}defender_events WHERE host_id = ?", id); err != nil {
			return err
		}
		_, err = o.exec(ctx, "DELETE FROM {p}defender_hosts WHERE id = ?", id)
		return err
	})
}

func (o *sqlOps) CleanupDefender(ctx context.Context, before, now int64) error {
	return o.write(ctx, func(o *sqlOps) error {
		if _, err := o.exec(ctx, "DELETE FROM {p}defender_events WHERE date_time < ?", before); err != nil {
			return err
		}
		_, err := o.exec(ctx, `DELETE FROM {p}defender_hosts WHERE ban_time < ? AND updated_at < ?
AND NOT EXISTS (SELECT 1 FROM {p}defender_events e WHERE e.host_id = {p}defender_hosts.id)`, now, before)
		return err
	})
}
