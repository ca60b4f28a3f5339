// Package seedfile keeps seeded companies (internal/seed) as SQLite store
// files in a cache directory, so that benchmarks of a large company write
// it once (a 10,000-person company takes a minute or more) and then start
// from a copy in milliseconds.
//
// It is benchmark support, like internal/seed: nothing in the product
// imports it, and no test of `go test ./...` seeds a large company.
package seedfile

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// version changes whenever internal/seed writes a different company for the
// same Size, so that a cached file of the earlier seed is not reused.
const version = 1

// Dir is where seeded files are kept: $OKRBOT_BENCH_CACHE, else
// okrbot-bench in the user's cache directory (~/.cache on Linux).
func Dir() (string, error) {
	if d := os.Getenv("OKRBOT_BENCH_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("seedfile: no cache directory (set OKRBOT_BENCH_CACHE): %w", err)
	}
	return filepath.Join(d, "okrbot-bench"), nil
}

// Moment is the moment a benchmark seeds its company for: the latest
// Friday 15:30 UTC, when the week's check-ins are in, unless that was last
// quarter (then today 00:00 UTC), so that the objectives are of the cycle
// now in progress and "/okr list mine" finds them.
func Moment(now time.Time) time.Time {
	now = now.UTC()
	t := now.Truncate(24 * time.Hour).Add(15*time.Hour + 30*time.Minute)
	for t.Weekday() != time.Friday || t.After(now) {
		t = t.AddDate(0, 0, -1)
	}
	if domain.CycleOf(t, time.UTC) != domain.CycleOf(now, time.UTC) {
		return now.Truncate(24 * time.Hour)
	}
	return t
}

// File returns a store file holding the company seed.Write writes into
// workspace at the moment at, and the company: from the cache when it is
// there, else written now (progress hears how it goes) and kept.
func File(ctx context.Context, workspace string, size seed.Size, at time.Time, progress func(string)) (string, seed.Company, error) {
	const op = "seedfile.File"
	if progress == nil {
		progress = func(string) {}
	}
	dir, err := Dir()
	if err != nil {
		return "", seed.Company{}, err
	}
	s := size.WithDefaults()
	// The schema version is in the name too: a file seeded before a
	// migration would otherwise be migrated at every open.
	name := fmt.Sprintf("v%d.%d-%s-%dp-%dkr-%dw-%dt-%dk-%s", version, sqlite.SchemaVersion(), strings.ReplaceAll(workspace, ":", "_"), s.People, s.KRsPerObjective, s.Weeks, s.Teams, s.KPIs, at.UTC().Format("20060102T1504"))
	file, meta := filepath.Join(dir, name+".db"), filepath.Join(dir, name+".json")
	var co seed.Company
	if b, err := os.ReadFile(meta); err == nil && json.Unmarshal(b, &co) == nil {
		if _, err := os.Stat(file); err == nil {
			return file, co, nil
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	tmp, err := os.MkdirTemp(dir, "seeding-")
	if err != nil {
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	defer os.RemoveAll(tmp)
	st, err := sqlite.Open(ctx, tmp, sqlite.Options{Now: func() time.Time { return at }})
	if err != nil {
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	start := time.Now()
	co, err = seed.Write(ctx, st, workspace, size, at, progress)
	if err != nil {
		st.Close(ctx)
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	progress(fmt.Sprintf("seeded in %v; keeping a copy in %s", time.Since(start).Round(time.Second), dir))
	// Backup writes a compact, checked copy beside the name and renames it
	// into place: a file of this name is always complete.
	part := filepath.Join(tmp, "copy.db")
	if _, err := st.Backup(ctx, part); err != nil {
		st.Close(ctx)
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	st.Close(ctx)
	if err := os.Rename(part, file); err != nil {
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	b, _ := json.Marshal(co)
	if err := os.WriteFile(meta+".part", b, 0o640); err != nil {
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	if err := os.Rename(meta+".part", meta); err != nil {
		return "", co, fmt.Errorf("%s: %w", op, err)
	}
	return file, co, nil
}

// Copy puts a copy of the store file into the data directory dir (as
// okrbot.db), for a store or an okrbot process to open.
func Copy(file, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	in, err := os.Open(file)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(filepath.Join(dir, sqlite.FileName), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Open returns a store in dir holding a copy of the seeded company (see
// File), with the clock now (time.Now when nil).
func Open(ctx context.Context, dir, workspace string, size seed.Size, at time.Time, now func() time.Time, progress func(string)) (*sqlite.Store, seed.Company, error) {
	file, co, err := File(ctx, workspace, size, at, progress)
	if err != nil {
		return nil, co, err
	}
	if err := Copy(file, dir); err != nil {
		return nil, co, err
	}
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Now: now})
	return st, co, err
}
