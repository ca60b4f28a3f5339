package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/chart"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/storage"
)

// newService builds the conversations every front end shares. kpiChanged,
// when not nil, hears of every recorded KPI value; observe, when not nil,
// of every command's outcome.
//
// Its writes that move when deliveries fall due (settings, time zones,
// subscriptions, KPI values) mark the workspace in the next-due index, in
// every process (serve, console, jobs), so the scheduler plans it at its
// next tick.
func newService(st storage.Store, cfg *Config, log *slog.Logger, kpiChanged func(ctx context.Context, workspace, slug string), observe func(what, code string)) *conversations.Service {
	return conversations.New(rhythm.Watch(st, st, log), conversations.Options{
		TimeZone:   cfg.TimeZone,
		Log:        log,
		Chart:      chart.Render,
		KPIChanged: kpiChanged,
		Observe:    observe,
		Admins:     cfg.admins(),
		Sources:    cfg.sourceFetcher(),
	})
}

// commandMetrics counts commands, actions and form submissions by outcome.
type commandMetrics struct {
	commands *prometheus.CounterVec
	errors   *prometheus.CounterVec
}

func newCommandMetrics(reg prometheus.Registerer) *commandMetrics {
	m := &commandMetrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_commands_total",
			Help: "Commands (okr, kpi), button actions and form submissions handled.",
		}, []string{"what"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_command_errors_total",
			Help: "Commands, actions and submissions refused or failed, by error code (invalid, not_found, forbidden, conflict, busy, unavailable, internal).",
		}, []string{"code"}),
	}
	reg.MustRegister(m.commands, m.errors)
	return m
}

// observe is conversations.Options.Observe.
func (m *commandMetrics) observe(what, code string) {
	m.commands.WithLabelValues(what).Inc()
	if code != "" {
		m.errors.WithLabelValues(code).Inc()
	}
}
