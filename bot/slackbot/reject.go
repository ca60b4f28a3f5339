package slackbot

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/internal/rejections"
)

// Why a request from "Slack" was turned away, as okrbot_slack_rejected_total
// counts it.
const (
	reasonTooLarge       = "too_large"
	reasonMissingHeaders = "missing_headers"
	reasonBadTimestamp   = "bad_timestamp"
	reasonStale          = "stale"
	reasonBadSignature   = "bad_signature"
	reasonReplay         = "replay"
	reasonWrongWorkspace = "wrong_workspace"
	reasonNotInstalled   = "not_installed"
	reasonBadState       = "oauth_bad_state"
	reasonStateReused    = "oauth_state_reused"
)

// reasonOf names a verification failure.
func reasonOf(err error) string {
	switch err {
	case errMissingHeaders:
		return reasonMissingHeaders
	case errBadTimestamp:
		return reasonBadTimestamp
	case errStale:
		return reasonStale
	}
	return reasonBadSignature
}

// newRejections counts refused requests in okrbot_slack_rejected_total and
// logs them at most once per reason every rejections.Every: anyone can POST
// to the endpoints, and the counter has them all.
func newRejections(reg prometheus.Registerer, now func() time.Time) *rejections.Log {
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "okrbot_slack_rejected_total",
		Help: "Requests to the Slack endpoints refused or not processed, by reason (bad_signature, stale, missing_headers, bad_timestamp, too_large, replay, wrong_workspace, not_installed, oauth_bad_state, oauth_state_reused).",
	}, []string{"reason"})
	if reg != nil {
		reg.MustRegister(counter)
	}
	return rejections.New(counter, now)
}

// rejected counts a refused request and logs it within the rate limit.
// attrs are added to the line (never a secret or a signature).
func (b *Bot) rejected(r *http.Request, reason string, attrs ...any) {
	b.rejectedAt(r.URL.Path, r.RemoteAddr, reason, attrs...)
}

// rejectedAt is rejected for a request that did not come over HTTP
// (Socket Mode: path "socket", no remote address).
func (b *Bot) rejectedAt(path, remote, reason string, attrs ...any) {
	log, unlogged := b.rejects.Note(reason)
	if !log {
		return
	}
	args := []any{"path", path, "reason", reason}
	if remote != "" {
		args = append(args, "remote", remote)
	}
	args = append(args, attrs...)
	if unlogged > 0 {
		args = append(args, "not_logged_since_last", unlogged)
	}
	b.log.Warn("slack request rejected", args...)
}

// refuseWorkspace logs and counts a request from a workspace okrbot does not
// serve with this token, naming both workspaces.
func (b *Bot) refuseWorkspace(path, remote string, err *wrongWorkspaceError) {
	b.rejectedAt(path, remote, reasonWrongWorkspace, "team", err.got, "token_team", err.want)
}
