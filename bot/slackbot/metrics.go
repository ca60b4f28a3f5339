package slackbot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts what the adapter does with Slack.
type metrics struct {
	calls       *prometheus.CounterVec // Web API calls by method and outcome
	rateLimited *prometheus.CounterVec // 429 answers by method
	requests    *prometheus.CounterVec // requests from Slack by endpoint and outcome
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_slack_api_calls_total",
			Help: "Slack Web API calls by method and outcome (ok, api_error, rate_limited, server_error, network_error).",
		}, []string{"method", "outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_slack_rate_limited_total",
			Help: "Slack Web API answers 429 (rate limited), by method.",
		}, []string{"method"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_slack_requests_total",
			Help: "Requests from Slack by endpoint and outcome (verified, unauthorized, too_large).",
		}, []string{"endpoint", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.calls, m.rateLimited, m.requests)
	}
	return m
}

func (m *metrics) call(method, outcome string) { m.calls.WithLabelValues(method, outcome).Inc() }

func (m *metrics) limited(method string) { m.rateLimited.WithLabelValues(method).Inc() }

func (m *metrics) request(endpoint, outcome string) {
	m.requests.WithLabelValues(endpoint, outcome).Inc()
}
