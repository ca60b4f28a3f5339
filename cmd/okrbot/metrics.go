package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// rhythmMetrics counts the rhythm's deliveries by kind and outcome, and
// reports the outbox's depth (deliveries not yet finished) when scraped.
type rhythmMetrics struct {
	deliveries *prometheus.CounterVec
	depth      *prometheus.Desc
	st         depthStore
}

// depthStore counts the outbox's unfinished deliveries (storage.Store).
type depthStore interface {
	OutboxDepth(ctx context.Context) (map[[2]string]int, error)
}

func newRhythmMetrics(reg prometheus.Registerer, st depthStore) *rhythmMetrics {
	m := &rhythmMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_deliveries_total",
			Help: "Attempts at deliveries of the weekly rhythm by kind (checkin-prompt, reminder, digest, kpi-alert) and outcome: sent, skipped (nothing to say any more), failed (retried later), dead (refused for good), expired (given up: too many attempts, or too late).",
		}, []string{"kind", "outcome"}),
		depth: prometheus.NewDesc("okrbot_outbox_depth",
			"Deliveries in the outbox not yet finished, by kind and state (pending, sending, failed: waiting for a retry).",
			[]string{"kind", "state"}, nil),
		st: st,
	}
	reg.MustRegister(m.deliveries, m)
	return m
}

// observe is outbox.Options.Observe.
func (m *rhythmMetrics) observe(kind, outcome string) {
	m.deliveries.WithLabelValues(kind, outcome).Inc()
}

// Describe implements prometheus.Collector.
func (m *rhythmMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.depth }

// Collect implements prometheus.Collector: it reads the outbox at scrape time.
func (m *rhythmMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	depth, err := m.st.OutboxDepth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.depth, err)
		return
	}
	for k, n := range depth {
		ch <- prometheus.MustNewConstMetric(m.depth, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}
