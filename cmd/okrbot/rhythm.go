package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// buildSenders returns a sender per configured chat platform, for
// processes that send without serving (okrbot jobs run).
func buildSenders(ctx context.Context, cfg *Config, st storage.Store, svc *conversations.Service, log *slog.Logger, reg prometheus.Registerer) (map[domain.Platform]conversations.Sender, error) {
	out := map[domain.Platform]conversations.Sender{}
	b, err := newSlackBot(ctx, cfg, st, svc, log, reg, false)
	if err != nil {
		return nil, err
	}
	if b != nil {
		out[domain.Slack] = b.Sender()
	}
	ts, err := newTeamsSender(cfg, st, log)
	if err != nil {
		return nil, err
	}
	if ts != nil {
		out[domain.Teams] = ts
	}
	return out, nil
}
