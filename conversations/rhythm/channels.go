package rhythm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// planDigests plans the weekly digest of every subscribed channel whose
// digest moment has come in the channel's time zone (its team's settings).
func planDigests(ctx context.Context, run *Run, ws domain.Workspace, _ Queue) (planned, error) {
	st := run.r.store
	subs, err := st.Subscriptions(ctx, ws.ID)
	if err != nil || len(subs) == 0 {
		return planned{}, err
	}
	ts, err := st.TeamSettings(ctx, ws.ID)
	if err != nil {
		return planned{}, err
	}
	teams := map[string]domain.Settings{}
	for _, t := range ts {
		teams[t.Channel] = t.Settings
	}
	var out planned
	periods := map[string]bool{}
	for _, sub := range subs {
		set, tz := domain.Personal(ws.Settings, teams, sub.Channel, "")
		loc := loadLocation(tz)
		m, _ := domain.NextDue(run.at, loc, set, domain.KindDigest)
		out.next = earliest(out.next, m)
		week, due := domain.DueWeek(run.at, loc, set, domain.KindDigest)
		if !due {
			continue
		}
		open, closes, _ := domain.Window(week, set, loc, domain.KindDigest)
		if sub.At.After(open) {
			// Subscribed after this week's digest moment: the first digest
			// is at the next one, not last week's posted at once.
			continue
		}
		periods[string(week)] = true
		subject := "team"
		if sub.Company {
			subject = "company"
		}
		out.entries = append(out.entries, domain.OutboxEntry{
			ID: domain.OutboxID(ws.ID, sub.Channel, domain.KindDigest, string(week)), WorkspaceID: ws.ID, Recipient: sub.Channel,
			Kind: domain.KindDigest, Period: string(week), Subject: subject, At: run.at,
			// A digest a day late is news; later, the next one is closer.
			ExpiresAt: run.expires(earliest(closes, run.at.Add(24*time.Hour))),
		})
	}
	for per := range periods {
		out.periods = append(out.periods, per)
	}
	return out, nil
}

// composeDigest writes a channel's digest as of the moment it was planned
// for. It reads what that one digest needs (a team's digest, its team's
// objectives and check-ins), however long it takes: the outbox renews the
// delivery's lease meanwhile.
func composeDigest(ctx context.Context, run *Run, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error) {
	if channel, code, ok := refusedNotice(e); ok {
		return composeRefused(ctx, run, ws, channel, code)
	}
	scope := conversations.DigestScope{Channel: e.Recipient, Company: e.Subject == "company"}
	if !scope.Company && run.r.opt.ChannelName != nil {
		scope.Name = run.r.opt.ChannelName(ctx, ws, e.Recipient)
	}
	m, err := run.r.digest.Digest(ctx, ws.ID, scope, run.asOf(e))
	return m, "", err
}

// alertTTL is how long a KPI alert stays worth sending.
const alertTTL = 24 * time.Hour

// planAlerts compares each KPI's health at the run's moment with the state
// last alerted on. A change is alerted once: its outbox key names the KPI,
// the new state and the moment it began, so every process planning it
// plans the same. It writes the alerts before it moves the state: a crash
// in between plans the same keys again, which the outbox ignores.
func planAlerts(ctx context.Context, run *Run, ws domain.Workspace, q Queue) (planned, error) {
	st := run.r.store
	ks, err := st.KPIs(ctx, ws.ID)
	if err != nil {
		return planned{}, err
	}
	var out planned
	out.written = true
	for _, k := range ks {
		if s := k.StaleAt(); s.After(run.at) {
			out.next = earliest(out.next, s)
		}
		prev, now := k.Health, k.HealthOf(run.at)
		if prev == "" {
			prev = domain.HealthUnknown
		}
		if now == prev || now == domain.HealthUnknown {
			continue
		}
		since := run.at
		if k.Latest != nil {
			since = k.Latest.At
			if now == domain.HealthStale {
				since = k.StaleAt()
			}
		}
		var alerts []domain.OutboxEntry
		if !(prev == domain.HealthUnknown && now == domain.HealthGreen) {
			period := fmt.Sprintf("%s:%s:%d", k.Slug, now, since.Unix())
			out.periods = append(out.periods, period)
			alert := domain.OutboxEntry{WorkspaceID: ws.ID, Kind: domain.KindKPIAlert, Period: period, Subject: k.Slug, At: run.at, ExpiresAt: run.expires(run.at.Add(alertTTL))}
			owner := alert
			owner.ID, owner.Recipient, owner.Direct = domain.OutboxID(ws.ID, k.Owner, domain.KindKPIAlert, period), k.Owner, true
			alerts = append(alerts, owner)
			if k.Team != "" && now != domain.HealthStale {
				team := alert
				team.ID, team.Recipient = domain.OutboxID(ws.ID, k.Team, domain.KindKPIAlert, period), k.Team
				alerts = append(alerts, team)
			}
		}
		if len(alerts) > 0 {
			n, err := q.Enqueue(ctx, alerts)
			if err != nil {
				return out, err
			}
			out.enqueued += n
			out.entries = append(out.entries, alerts...)
		}
		if _, err := st.SetKPIHealth(ctx, ws.ID, k.Slug, k.Health, now, since); err != nil {
			return out, err
		}
	}
	return out, nil
}

// composeAlert writes a KPI alert, unless the KPI is gone.
func composeAlert(ctx context.Context, run *Run, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error) {
	k, err := run.r.store.KPI(ctx, ws.ID, e.Subject)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil, "the KPI was deleted", nil
		}
		return nil, "", err
	}
	parts := strings.Split(e.Period, ":")
	if len(parts) != 3 {
		return nil, "", fmt.Errorf("rhythm: a KPI alert with period %q", e.Period)
	}
	return conversations.AlertMessage(ws, k, domain.Health(parts[1])), "", nil
}

// A digest the platform refuses for good (okrbot is not in the channel, the
// channel is gone) is not silently dropped: the person who subscribed the
// channel is told, once per subscription, with the fix. The notice is a
// direct delivery of the digest kind, so the run that met the refusal
// sends it; its key names the channel and the subscription's moment, so a
// refusal every week tells them once, and subscribing again re-arms it.

const refusedPrefix = "refused:"

// DigestRefused returns the notice of a refused digest delivery e (reason
// is the platform's refusal), or false when there is none to send: the
// entry is not a channel's digest, or the channel is no longer subscribed.
func (run *Run) DigestRefused(ctx context.Context, e domain.OutboxEntry, reason string) (domain.OutboxEntry, bool, error) {
	if e.Kind != domain.KindDigest || e.Direct {
		return domain.OutboxEntry{}, false, nil
	}
	subs, err := run.r.store.Subscriptions(ctx, e.WorkspaceID)
	if err != nil {
		return domain.OutboxEntry{}, false, err
	}
	for _, sub := range subs {
		if sub.Channel != e.Recipient || sub.By == "" {
			continue
		}
		period := fmt.Sprintf("%s%s:%d", refusedPrefix, sub.Channel, sub.At.Unix())
		return domain.OutboxEntry{
			ID: domain.OutboxID(e.WorkspaceID, sub.By, domain.KindDigest, period), WorkspaceID: e.WorkspaceID, Recipient: sub.By, Direct: true,
			Kind: domain.KindDigest, Period: period, Subject: refusedPrefix + sub.Channel + ":" + conversations.RefusedCode(reason), At: run.at,
			ExpiresAt: run.r.opt.Now().Add(7 * 24 * time.Hour),
		}, true, nil
	}
	return domain.OutboxEntry{}, false, nil
}

// refusedNotice reads a notice's channel and refusal code from its subject.
func refusedNotice(e domain.OutboxEntry) (channel, code string, ok bool) {
	rest, ok := strings.CutPrefix(e.Subject, refusedPrefix)
	if !ok || !e.Direct {
		return "", "", false
	}
	channel, code, _ = strings.Cut(rest, ":")
	return channel, code, true
}

func composeRefused(ctx context.Context, run *Run, ws domain.Workspace, channel, code string) (*conversations.Message, string, error) {
	subs, err := run.r.store.Subscriptions(ctx, ws.ID)
	if err != nil {
		return nil, "", err
	}
	for _, sub := range subs {
		if sub.Channel == channel {
			name := sub.Name
			if run.r.opt.ChannelName != nil {
				if n := run.r.opt.ChannelName(ctx, ws, channel); n != "" {
					name = n
				}
			}
			return conversations.DigestRefusedMessage(ws, channel, name, code), "", nil
		}
	}
	return nil, "the channel was unsubscribed meanwhile", nil
}
