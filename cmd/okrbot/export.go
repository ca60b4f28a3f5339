package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

const exportUsage = `Usage: okrbot export [--cycle 2026-Q4] [--workspace W] [--out DIR]

Writes a workspace's data as CSV files into DIR (default: the current
directory), one file per table: workspace, people, KPIs and their values,
objectives, key results, initiatives, check-ins and week notes. okrbot
import reads them back.
`

// workspaces lists the store's workspaces (storage.Store).
type workspaces interface {
	Workspaces(ctx context.Context) ([]domain.Workspace, error)
}

// pickWorkspace finds the workspace --workspace names: its store id
// ("slack:T024BE7LD") or its platform id ("T024BE7LD"), or the only one
// there is when it names none. It never guesses between several.
func pickWorkspace(ctx context.Context, st workspaces, name string) (domain.Workspace, error) {
	wss, err := st.Workspaces(ctx)
	if err != nil {
		return domain.Workspace{}, err
	}
	var ids []string
	var found []domain.Workspace
	for _, w := range wss {
		ids = append(ids, w.ID)
		if name == "" || w.ID == name || w.ExternalID == name {
			found = append(found, w)
		}
	}
	switch {
	case len(wss) == 0:
		return domain.Workspace{}, fmt.Errorf("the store holds no workspace yet")
	case len(found) == 1:
		return found[0], nil
	case name == "":
		return domain.Workspace{}, usageError{fmt.Errorf("the store holds %d workspaces; say which with --workspace (one of %s)", len(wss), strings.Join(ids, ", "))}
	case len(found) == 0:
		return domain.Workspace{}, usageError{fmt.Errorf("no workspace %q; the store holds %s", name, strings.Join(ids, ", "))}
	}
	return domain.Workspace{}, usageError{fmt.Errorf("%q names %d workspaces; give the full id (one of %s)", name, len(found), strings.Join(ids, ", "))}
}

func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); fs.PrintDefaults() }
	cfg := bindSettings(fs, getenv, dataFlags...)
	cycle := fs.String("cycle", "", "only this cycle's objectives, key results and check-ins, and the KPI values measured in it (2026-Q4, 2026-H1, 2026)")
	workspace := fs.String("workspace", "", `the workspace: "slack:T024BE7LD", or the platform id "T024BE7LD" (default: the only one)`)
	out := fs.String("out", ".", "the directory to write the files into (made if missing)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected %q; export takes only flags", fs.Arg(0))}
	}
	if *cycle != "" {
		if _, err := domain.ParseCycle(*cycle); err != nil {
			return usageError{fmt.Errorf("--cycle: %s", domain.ErrorMessage(err))}
		}
	}
	svc, ws, closeStore, err := toolWorkspace(ctx, cfg, stderr, *workspace)
	if err != nil {
		return err
	}
	defer closeStore()
	fmt.Fprintf(stderr, "exporting %s…\n", ws.ID)
	exp, err := svc.Export(ctx, ws.ID, *cycle)
	if err != nil {
		return fmt.Errorf("export: %s", domain.ErrorMessage(err))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, f := range exp.Files {
		if err := writeFileAtomic(filepath.Join(*out, f.Name), f.Data); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %d files to %s: %s\n", len(exp.Files), *out, exp.Summary())
	return nil
}
