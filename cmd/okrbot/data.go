package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/okrbot/okrbot/api"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// Data in and out: the HTTP API, okrbot token and okrbot import.

// mountAPI serves the HTTP API under /api/v1/.
func mountAPI(mux *http.ServeMux, svc *conversations.Service, st storage.Store, log *slog.Logger) {
	mux.Handle(api.Prefix+"/", api.New(svc, st, api.Options{Log: log.With("component", "api")}))
}

// toolStore opens the store and the conversations for a command an
// operator runs (export, import, token): only warnings are logged, the
// command's own output is the rest.
func toolStore(ctx context.Context, cfg *Config, stderr io.Writer) (storage.Store, *conversations.Service, func(), error) {
	log := slog.New(levelFilter{newLogger(stderr).Handler(), slog.LevelWarn})
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	return st, newService(st, cfg, log, nil, nil), closeStore, nil
}

// toolWorkspace is toolStore for a command on one workspace (--workspace,
// or the only one), after the configuration is checked.
func toolWorkspace(ctx context.Context, cfg *Config, stderr io.Writer, name string) (*conversations.Service, domain.Workspace, func(), error) {
	if err := cfg.validate(); err != nil {
		return nil, domain.Workspace{}, nil, usageError{err}
	}
	st, svc, closeStore, err := toolStore(ctx, cfg, stderr)
	if err != nil {
		return nil, domain.Workspace{}, nil, err
	}
	ws, err := pickWorkspace(ctx, st, name)
	if err != nil {
		closeStore()
		return nil, domain.Workspace{}, nil, err
	}
	return svc, ws, closeStore, nil
}

// parseInterleaved parses flags wherever they are among the arguments
// ("token create etl --workspace T1" as well as "token create --workspace
// T1 etl") and returns the other arguments in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

const tokenUsage = `Usage:
  okrbot token create --workspace W NAME   make an API token (shown once)
  okrbot token list   --workspace W        list a workspace's tokens
  okrbot token revoke --workspace W NAME   revoke one: it gets 401 from then on

A token opens the HTTP API (/api/v1) of one workspace, as an admin of it.
NAME says what uses it: letters, digits, - and _ (nightly-etl, grafana).
`

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verb := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("okrbot token "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	cfg := bindSettings(fs, getenv, storeFlags...)
	workspace := fs.String("workspace", "", `the workspace: "slack:T024BE7LD", or the platform id "T024BE7LD" (default: the only one)`)
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError{err}
	}
	switch verb {
	case "create", "revoke":
		if len(rest) != 1 {
			fs.Usage()
			return usageError{fmt.Errorf("token %s takes one NAME (example: okrbot token %s --workspace T024BE7LD nightly-etl)", verb, verb)}
		}
		if err := domain.ValidateTokenName(rest[0]); err != nil {
			return usageError{errors.New(domain.ErrorMessage(err))}
		}
	case "list":
		if len(rest) != 0 {
			return usageError{fmt.Errorf("token list takes no NAME, only --workspace")}
		}
	default:
		fs.Usage()
		return usageError{fmt.Errorf("expected okrbot token create, list or revoke")}
	}
	svc, ws, closeStore, err := toolWorkspace(ctx, cfg, stderr, *workspace)
	if err != nil {
		return err
	}
	defer closeStore()
	switch verb {
	case "create":
		secret, t, err := svc.CreateAPIToken(ctx, ws.ID, rest[0], "okrbot token create")
		if err != nil {
			return errors.New(domain.ErrorMessage(err))
		}
		fmt.Fprintf(stderr, "API token %s of %s; copy it now, it is not shown again:\n", t.Name, ws.ID)
		fmt.Fprintln(stdout, secret)
		return nil
	case "revoke":
		t, err := svc.RevokeAPIToken(ctx, ws.ID, rest[0])
		if err != nil {
			return errors.New(domain.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "revoked %s of %s: requests with it now get 401\n", t.Name, ws.ID)
		return nil
	}
	list, err := svc.APITokens(ctx, ws.ID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(stdout, "%s has no API tokens; make one with: okrbot token create --workspace %s NAME\n", ws.ID, ws.ExternalID)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTOKEN\tCREATED\tBY\tLAST USED\tREVOKED")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Hint, day(t.CreatedAt), t.CreatedBy, day(t.LastUsedAt), day(t.RevokedAt))
	}
	return tw.Flush()
}

const importUsage = `Usage: okrbot import DIR [--workspace W] [--dry-run] [--skip-bad-rows]

Reads the CSV files okrbot export writes (workspace.csv, people.csv, kpis.csv,
kpi_values.csv, objectives.csv, key_results.csv, initiatives.csv,
checkins.csv, week_notes.csv; any of them) from DIR and writes what they hold
into the workspace: the one workspace.csv names, or --workspace. Owners may be
platform ids or emails (of people.csv or people okrbot knows). Every row is
checked first; when any is refused, nothing is written (unless
--skip-bad-rows). What okrbot has already is left alone, so importing the
same files again creates nothing twice.
`

func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	cfg := bindSettings(fs, getenv, storeFlags...)
	workspace := fs.String("workspace", "", `the workspace to import into: "slack:T024BE7LD", or the platform id of one okrbot has (default: workspace.csv's)`)
	dryRun := fs.Bool("dry-run", false, "check every row and say what would be written, and write nothing")
	skip := fs.Bool("skip-bad-rows", false, "write the rows that are fine when some are refused (and leave out what depends on a refused row)")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(rest) != 1 {
		fs.Usage()
		return usageError{errors.New("give the directory holding the CSV files (example: okrbot import ./export-2026-Q4)")}
	}
	in, closeFiles, err := csvFiles(rest[0])
	if err != nil {
		return usageError{err}
	}
	defer closeFiles()
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	st, svc, closeStore, err := toolStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	target := *workspace
	if target != "" && !strings.Contains(target, ":") {
		// A platform id names a workspace okrbot has; a new one comes with
		// its workspace.csv (or its full id).
		ws, err := pickWorkspace(ctx, st, target)
		if err != nil {
			return err
		}
		target = ws.ID
	}
	var mu sync.Mutex
	start := time.Now()
	progress := func(file string, rows int, done bool) {
		mu.Lock()
		defer mu.Unlock()
		if done {
			fmt.Fprintf(stderr, "read %s: %s\n", file, plural(rows, "row", "rows"))
		} else {
			fmt.Fprintf(stderr, "reading %s: %d rows…\n", file, rows)
		}
	}
	rep, err := svc.Import(ctx, in, conversations.ImportOptions{Workspace: target, DryRun: *dryRun, SkipBadRows: *skip, Progress: progress,
		Writing: func(n int) { fmt.Fprintf(stderr, "checked every row; writing %d records in one transaction…\n", n) }})
	if err != nil {
		return fmt.Errorf("import: %s", domain.ErrorMessage(err))
	}
	printImport(stdout, rep, *dryRun, time.Since(start))
	switch {
	case rep.Written && len(rep.Problems) > 0:
		return nil // --skip-bad-rows: the rest is in, as asked
	case len(rep.Problems) > 0 && !*dryRun:
		return fmt.Errorf("nothing was written: %s; fix them, or run again with --skip-bad-rows to write the rest", plural(len(rep.Problems), "problem", "problems"))
	case len(rep.Problems) > 0:
		return errors.New(plural(len(rep.Problems), "problem", "problems"))
	}
	return nil
}

// csvFiles opens the CSV files of dir okrbot reads.
func csvFiles(dir string) ([]csvio.Input, func(), error) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory; give the directory okrbot export wrote", dir)
	}
	var in []csvio.Input
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, name := range csvio.Files {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		files = append(files, f)
		in = append(in, csvio.Input{Name: name, R: f})
	}
	if len(in) == 0 {
		return nil, nil, fmt.Errorf("%s holds none of okrbot's CSV files (%s)", dir, strings.Join(csvio.Files, ", "))
	}
	return in, closeAll, nil
}

// maxShown bounds the problems printed; the count says how many there are.
const maxShown = 200

func printImport(w io.Writer, rep conversations.ImportReport, dryRun bool, took time.Duration) {
	verb := "created"
	switch {
	case dryRun:
		verb = "would create"
	case !rep.Written:
		verb = "would have created"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "FILE\t%s\tALREADY THERE\n", strings.ToUpper(verb))
	for _, f := range csvio.Files {
		if rep.Create[f] > 0 || rep.Exists[f] > 0 {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", f, rep.Create[f], rep.Exists[f])
		}
	}
	tw.Flush()
	probs := rep.Problems // in file and row order
	for i, p := range probs {
		if i == maxShown {
			fmt.Fprintf(w, "… and %d more problems\n", len(probs)-maxShown)
			break
		}
		fmt.Fprintln(w, p.String())
	}
	switch {
	case rep.Written:
		fmt.Fprintf(w, "imported into %s in %s\n", rep.Workspace, took.Round(time.Millisecond))
	case dryRun && len(probs) == 0:
		fmt.Fprintf(w, "dry run: every row can be imported into %s; nothing was written\n", rep.Workspace)
	case dryRun:
		fmt.Fprintf(w, "dry run: %s refused; nothing was written\n", plural(rep.Refused(), "row", "rows"))
	}
}

// plural writes a count with its noun: "1 row", "3 rows".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
