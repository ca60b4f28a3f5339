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

func runConsole(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := bindSettings(fs, getenv, storeFlags...)
	platform := fs.String("platform", "slack", "slack or teams")
	workspace := fs.String("workspace", "", "Slack team id (T…) or Teams tenant id to act in (default: the only one in the store, else \"local\")")
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
		return usageError{fmt.Errorf("--platform must be slack or teams, not %q", *platform)}
	}
	if *as != "" {
		*user = *as
	}
	log := slog.New(levelFilter{newLogger(stderr).Handler(), slog.LevelWarn})
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if *workspace == "" {
		*workspace = defaultWorkspace(ctx, st, p)
	}
	svc := newService(st, cfg, log, nil, nil)
	c := console.New(svc, stdin, stdout, console.Options{
		Actor: conversations.Actor{Platform: p, Workspace: *workspace, User: *user, Channel: *channel, Admin: *admin, TimeZone: *tz,
			Directory: consoleDirectory(ctx, cfg, st, svc, log, p, *workspace)},
		Interactive: isTerminal(stdin),
	})
	return c.Run(ctx)
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

// defaultWorkspace is the only workspace of the platform in the store, so
// that on a single-workspace install the console acts where chat does.
func defaultWorkspace(ctx context.Context, st storage.Store, p domain.Platform) string {
	wss, err := st.Workspaces(ctx)
	if err != nil {
		return "local"
	}
	var found []string
	for _, w := range wss {
		if w.Platform == p {
			found = append(found, w.ExternalID)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return "local"
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
