package conversations

import (
	"time"

	"github.com/okrbot/okrbot/domain"
)

// The one path by which a KPI value is recorded, whoever records it: a
// person with /kpi set, a program through the HTTP API, or okrbot itself
// from the KPI's source. The same alert and the same key-result update
// follow in every case.

// valueTime checks the day a value is recorded for and returns the moment
// it is stored at: now for today, the middle of the day for a past day
// (read in the session's time zone). The future and more than five years
// ago are refused, with example as the right form.
func (ss *session) valueTime(d time.Time, typed, example string) (time.Time, error) {
	if d.After(ss.now) {
		return time.Time{}, domain.Invalid(example, "%s is in the future; values are recorded for today or earlier.", clip(typed, 30))
	}
	if d.Before(ss.now.AddDate(-5, 0, 0)) {
		return time.Time{}, domain.Invalid(example, "%s is more than five years ago.", clip(typed, 30))
	}
	if y, m, dd := ss.now.In(ss.loc).Date(); d.In(ss.loc).Year() == y && d.In(ss.loc).Month() == m && d.In(ss.loc).Day() == dd {
		return ss.now, nil
	}
	return d.Add(12 * time.Hour), nil // a past day counts from its middle
}

// mayRecord checks that the actor may record values of k: its owner or an
// admin (an API token acts as an admin of its workspace), and that k is not
// archived.
func (ss *session) mayRecord(k domain.KPI) error {
	if k.Owner != ss.actor.User && !ss.isAdmin() {
		return domain.Errorf(domain.EFORBIDDEN, "Only the owner of %s (%s) or a workspace admin can record its values.", k.Slug, ss.name(k.Owner))
	}
	if k.Archived {
		return domain.Invalid(ss.cmd("kpi")+" unarchive "+k.Slug, "The KPI %s is archived; it takes no new values until it is restored.", k.Slug)
	}
	return nil
}

// recordValues stores values of a KPI, moves the key results that follow
// it, and asks for the alert check at once. It returns the KPI as it is
// now and how many key results follow it.
func (ss *session) recordValues(slug string, vals []domain.KPIValue) (domain.KPI, int, error) {
	var k domain.KPI
	var err error
	for _, v := range vals {
		v.WorkspaceID, v.Slug = ss.ws.ID, slug
		if v.By == "" {
			v.By = ss.actor.User
		}
		if k, err = ss.store.AddKPIValue(ss.ctx, v); err != nil {
			return k, 0, err
		}
	}
	linked, err := ss.followKPI(k)
	if err != nil {
		return k, linked, err
	}
	if ss.opt.KPIChanged != nil {
		ss.opt.KPIChanged(ss.ctx, ss.ws.ID, slug)
	}
	return k, linked, nil
}
