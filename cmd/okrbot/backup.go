package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/okrbot/okrbot/storage/sqlite"
)

const backupUsage = `Usage: okrbot backup FILE [flags]

Writes a consistent copy of the embedded store (OKRBOT_DATA_DIR/okrbot.db)
to FILE, a new file in an existing directory. It is safe while okrbot serve, the console or a job run
use the store: the copy is one snapshot, and nobody waits for it.

To restore: stop okrbot, replace okrbot.db in the data directory with the
copy (remove okrbot.db-wal and okrbot.db-shm if they are there), start okrbot.
`

func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	cfg := bindSettings(fs, getenv, "data-dir") // MONGODB_URI, from the environment, only to say why not
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		fmt.Fprint(stderr, backupUsage)
		return usageError{errors.New("say where the copy goes: okrbot backup okrbot-2026-11-20.db")}
	}
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	if cfg.MongoURI != "" {
		return errors.New("okrbot backup copies the embedded store; with MONGODB_URI set the data is in MongoDB: back it up with mongodump (or your Atlas backups)")
	}
	if err := sqlite.CheckBackupFile(file); err != nil {
		// Before the store is opened: nothing is said to be backed up.
		return usageError{err}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, sqlite.FileName)); errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("there is no store in %s (%s): nothing to back up; set OKRBOT_DATA_DIR (or --data-dir) to the data directory of okrbot serve", cfg.DataDir, sqlite.FileName)
	}
	log := slog.New(levelFilter{newLogger(stderr).Handler(), slog.LevelWarn})
	st, err := sqlite.Open(ctx, cfg.DataDir, sqlite.Options{Log: unfiltered(log)})
	if err != nil {
		return fmt.Errorf("embedded store in %s: %w", cfg.DataDir, err)
	}
	defer st.Close(context.WithoutCancel(ctx))
	fmt.Fprintf(stdout, "backing up %s to %s…\n", st.Path(), file)
	info, err := st.Backup(ctx, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up to %s (%s): %d workspaces, %d objectives, %d check-ins, %d deliveries\n",
		info.File, size(info.Bytes), info.Workspaces, info.Objectives, info.CheckIns, info.Deliveries)
	return nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
