package dataprovider

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Taking over an SFTPGo database: Migrate (initprovider, serve with
// update_mode 0) finds SFTPGo's relational schema where ours should be,
// reads it into the dump shape, moves SFTPGo's tables out of the way
// (renamed with the "sftpgo_" prefix, kept for revertprovider) and
// restores the data into our schema, all in one transaction where the
// database allows DDL in transactions (SQLite, PostgreSQL). MySQL commits
// DDL implicitly: there the renames are undone by hand on failure.

// ErrSFTPGoSchemaTooOld: an SFTPGo database older than 2.7's schema.
var ErrSFTPGoSchemaTooOld = errors.New("SFTPGo database schema too old")

// sftpgoTables are SFTPGo's tables (without prefix), children first.
var sftpgoTables = []string{"rules_actions_mapping", "shares_groups_mapping", "admins_groups_mapping",
	"users_groups_mapping", "users_folders_mapping", "groups_folders_mapping", "api_keys", "shares",
	"defender_events", "defender_hosts", "active_transfers", "shared_sessions", "tasks", "nodes",
	"events_rules", "events_actions", "ip_lists", "configurations", "users", "admins", "groups", "folders",
	"roles", "schema_version"}

// keptPrefix is put in front of an SFTPGo table's name when it is moved
// out of the way.
const keptPrefix = "sftpgo_"

// takeoverTable records what a takeover moved, for revertprovider.
const takeoverTable = keptPrefix + "takeover"

// sftpgoSchema reports the SFTPGo schema version when the database holds
// SFTPGo's schema rather than ours (ours always has the sections table).
func (d *sqlDriver) sftpgoSchema(ctx context.Context) (int, bool, error) {
	for _, t := range []string{"schema_version", "users"} {
		ok, err := d.tableExistsNamed(ctx, d.db, t)
		if err != nil || !ok {
			return 0, false, err
		}
	}
	ours, err := d.tableExistsNamed(ctx, d.db, "sections")
	if err != nil || ours {
		return 0, false, err
	}
	var v int
	if err := d.db.QueryRowContext(ctx, d.sq("SELECT version FROM {p}schema_version ORDER BY id DESC LIMIT 1")).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("dataprovider: read SFTPGo schema version: %w", err)
	}
	return v, true, nil
}

// sftpgoDriver returns the SQL driver and SFTPGo schema version when the
// store sits on an SFTPGo database.
func (s *Store) sftpgoDriver(ctx context.Context) (*sqlDriver, int, bool, error) {
	d, ok := s.driver.(*sqlDriver)
	if !ok {
		return nil, 0, false, nil
	}
	v, ok, err := d.sftpgoSchema(ctx)
	return d, v, ok, err
}

func checkSFTPGoVersion(v int) error {
	switch {
	case v < SFTPGoMinSchema:
		return fmt.Errorf("dataprovider: this is an SFTPGo database at schema version %d; takeover needs schema %d to %d: "+
			"upgrade it through SFTPGo 2.7 first (run SFTPGo 2.7's \"sftpgo initprovider\" or start SFTPGo 2.7 once), then retry: %w",
			v, SFTPGoMinSchema, SFTPGoMaxSchema, ErrSFTPGoSchemaTooOld)
	case v > SFTPGoMaxSchema:
		return fmt.Errorf("dataprovider: this is an SFTPGo database at schema version %d, newer than the %d this build can take over: %w",
			v, SFTPGoMaxSchema, ErrSchemaNewer)
	}
	return nil
}

// takeover migrates an SFTPGo database in place to our schema.
func (s *Store) takeover(ctx context.Context, d *sqlDriver, version int) error {
	if err := checkSFTPGoVersion(version); err != nil {
		return err
	}
	s.log.Info("taking over an SFTPGo database", "sftpgo_schema", version, "to", CurrentSchemaVersion)
	data, err := d.sqlOps.readSFTPGo(ctx, version, func(format string, args ...any) {
		s.log.Warn("takeover: " + fmt.Sprintf(format, args...))
	})
	if err != nil {
		return fmt.Errorf("dataprovider: takeover: %w", err)
	}
	if err := s.checkBackupSecrets(data); err != nil {
		return fmt.Errorf("dataprovider: takeover: %w", err)
	}
	if d.dl.name == "mysql" {
		// DDL commits by itself in MySQL: undo the renames on failure.
		if err := d.takeoverDDL(ctx, d.sqlOps); err != nil {
			return errors.Join(fmt.Errorf("dataprovider: takeover: %w", err), d.undoTakeoverDDL(ctx))
		}
		if err := d.InTx(ctx, func(ops Ops) error { return s.restoreOps(ctx, ops, data, false) }); err != nil {
			return errors.Join(fmt.Errorf("dataprovider: takeover: %w", err), d.undoTakeoverDDL(ctx))
		}
	} else if err := d.InTx(ctx, func(ops Ops) error {
		o := ops.(*sqlOps)
		if err := d.takeoverDDL(ctx, o); err != nil {
			return err
		}
		return s.restoreOps(ctx, o, data, false)
	}); err != nil {
		return fmt.Errorf("dataprovider: takeover: %w", err)
	}
	s.notifyUserChange("")
	s.log.Info("SFTPGo database taken over", "users", len(data.Users), "groups", len(data.Groups),
		"folders", len(data.Folders), "admins", len(data.Admins), "api_keys", len(data.APIKeys),
		"shares", len(data.Shares), "kept_tables_prefix", d.prefix+keptPrefix)
	return nil
}

// takeoverDDL moves SFTPGo's tables (with their indexes and sequences)
// out of the way, records what it did and creates our schema.
func (d *sqlDriver) takeoverDDL(ctx context.Context, o *sqlOps) error {
	q := o.q()
	var present []string
	for _, t := range sftpgoTables {
		ok, err := d.tableExistsNamed(ctx, q, t)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if clash, err := d.tableExistsNamed(ctx, q, keptPrefix+t); err != nil {
			return err
		} else if clash {
			return fmt.Errorf("table %s%s%s already exists: an earlier takeover left it, remove it first", d.prefix, keptPrefix, t)
		}
		present = append(present, t)
	}
	if _, err := o.exec(ctx, "CREATE TABLE {p}"+takeoverTable+" (kind VARCHAR(16) NOT NULL, name VARCHAR(255) NOT NULL, def TEXT NOT NULL)"); err != nil {
		return fmt.Errorf("create %s: %w", takeoverTable, err)
	}
	record := func(kind, name, def string) error {
		_, err := o.exec(ctx, "INSERT INTO {p}"+takeoverTable+" (kind, name, def) VALUES (?, ?, ?)", kind, name, def)
		return err
	}
	for _, t := range present {
		switch d.dl.name {
		case "sqlite":
			// index names are global: keep their definitions, drop them,
			// recreate them on revert
			rows, err := q.QueryContext(ctx, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", d.prefix+t)
			if err != nil {
				return err
			}
			var idx [][2]string
			for rows.Next() {
				var n, sqlText string
				if err := rows.Scan(&n, &sqlText); err != nil {
					rows.Close()
					return err
				}
				idx = append(idx, [2]string{n, sqlText})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, ix := range idx {
				if err := record("index", ix[0], ix[1]); err != nil {
					return err
				}
				if _, err := q.ExecContext(ctx, `DROP INDEX "`+ix[0]+`"`); err != nil {
					return fmt.Errorf("drop index %s: %w", ix[0], err)
				}
			}
		case "postgresql":
			// index (and constraint) and sequence names are global too:
			// rename them with the table
			names, err := pgStrings(ctx, q, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1", d.prefix+t)
			if err != nil {
				return err
			}
			for _, n := range names {
				if err := record("pgindex", n, keptPrefix+n); err != nil {
					return err
				}
				if _, err := q.ExecContext(ctx, fmt.Sprintf(`ALTER INDEX %q RENAME TO %q`, n, keptPrefix+n)); err != nil {
					return fmt.Errorf("rename index %s: %w", n, err)
				}
			}
			seqs, err := pgStrings(ctx, q, `SELECT s.relname FROM pg_class s JOIN pg_depend dep ON dep.objid = s.oid
				JOIN pg_class t ON t.oid = dep.refobjid JOIN pg_namespace ns ON ns.oid = t.relnamespace
				WHERE s.relkind = 'S' AND ns.nspname = current_schema() AND t.relname = $1`, d.prefix+t)
			if err != nil {
				return err
			}
			for _, n := range seqs {
				if err := record("pgseq", n, keptPrefix+n); err != nil {
					return err
				}
				if _, err := q.ExecContext(ctx, fmt.Sprintf(`ALTER SEQUENCE %q RENAME TO %q`, n, keptPrefix+n)); err != nil {
					return fmt.Errorf("rename sequence %s: %w", n, err)
				}
			}
		}
		if err := record("table", t, keptPrefix+t); err != nil {
			return err
		}
		if _, err := o.exec(ctx, fmt.Sprintf("ALTER TABLE {p}%s RENAME TO {p}%s%s", t, keptPrefix, t)); err != nil {
			return fmt.Errorf("rename table %s: %w", t, err)
		}
	}
	for _, m := range d.dl.migrations {
		for _, st := range m.up {
			if _, err := o.exec(ctx, st); err != nil {
				return fmt.Errorf("create schema %d: %w", m.version, err)
			}
		}
	}
	if _, err := o.exec(ctx, "DELETE FROM {p}schema_version"); err != nil {
		return err
	}
	_, err := o.exec(ctx, "INSERT INTO {p}schema_version (id, version) VALUES (1, ?)", len(d.dl.migrations))
	return err
}

func pgStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// undoTakeoverDDL puts SFTPGo's tables back after a failed MySQL
// takeover: our tables go, the renamed ones get their names back.
func (d *sqlDriver) undoTakeoverDDL(ctx context.Context) error {
	var errs []error
	if err := d.dropOurTables(ctx, d.sqlOps); err != nil {
		errs = append(errs, err)
	}
	for _, t := range sftpgoTables {
		kept, err := d.tableExistsNamed(ctx, d.db, keptPrefix+t)
		if err != nil || !kept {
			continue
		}
		if _, err := d.exec(ctx, fmt.Sprintf("ALTER TABLE {p}%s%s RENAME TO {p}%s", keptPrefix, t, t)); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := d.exec(ctx, "DROP TABLE IF EXISTS {p}"+takeoverTable); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("undo the takeover (tables named %s* may need renaming by hand): %w", d.prefix+keptPrefix, errors.Join(errs...))
	}
	return nil
}

// dropOurTables drops every table of our schema, newest version first.
func (d *sqlDriver) dropOurTables(ctx context.Context, o *sqlOps) error {
	for i := len(d.dl.migrations) - 1; i >= 0; i-- {
		for _, st := range d.dl.migrations[i].down {
			st = stripSQLComments(st)
			// a down step of a schema that was never (fully) created
			if up := strings.ToUpper(st); strings.HasPrefix(up, "DROP TABLE ") && !strings.HasPrefix(up, "DROP TABLE IF EXISTS ") {
				st = "DROP TABLE IF EXISTS " + st[len("DROP TABLE "):]
			}
			if _, err := o.exec(ctx, st); err != nil {
				return fmt.Errorf("drop schema %d: %w", d.dl.migrations[i].version, err)
			}
		}
	}
	_, err := o.exec(ctx, "DROP TABLE IF EXISTS {p}schema_version")
	return err
}

// stripSQLComments removes the "--" comment lines of a statement.
func stripSQLComments(st string) string {
	var lines []string
	for _, l := range strings.Split(st, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
