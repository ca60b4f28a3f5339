package main

import (
	"fmt"
	"log/slog"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/chart"
	"github.com/okrbot/okrbot/storage"
)

// newService builds the conversations every front end shares.
func newService(st *storage.Store, cfg *Config, log *slog.Logger) *conversations.Service {
	return conversations.New(st, conversations.Options{
		TimeZone: cfg.TimeZone,
		Log:      log,
		Chart:    chart.Render,
	})
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
