package conversations

import (
	"context"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// The kpi-sources job, in the weekly rhythm's scheduler: every tick, under
// the job's lease (one process at a time), it fetches the KPI sources that
// are due and sends the failing-source alerts through the outbox like every
// other delivery. (This file is the whole of it, so that it moves in one
// piece when the scheduler leaves this package.)

// JobKPISources fetches the KPIs' sources.
const JobKPISources = "kpi-sources"

// planSources fetches ws's due sources at at; the alerts of failing ones
// go to the outbox as it goes. It returns how many alerts were new.
func (r *Rhythm) planSources(ctx context.Context, ws domain.Workspace, at time.Time) (int, error) {
	if r.opt.Sources == nil {
		return 0, nil
	}
	var rep SourceReport
	err := r.svc.fetchWorkspace(ctx, ws, r.store, r.opt.Sources, at, &rep)
	if rep.Fetched+rep.Failed > 0 {
		r.opt.Log.Info("kpi sources fetched", "workspace", ws.ID, "fetched", rep.Fetched, "failed", rep.Failed, "alerted", rep.Alerted)
	}
	return rep.Alerted, err
}

// composeSourceFailing writes the alert of a failing source, unless it
// works again (or is gone) by the time the alert is sent.
func (r *Rhythm) composeSourceFailing(ctx context.Context, ws domain.Workspace, e domain.OutboxEntry) (*Message, string, error) {
	k, err := r.svc.store.KPI(ctx, ws.ID, e.Subject)
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
	return r.svc.SourceFailingMessage(ws, k), "", nil
}
