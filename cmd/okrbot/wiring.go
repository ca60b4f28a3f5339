package main

import (
	"context"
	"log/slog"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/chart"
	"github.com/okrbot/okrbot/storage"
)

// newService builds the conversations every front end shares. kpiChanged,
// when not nil, hears of every recorded KPI value.
func newService(st *storage.Store, cfg *Config, log *slog.Logger, kpiChanged func(ctx context.Context, workspace, slug string)) *conversations.Service {
	return conversations.New(st, conversations.Options{
		TimeZone:   cfg.TimeZone,
		Log:        log,
		Chart:      chart.Render,
		KPIChanged: kpiChanged,
		Admins:     cfg.admins(),
	})
}
