package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/storage"
)

// rhythmMetrics counts the rhythm's deliveries by kind and outcome, and
// reports the outbox's depth (deliveries not yet finished) when scraped.
type rhythmMetrics struct {
	deliveries *prometheus.CounterVec
	depth      *prometheus.Desc
	st         storage.Store
}

func newRhythmMetrics(reg prometheus.Registerer, st storage.Store) *rhythmMetrics {
	m := &rhythmMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_deliveries_total",
			Help: "Deliveries of the weekly rhythm by kind (checkin-prompt, reminder, digest, kpi-alert) and outcome (sent, skipped, failed, dead).",
		}, []string{"kind", "outcome"}),
		depth: prometheus.NewDesc("okrbot_outbox_depth",
			"Deliveries in the outbox not yet finished, by kind and state (pending, sending, failed; dead: refused for good).",
			[]string{"kind", "state"}, nil),
		st: st,
	}
	reg.MustRegister(m.deliveries, m)
	return m
}

// observe is conversations.RhythmOptions.Observe.
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
