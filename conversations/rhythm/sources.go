package rhythm

import (
	"context"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// JobKPISources fetches the KPIs' sources that are due, and sends the
// alert of one that starts failing.
const JobKPISources = "kpi-sources"

// Sources fetches a workspace's KPI sources (*conversations.Service).
type Sources interface {
	FetchSources(ctx context.Context, ws domain.Workspace, q conversations.Queue, at time.Time) (conversations.SourceReport, error)
}

// planSources fetches the sources of ws due at the run's moment (under the
// job's lease: one process at a time); the alert of a source that starts
// failing is written to q as the fetch finds it, before the source's state
// moves, so that a crash in between plans it again (the same ID).
func planSources(ctx context.Context, run *Run, ws domain.Workspace, q Queue) (planned, error) {
	src := run.r.opt.Sources
	if src == nil {
		return planned{}, nil
	}
	rep, err := src.FetchSources(ctx, ws, expiring{q, run}, run.at)
	out := planned{written: true, enqueued: rep.Alerted, entries: rep.Alerts, next: rep.Next, fetched: rep.Fetched, failed: rep.Failed}
	for _, e := range rep.Alerts {
		out.periods = append(out.periods, e.Period)
	}
	if rep.Fetched+rep.Failed > 0 {
		run.r.opt.Log.Info("kpi sources fetched", "workspace", ws.ID, "fetched", rep.Fetched, "failed", rep.Failed, "alerted", rep.Alerted)
	}
	return out, err
}

// expiring gives the alerts it writes the lifetime of a KPI alert.
type expiring struct {
	q   Queue
	run *Run
}

func (x expiring) Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error) {
	for i := range entries {
		entries[i].ExpiresAt = x.run.expires(x.run.asOf(entries[i]).Add(alertTTL))
	}
	return x.q.Enqueue(ctx, entries)
}

// composeSourceFailing writes the alert of a failing source, unless it
// works again, or is gone, by the time the alert is sent.
func composeSourceFailing(ctx context.Context, run *Run, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error) {
	k, err := run.r.store.KPI(ctx, ws.ID, e.Subject)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		return nil, "the KPI was deleted", nil
	case err != nil:
		return nil, "", err
	case k.Source == nil:
		return nil, "the KPI no longer has a source", nil
	case !k.Source.State.Failing():
		return nil, "the source works again", nil
	}
	return conversations.SourceFailingMessage(ws, k), "", nil
}
