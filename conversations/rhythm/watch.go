package rhythm

import (
	"context"
	"log/slog"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// Watch returns st with the writes that can move when deliveries fall due
// marking the workspace in the next-due index, so that the next tick plans
// it: rhythm settings (the workspace's or a team's), a person's time zone,
// subscriptions, KPIs and their values and sources, and imports. Everything else okrbot writes
// (objectives, key results, check-ins, absences) only changes who gets what
// at a moment the index already has (see people.nextDue), which the
// planner reads fresh at that moment.
//
// A mark that fails is logged; the index plans every workspace within a
// week whatever happens.
func Watch(st conversations.Store, index Schedules, log *slog.Logger) conversations.Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &watched{Store: st, index: index, log: log}
}

type watched struct {
	conversations.Store
	index Schedules
	log   *slog.Logger
}

var (
	allKinds    = []string{domain.KindCheckInPrompt, domain.KindReminder, domain.KindDigest, domain.KindEscalation}
	personKinds = []string{domain.KindCheckInPrompt, domain.KindReminder, domain.KindEscalation}
)

func (w *watched) mark(ctx context.Context, workspace string, kinds ...string) {
	for _, k := range kinds {
		if err := w.index.SetNextDue(context.WithoutCancel(ctx), workspace, k, time.Time{}); err != nil {
			w.log.Warn("next-due index: marking a change", "workspace", workspace, "kind", k, "err", err)
		}
	}
}

func (w *watched) SaveSettings(ctx context.Context, workspace string, s domain.Settings) error {
	if err := w.Store.SaveSettings(ctx, workspace, s); err != nil {
		return err
	}
	w.mark(ctx, workspace, allKinds...)
	return nil
}

func (w *watched) SaveTeamSettings(ctx context.Context, t domain.TeamSettings) error {
	if err := w.Store.SaveTeamSettings(ctx, t); err != nil {
		return err
	}
	w.mark(ctx, t.WorkspaceID, allKinds...)
	return nil
}

func (w *watched) SaveUser(ctx context.Context, u domain.User) error {
	changed := u.TimeZone != ""
	if changed {
		if old, err := w.Store.User(ctx, u.WorkspaceID, u.ID); err == nil && old.TimeZone == u.TimeZone {
			changed = false
		}
	}
	if err := w.Store.SaveUser(ctx, u); err != nil {
		return err
	}
	if changed {
		w.mark(ctx, u.WorkspaceID, personKinds...)
	}
	return nil
}

func (w *watched) Subscribe(ctx context.Context, s domain.Subscription) error {
	if err := w.Store.Subscribe(ctx, s); err != nil {
		return err
	}
	w.mark(ctx, s.WorkspaceID, domain.KindDigest)
	return nil
}

func (w *watched) CreateKPI(ctx context.Context, k domain.KPI) error {
	if err := w.Store.CreateKPI(ctx, k); err != nil {
		return err
	}
	w.mark(ctx, k.WorkspaceID, domain.KindKPIAlert)
	return nil
}

func (w *watched) AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error) {
	k, err := w.Store.AddKPIValue(ctx, v)
	if err != nil {
		return k, err
	}
	w.mark(ctx, v.WorkspaceID, domain.KindKPIAlert)
	return k, nil
}

// SetKPISource marks the kpi-sources job: a new source is fetched at the
// next tick, not at the next period.
func (w *watched) SetKPISource(ctx context.Context, workspace, slug string, src *domain.KPISource) error {
	if err := w.Store.SetKPISource(ctx, workspace, slug, src); err != nil {
		return err
	}
	w.mark(ctx, workspace, domain.KindSourceFailing)
	return nil
}

// ImportData marks every kind: an import brings people, time zones, KPIs
// and their sources at once.
func (w *watched) ImportData(ctx context.Context, workspace string, b domain.ImportBatch) error {
	if err := w.Store.ImportData(ctx, workspace, b); err != nil {
		return err
	}
	w.mark(ctx, workspace, domain.KindCheckInPrompt, domain.KindReminder, domain.KindDigest, domain.KindKPIAlert, domain.KindSourceFailing)
	return nil
}
