package main

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/storage/storagetest"
)

func TestRhythmMetrics(t *testing.T) {
	st := storagetest.Open(t, nil)
	reg := prometheus.NewRegistry()
	m := newRhythmMetrics(reg, st)
	outbox.New(st, outbox.Options{}).Enqueue(context.Background(), []domain.OutboxEntry{
		{ID: "w/u1/reminder/2026-W47", WorkspaceID: "w", Recipient: "u1", Kind: "reminder", Period: "2026-W47"},
		{ID: "w/u2/reminder/2026-W47", WorkspaceID: "w", Recipient: "u2", Kind: "reminder", Period: "2026-W47"},
	})
	m.observe("reminder", "sent")
	m.observe("reminder", "failed")
	want := `
# HELP okrbot_outbox_depth Deliveries in the outbox not yet finished, by kind and state (pending, sending, failed: waiting for a retry).
# TYPE okrbot_outbox_depth gauge
okrbot_outbox_depth{kind="reminder",state="pending"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "okrbot_outbox_depth"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(m.deliveries.WithLabelValues("reminder", "failed")); got != 1 {
		t.Errorf("failed deliveries counted %v", got)
	}
}

func TestCommandMetricsCountErrorsByCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newCommandMetrics(reg)
	m.observe("okr", "")
	m.observe("okr", domain.EINVALID)
	m.observe("kpi", domain.EINVALID)
	m.observe("submit", domain.EFORBIDDEN)
	if got := testutil.ToFloat64(m.errors.WithLabelValues(domain.EINVALID)); got != 2 {
		t.Errorf("invalid counted %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.commands.WithLabelValues("okr")); got != 2 {
		t.Errorf("okr commands counted %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.errors.WithLabelValues(domain.EFORBIDDEN)); got != 1 {
		t.Errorf("forbidden counted %v, want 1", got)
	}
}
