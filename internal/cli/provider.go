package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/service"
)

// withStore loads the configuration, opens the data provider and runs fn.
func withStore(ctx context.Context, f *commonFlags, fn func(*dataprovider.Store) error) error {
	cfg, logger, closer, err := f.load()
	if err != nil {
		return err
	}
	defer closer.Close()
	store, _, err := service.OpenStore(ctx, cfg, f.configDir, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(store)
}

func newInitProviderCommand() *cobra.Command {
	var f commonFlags
	var ld loadDataFlags
	cmd := &cobra.Command{
		Use:   "initprovider",
		Short: "Create or upgrade the data provider schema",
		Long: `Create the database (for SQLite, the file in the config dir) and bring its
schema to the version this build expects. Safe to run on an up-to-date
database. Useful with data_provider.update_mode 1, where serve refuses to
migrate by itself.

On an SFTPGo database (SQLite, PostgreSQL or MySQL at SFTPGo's schema 33
to 35, i.e. SFTPGo 2.7 and later) it takes the installation over: every
object is moved into this server's schema in place and SFTPGo's tables are
kept aside (renamed sftpgo_*) for revertprovider. With --loaddata-from a
dump is loaded afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), &f, func(s *dataprovider.Store) error {
				if err := s.Migrate(cmd.Context()); err != nil {
					return err
				}
				v, err := s.SchemaVersion(cmd.Context())
				if err != nil {
					return err
				}
				if err := s.LoadDataFile(cmd.Context(), ld.options()); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "data provider initialized, schema version %d\n", v)
				return nil
			})
		},
	}
	f.register(cmd, "-")
	ld.register(cmd)
	return cmd
}

func newRevertProviderCommand() *cobra.Command {
	var f commonFlags
	var to int
	cmd := &cobra.Command{
		Use:   "revertprovider",
		Short: "Walk the data provider schema back to an older version",
		Long: `Revert the database schema to the given version, so an older release can
use it. Data in tables that exist in the older version is kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to <= 0 {
				return fmt.Errorf("--to-version is required and must be at least 1")
			}
			return withStore(cmd.Context(), &f, func(s *dataprovider.Store) error {
				if err := s.Revert(cmd.Context(), to); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "data provider reverted to schema version %d\n", to)
				return nil
			})
		},
	}
	f.register(cmd, "-")
	cmd.Flags().IntVar(&to, "to-version", 0, "schema version to revert to")
	return cmd
}

func newResetProviderCommand() *cobra.Command {
	var f commonFlags
	var force bool
	cmd := &cobra.Command{
		Use:   "resetprovider",
		Short: "Delete every table of the data provider",
		Long:  `Drop all the data provider's tables and data. This cannot be undone: take a backup with dumpdata first.`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force {
				return fmt.Errorf("resetprovider destroys all data: add --force to confirm")
			}
			return withStore(cmd.Context(), &f, func(s *dataprovider.Store) error {
				if err := s.Reset(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "data provider reset: all data deleted")
				return nil
			})
		},
	}
	f.register(cmd, "-")
	cmd.Flags().BoolVar(&force, "force", false, "confirm the reset")
	return cmd
}
