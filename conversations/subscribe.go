package conversations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

// Who may change where digests are posted. A weekly post in a channel is
// something its team lives with, and the company roll-up is read by
// leadership: so a team's digest is subscribed or unsubscribed by a
// workspace admin or by the owner of one of that team's active objectives,
// and the company roll-up only by an admin. Every refusal names who may.

// subscribe runs /okr digest subscribe [#channel] [--company].
func (ss *session) subscribe(channel, name string, company bool) Reply {
	if channel == "" {
		return ss.fail(domain.Invalid(exDigest, "Say which channel gets the digest."), "")
	}
	existing, subscribed, err := ss.subscription(channel)
	if err != nil {
		return ss.fail(err, exDigest)
	}
	if err := ss.mayChangeDigest(channel, company || subscribed && existing.Company, "subscribe"); err != nil {
		return ss.fail(err, "")
	}
	if name == "" {
		// Keep the name the platform gives, so that every digest of the
		// channel, whichever process composes it, is headed by it.
		name = ss.channelName(channel)
	}
	var note Text
	if dir := ss.actor.Directory; dir == nil {
		note = T("okrbot could not check from here that it is a member of ").AddChannel(channel, name).
			Add("; if it is not, invite it there or the digest cannot be posted.")
	} else {
		in, err := dir.BotInChannel(ss.ctx, channel)
		if err != nil {
			ss.opt.Log.WarnContext(ss.ctx, "platform membership check failed", "workspace", ss.ws.ID, "channel", channel, "err", err)
			return Reply{Code: domain.EBUSY, Message: Lines("Could not check the channel",
				T("okrbot could not check that it is a member of ").AddChannel(channel, ss.channelName(channel)).
					Add("; nothing was changed. Please try again in a moment."))}
		}
		if !in {
			return Reply{Code: domain.EINVALID, Message: Lines("okrbot is not in that channel",
				T("okrbot is not a member of ").AddChannel(channel, ss.channelName(channel)).
					Add(", so it cannot post the digest there; nothing was changed. ").Add(ss.inviteHint()).
					Add(" Then subscribe again: ").AddCode(ss.cmd("okr")+" digest subscribe"+companyFlag(company)))}
		}
	}
	// Subscribing a channel again (another name, the company roll-up)
	// keeps when it was first subscribed: a channel subscribed before this
	// week's digest moment still gets this week's digest, however late the
	// run that sends it.
	since := ss.now
	if subscribed && !existing.At.IsZero() && existing.At.Before(since) {
		since = existing.At
	}
	if err := ss.store.Subscribe(ss.ctx, domain.Subscription{WorkspaceID: ss.ws.ID, Channel: channel, Name: name, Company: company, By: ss.actor.User, At: since}); err != nil {
		return ss.fail(err, exDigest)
	}
	what := "this team's objectives"
	if company {
		what = "the company roll-up"
	}
	// The team's own rhythm, in its time zone: the first digest is at its
	// next digest moment (a subscription never posts last week's at once).
	set := ss.ws.Settings
	if teams, err := ss.teamSettings(ss.ctx, ss.ws.ID); err == nil {
		set, _ = personal(ss.ws, teams, channel, "")
	}
	sch, loc := set.Digest, loadLocation(set.TimeZone)
	when := fmt.Sprintf(" will get the weekly digest of %s every %s at %s (%s)", what, sch.Weekday, hhmm(sch.Minute), loc)
	if subscribed {
		when += ", as it has since " + since.In(loc).Format("2 Jan 2006")
	} else if first, _ := domain.NextDue(ss.now, loc, set, domain.KindDigest); !first.IsZero() {
		when += ", the first on " + first.In(loc).Format("Monday 2 Jan")
	}
	m := Lines("Subscribed", Text{}.AddChannel(channel, name).Add(when+". ").
		Add("Preview it in the channel: ").AddCode(ss.cmd("okr")+" digest preview"))
	if note != nil {
		m.Sections[0].Note = note
	}
	return Reply{Message: m}
}

// unsubscribe runs /okr digest unsubscribe [#channel].
func (ss *session) unsubscribe(channel string) Reply {
	if channel == "" {
		return ss.fail(domain.Invalid("/okr digest unsubscribe #leadership", "Say which channel to unsubscribe."), "")
	}
	existing, subscribed, err := ss.subscription(channel)
	if err != nil {
		return ss.fail(err, exDigest)
	}
	name := ss.channelName(channel)
	if !subscribed {
		return Reply{Message: Lines("Not subscribed", Text{}.AddChannel(channel, name).Add(" was not getting the digest."))}
	}
	if err := ss.mayChangeDigest(channel, existing.Company, "unsubscribe"); err != nil {
		return ss.fail(err, "")
	}
	ok, err := ss.store.Unsubscribe(ss.ctx, ss.ws.ID, channel)
	if err != nil {
		return ss.fail(err, exDigest)
	}
	if !ok {
		return Reply{Message: Lines("Not subscribed", Text{}.AddChannel(channel, name).Add(" was not getting the digest."))}
	}
	return Reply{Message: Lines("Unsubscribed", Text{}.AddChannel(channel, name).Add(" will no longer get the weekly digest."))}
}

// subscription returns a channel's subscription, if it has one.
func (ss *session) subscription(channel string) (domain.Subscription, bool, error) {
	subs, err := ss.store.Subscriptions(ss.ctx, ss.ws.ID)
	if err != nil {
		return domain.Subscription{}, false, err
	}
	for _, s := range subs {
		if s.Channel == channel {
			return s, true, nil
		}
	}
	return domain.Subscription{}, false, nil
}

// mayChangeDigest checks that the actor may (un)subscribe channel: an admin
// always; for a team digest also the owner of one of the channel's active
// objectives. The refusal says who may.
func (ss *session) mayChangeDigest(channel string, company bool, verb string) error {
	if ss.isAdmin() {
		return nil
	}
	ch := "#" + channel
	if n := ss.channelName(channel); n != "" {
		ch = "#" + n
	}
	if company {
		return domain.Errorf(domain.EFORBIDDEN, "Only a workspace admin can %s the company roll-up in %s; nothing was changed.", verbOn(verb), ch)
	}
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{Team: channel, Statuses: []domain.ObjectiveStatus{domain.Active}})
	if err != nil {
		return err
	}
	var owners []string
	for _, o := range os {
		if o.Owner == ss.actor.User {
			return nil
		}
		if !slices.Contains(owners, o.Owner) {
			owners = append(owners, o.Owner)
		}
	}
	msg := fmt.Sprintf("Only a workspace admin or the owner of one of %s's objectives can %s %s; nothing was changed.", ch, verb, ch)
	if len(owners) > 0 {
		names := ss.names(owners)
		var who []string
		for i, id := range owners {
			if i == 3 {
				who = append(who, fmt.Sprintf("%d more", len(owners)-3))
				break
			}
			who = append(who, names[id])
		}
		msg += " Ask a workspace admin or " + strings.Join(who, ", ") + "."
	} else {
		msg += " Ask a workspace admin."
	}
	return domain.Errorf(domain.EFORBIDDEN, "%s", msg)
}

func verbOn(verb string) string {
	if verb == "subscribe" {
		return "send"
	}
	return "stop"
}

func companyFlag(company bool) string {
	if company {
		return " --company"
	}
	return ""
}

// inviteHint says how to bring okrbot into a channel on the actor's platform.
func (ss *session) inviteHint() string {
	if ss.actor.Platform == domain.Teams {
		// The Teams sender posts only where it holds a conversation
		// reference, which okrbot gets from a message in that channel.
		return "Add okrbot to that channel's team, then mention it there once (@okrbot okr help) so that it can post there."
	}
	return "Invite it with /invite @okrbot in that channel."
}
