package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// buildSenders returns a sender per configured chat platform, for the
// rhythm's deliveries.
func buildSenders(ctx context.Context, cfg *Config, st *storage.Store, svc *conversations.Service, log *slog.Logger, reg prometheus.Registerer) (map[domain.Platform]conversations.Sender, error) {
	out := map[domain.Platform]conversations.Sender{}
	if cfg.SlackBotToken != "" || (cfg.SlackClientID != "" && cfg.SlackClientSecret != "") {
		if key, err := cfg.encryptionKey(); err != nil {
			return nil, err
		} else if key != nil {
			if err := st.SetTokenKey(key); err != nil {
				return nil, err
			}
		}
		limits, err := cfg.slackLimits()
		if err != nil {
			return nil, err
		}
		b, err := slackbot.New(slackbot.Config{
			Limits:        limits,
			SigningSecret: cfg.SlackSigningSecret, BotToken: cfg.SlackBotToken, ClientID: cfg.SlackClientID,
			ClientSecret: cfg.SlackClientSecret, APIURL: cfg.SlackAPIURL, TimeZone: cfg.TimeZone, Log: log, Registry: reg,
		}, svc, st)
		if err != nil {
			return nil, err
		}
		b.Start(ctx)
		out[domain.Slack] = b.Sender()
	}
	return out, nil
}
