package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/storage"
)

// setupSlack builds the Slack adapter from the configuration, mounts its HTTP
// routes on mux, starts Socket Mode (tied to ctx) when SLACK_APP_TOKEN is
// set, and returns the Slack sender for the weekly rhythm. With no Slack
// setting at all it does nothing and returns a nil sender.
//
// It refuses to start (an error, so okrbot exits non-zero) on a
// configuration that would serve Slack unsafely or not at all: tokens
// without a signing secret for the HTTP endpoints, a client id without its
// secret, or a multi-workspace install with nowhere safe to keep tokens.
func setupSlack(ctx context.Context, cfg *Config, st storage.Store, svc *conversations.Service, log *slog.Logger, reg prometheus.Registerer, mux *http.ServeMux) (conversations.Sender, error) {
	b, err := newSlackBot(ctx, cfg, st, svc, log, reg, true)
	if err != nil || b == nil {
		return nil, err
	}
	if secret := strings.TrimSpace(cfg.SlackSigningSecret); secret != "" {
		if err := b.Mount(mux); err != nil {
			return nil, err
		}
		log.Info("slack HTTP endpoints ready", "commands", slackbot.PathCommands, "interactions", slackbot.PathInteractions,
			"events", slackbot.PathEvents, "oauth_install", b.OAuthEnabled())
	} else {
		log.Info("slack: no signing secret, so no HTTP endpoints; Socket Mode only")
	}
	if cfg.SlackAppToken != "" {
		go func() {
			if err := b.RunSocketMode(ctx); err != nil {
				log.Error("slack socket mode stopped", "err", err)
			}
		}()
	}
	return b.Sender(), nil
}

// newSlackBot builds and starts the Slack adapter from the configuration;
// nil when Slack is off. serving says whether it will answer requests (okrbot
// serve) rather than only send (okrbot jobs run), which needs no signing secret.
func newSlackBot(ctx context.Context, cfg *Config, st storage.Store, svc *conversations.Service, log *slog.Logger, reg prometheus.Registerer, serving bool) (*slackbot.Bot, error) {
	secret := strings.TrimSpace(cfg.SlackSigningSecret)
	if secret == "" && cfg.SlackBotToken == "" && cfg.SlackAppToken == "" && cfg.SlackClientID == "" && cfg.SlackClientSecret == "" {
		log.Info("slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to connect a workspace (see the README)")
		return nil, nil
	}
	if (cfg.SlackClientID == "") != (cfg.SlackClientSecret == "") {
		return nil, usageError{errors.New("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both for the multi-workspace install, or neither")}
	}
	key, err := cfg.encryptionKey()
	if err != nil {
		return nil, usageError{err}
	}
	if key != nil {
		if err := st.SetTokenKey(key); err != nil {
			return nil, err
		}
	}
	oauth := cfg.SlackClientID != ""
	if oauth && key == nil {
		if cfg.SlackBotToken == "" {
			return nil, usageError{errors.New("the multi-workspace install (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET) stores each workspace's token encrypted: set OKRBOT_ENCRYPTION_KEY (openssl rand -base64 32)")}
		}
		log.Warn("slack OAuth install disabled: OKRBOT_ENCRYPTION_KEY is not set, and workspace tokens are never stored unencrypted; serving the SLACK_BOT_TOKEN workspace only")
		oauth = false
	}
	if cfg.SlackBotToken == "" && !oauth {
		return nil, usageError{errors.New("slack needs a bot token: set SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and OKRBOT_ENCRYPTION_KEY (install into many)")}
	}
	socket := cfg.SlackAppToken != ""
	if secret == "" && !socket && serving {
		return nil, usageError{errors.New("SLACK_SIGNING_SECRET is empty: okrbot refuses to serve the Slack endpoints without verifying requests (set it from the app's Basic Information page, or use Socket Mode with SLACK_APP_TOKEN)")}
	}
	limits, err := cfg.slackLimits()
	if err != nil {
		return nil, usageError{err}
	}
	bc := slackbot.Config{
		SigningSecret: secret, BotToken: cfg.SlackBotToken, AppToken: cfg.SlackAppToken,
		APIURL: cfg.SlackAPIURL, TimeZone: cfg.TimeZone, Log: log.With("component", "slack"), Registry: reg,
		Limits: limits, Paces: st,
	}
	if oauth {
		bc.ClientID, bc.ClientSecret = cfg.SlackClientID, cfg.SlackClientSecret
	}
	b, err := slackbot.New(bc, svc, st)
	if err != nil {
		return nil, usageError{err}
	}
	b.Start(ctx)
	return b, nil
}
