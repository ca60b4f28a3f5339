package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/okrbot/okrbot/bot/console"
	"github.com/okrbot/okrbot/bot/teamsbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

const consoleUsage = `Usage: okrbot console [--workspace T [--create]] [--user U] [flags]

Reads /okr and /kpi commands from the terminal (or a pipe) and answers in
plain text, through the same handlers and store as chat, acting as a user of
a workspace: the only one in the store, or the one --workspace names (an
empty store starts one called "local"). Example:
  echo '/okr list all' | okrbot console --workspace T024BE7LD
`

func runConsole(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, consoleUsage); fs.PrintDefaults() }
	cfg := bindSettings(fs, getenv, storeFlags...)
	platform := fs.String("platform", "slack", "slack or teams (default: the platform of the workspace acted in)")
	workspace := fs.String("workspace", "", "Slack team id (T…), Teams tenant id, or store id (slack:T…) of the workspace to act in (default: the only one in the store; in an empty store, a new one called \"local\")")
	create := fs.Bool("create", false, "start the --workspace named when the store has none by that id")
	user := fs.String("user", "console", "platform user id to act as")
	as := fs.String("as", "", "same as --user")
	channel := fs.String("channel", "", "channel id to type in (default: a direct message)")
	admin := fs.Bool("admin", false, "act as a workspace admin")
	tz := fs.String("tz", "", "the acting person's time zone (IANA; default: the workspace's)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	p := domain.Platform(*platform)
	if p != domain.Slack && p != domain.Teams {
		return usageError{fmt.Errorf("--platform must be slack or teams, not %q (example: okrbot console --platform teams --workspace <tenant id>)", *platform)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected %q; the console takes only flags, and reads commands from its input (example: echo '/okr list' | okrbot console)", fs.Arg(0))}
	}
	platformGiven := false
	fs.Visit(func(f *flag.Flag) { platformGiven = platformGiven || f.Name == "platform" })
	if *as != "" {
		*user = *as
	}
	log := slog.New(levelFilter{newLogger(stderr).Handler(), slog.LevelWarn})
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	ws, note, err := consoleWorkspace(ctx, st, cfg, consoleTarget{Platform: p, PlatformGiven: platformGiven, Name: *workspace, Create: *create})
	if err != nil {
		return err
	}
	interactive := isTerminal(stdin)
	if !interactive && ws.CreatedNow {
		// Piped input has no banner: a new workspace is still said.
		fmt.Fprintf(stderr, "okrbot console: started a new workspace %s. %s\n", ws.ID, note)
	}
	p = ws.Platform
	svc := newService(consoleStore{st}, cfg, log, nil, nil)
	c := console.New(svc, stdin, stdout, console.Options{
		Actor: conversations.Actor{Platform: p, Workspace: ws.ExternalID, User: *user, Channel: *channel, Admin: *admin, TimeZone: *tz,
			Directory: consoleDirectory(ctx, cfg, st, svc, log, p, ws.ExternalID)},
		Interactive: interactive,
		Banner:      note,
	})
	return c.Run(ctx)
}

// consoleStore is the store as the console uses it. Every command records
// the person typing it (conversations saves the actor's name and time
// zone); a console user carries neither unless --tz or the platform's
// directory gives them, and then saving would only add a row to a store
// the console was asked to read (a backup being checked). Nothing needs
// that row: what people own names them, and an away writes its own.
type consoleStore struct{ storage.Store }

// SaveUser saves u unless it says nothing but its id.
func (s consoleStore) SaveUser(ctx context.Context, u domain.User) error {
	if u.Name == "" && u.Email == "" && u.TimeZone == "" {
		return nil
	}
	return s.Store.SaveUser(ctx, u)
}

// consoleTarget is what the console's flags say about where to act.
type consoleTarget struct {
	Platform      domain.Platform
	PlatformGiven bool   // --platform was given: only its workspaces count
	Name          string // --workspace: a store id (slack:T1) or a platform id (T1); "" for the default
	Create        bool   // --create: start Name when the store lacks it
}

// consoleWorkspaceChoice is the workspace the console acts in.
type consoleWorkspaceChoice struct {
	domain.Workspace
	CreatedNow bool // it was started by this console
}

// workspaceStore is what consoleWorkspace needs of the store.
type workspaceStore interface {
	Workspaces(ctx context.Context) ([]domain.Workspace, error)
	EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error)
}

// consoleWorkspace picks the workspace the console acts in, and says which
// (the banner). It never guesses: the only workspace in the store, the one
// --workspace names, or, in an empty store (a fresh install), a new one
// called "local". With several and none named, or a name the store does not
// have, it refuses with the list and an example; only --create (or the empty
// store) starts a workspace, and that is said.
func consoleWorkspace(ctx context.Context, st workspaceStore, cfg *Config, t consoleTarget) (consoleWorkspaceChoice, string, error) {
	all, err := st.Workspaces(ctx)
	if err != nil {
		return consoleWorkspaceChoice{}, "", fmt.Errorf("console: the store's workspaces: %w", err)
	}
	var ids []string
	var candidates []domain.Workspace
	for _, w := range all {
		ids = append(ids, w.ID)
		if !t.PlatformGiven || w.Platform == t.Platform {
			candidates = append(candidates, w)
		}
	}
	has := "the store has none yet"
	if len(ids) > 0 {
		has = "the store has " + strings.Join(ids, ", ")
	}
	start := func(p domain.Platform, external, why string) (consoleWorkspaceChoice, string, error) {
		w, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: domain.WorkspaceID(p, external), Platform: p, ExternalID: external,
			Settings: domain.DefaultSettings(cfg.TimeZone)})
		if err != nil {
			return consoleWorkspaceChoice{}, "", fmt.Errorf("console: starting workspace %s: %w", domain.WorkspaceID(p, external), err)
		}
		return consoleWorkspaceChoice{Workspace: w, CreatedNow: true}, why, nil
	}
	if t.Name == "" {
		switch {
		case len(all) == 0:
			return start(t.Platform, "local", "It is new: the store had no workspace. To act in a Slack workspace or Teams tenant, give --workspace ID.")
		case len(candidates) == 1:
			w := candidates[0]
			return consoleWorkspaceChoice{Workspace: w}, fmt.Sprintf("It is the only %sworkspace in the store.", platformWord(t)), nil
		case len(candidates) == 0:
			return consoleWorkspaceChoice{}, "", usageError{fmt.Errorf("the store has no %s workspace (%s); name one to start with --workspace ID --create (example: okrbot console --platform %s --workspace %s --create)", t.Platform, has, t.Platform, exampleID(t.Platform))}
		}
		var exts []string
		for _, w := range candidates {
			exts = append(exts, w.ID)
		}
		return consoleWorkspaceChoice{}, "", usageError{fmt.Errorf("the store holds %d workspaces (%s); say which with --workspace (example: okrbot console --workspace %s)", len(candidates), strings.Join(exts, ", "), candidates[0].ExternalID)}
	}
	p, external := t.Platform, t.Name
	if pre, rest, ok := strings.Cut(t.Name, ":"); ok && (domain.Platform(pre) == domain.Slack || domain.Platform(pre) == domain.Teams) {
		if t.PlatformGiven && domain.Platform(pre) != t.Platform {
			return consoleWorkspaceChoice{}, "", usageError{fmt.Errorf("--workspace %s is a %s workspace, but --platform says %s; give one or the other (example: okrbot console --workspace %s)", t.Name, pre, t.Platform, t.Name)}
		}
		p, external = domain.Platform(pre), rest
	}
	if strings.TrimSpace(external) == "" || strings.ContainsAny(external, " \t/") {
		return consoleWorkspaceChoice{}, "", usageError{fmt.Errorf("--workspace %q is not a workspace id (example: okrbot console --workspace T024BE7LD)", t.Name)}
	}
	var found []domain.Workspace
	for _, w := range candidates {
		if w.ID == t.Name || (w.ExternalID == external && (w.Platform == p || !t.PlatformGiven && !strings.Contains(t.Name, ":"))) {
			found = append(found, w)
		}
	}
	switch {
	case len(found) == 1:
		w := found[0]
		return consoleWorkspaceChoice{Workspace: w}, "", nil
	case len(found) > 1:
		return consoleWorkspaceChoice{}, "", usageError{fmt.Errorf("--workspace %s names %d workspaces (%s); give the full id (example: okrbot console --workspace %s)", t.Name, len(found), has, found[0].ID)}
	case t.Create:
		return start(p, external, "It is new (--create).")
	}
	return consoleWorkspaceChoice{}, "", usageError{fmt.Errorf("no workspace %s; %s; add --create to start a new one (example: okrbot console --workspace %s --create)", domain.WorkspaceID(p, external), has, t.Name)}
}

// exampleID is a workspace id as platform p writes it, for examples.
func exampleID(p domain.Platform) string {
	if p == domain.Teams {
		return "72f988bf-86f1-41af-91ab-2d7cd011db47"
	}
	return "T024BE7LD"
}

// platformWord is "teams " when --platform narrowed the choice, else "".
func platformWord(t consoleTarget) string {
	if t.PlatformGiven {
		return string(t.Platform) + " "
	}
	return ""
}

// consoleDirectory is the directory of the platform the console acts for,
// when that platform is configured: Slack's (users.info,
// conversations.info) with a Slack token for this workspace, Teams' (its
// stored conversation references) with a Teams app id. Otherwise nil:
// nothing can be checked, and the answers say so.
func consoleDirectory(ctx context.Context, cfg *Config, st storage.Store, svc *conversations.Service, log *slog.Logger, p domain.Platform, workspace string) conversations.Directory {
	switch p {
	case domain.Slack:
		if cfg.SlackBotToken == "" && cfg.SlackClientID == "" {
			return nil
		}
		b, err := newSlackBot(ctx, cfg, st, svc, log, nil, false)
		if err != nil || b == nil {
			log.Warn("console: Slack is configured but cannot be asked; nothing is checked against it", "err", err)
			return nil
		}
		d, err := b.Directory(ctx, workspace)
		if err != nil {
			log.Warn("console: Slack cannot be asked about this workspace; nothing is checked against it", "workspace", workspace, "err", err)
			return nil
		}
		return d
	case domain.Teams:
		if strings.TrimSpace(cfg.MicrosoftAppID) == "" {
			return nil
		}
		return teamsbot.NewDirectory(st, workspace)
	}
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
