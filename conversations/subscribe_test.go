package conversations_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// fakeDirectory is a platform's directory: the people it knows, channel
// names, and the channels okrbot is in.
type fakeDirectory struct {
	people   map[string]string
	channels map[string]string
	member   map[string]bool
	fail     error
	asked    []string
}

func (d *fakeDirectory) UserName(_ context.Context, user string) (string, error) {
	d.asked = append(d.asked, "user "+user)
	if d.fail != nil {
		return "", d.fail
	}
	name, ok := d.people[user]
	if !ok {
		return "", domain.NotFound("no such user")
	}
	return name, nil
}

func (d *fakeDirectory) ChannelName(_ context.Context, channel string) (string, error) {
	return d.channels[channel], nil
}

func (d *fakeDirectory) BotInChannel(_ context.Context, channel string) (bool, error) {
	d.asked = append(d.asked, "member "+channel)
	if d.fail != nil {
		return false, d.fail
	}
	return d.member[channel], nil
}

// TestWhoMayChangeWhereDigestsArePosted: a team's digest is subscribed and
// unsubscribed by an admin or an owner of one of the team's objectives;
// the company roll-up only by an admin; every refusal says who may and
// changes nothing.
func TestWhoMayChangeWhereDigestsArePosted(t *testing.T) {
	f := newFixture(t)
	dir := &fakeDirectory{
		channels: map[string]string{"C0GROWTH": "growth", "C0LEADERS": "leadership", "C0SALES": "sales"},
		member:   map[string]bool{"C0GROWTH": true, "C0LEADERS": true, "C0SALES": true},
	}
	as := func(user string, admin bool) conversations.Actor {
		a := actor(user)
		a.Admin, a.Directory = admin, dir
		return a
	}
	boss, ada, eve := as("boss", true), as("ada", false), as("eve", false)
	// Ada owns an objective of #growth; Eve owns nothing.
	in := ada
	in.Channel = "C0GROWTH"
	if r := f.svc.Command(ctx, in, "okr", "create Grow the European market"); r.Failed() {
		t.Fatal(conversations.PlainText(r.Message))
	}
	f.svc.Command(ctx, eve, "okr", "help")
	if r := f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0LEADERS> --company"); r.Failed() {
		t.Fatal(conversations.PlainText(r.Message))
	}

	refused := []struct {
		who        conversations.Actor
		line, says string
	}{
		{eve, "digest unsubscribe <#C0LEADERS>", "Only a workspace admin can stop the company roll-up in #leadership"},
		{ada, "digest unsubscribe <#C0LEADERS>", "Only a workspace admin can stop the company roll-up"},
		{eve, "digest subscribe <#C0SALES>", "Only a workspace admin or the owner of one of #sales's objectives can subscribe #sales"},
		{eve, "digest subscribe <#C0GROWTH>", "Ask a workspace admin or Ada."},
		{ada, "digest subscribe <#C0GROWTH> --company", "Only a workspace admin can send the company roll-up"},
		{ada, "digest subscribe <#C0SALES>", "Only a workspace admin or the owner of one of #sales's objectives"},
		{ada, "digest subscribe <#C0LEADERS>", "Only a workspace admin can send the company roll-up in #leadership"},
		{eve, "digest subscribe <#C0GENERAL|general>", "Only a workspace admin or the owner"},
	}
	for _, c := range refused {
		before := f.snapshot()
		r := f.svc.Command(ctx, c.who, "okr", c.line)
		text := conversations.PlainText(r.Message)
		if r.Code != domain.EFORBIDDEN || !strings.Contains(text, c.says) || !strings.Contains(text, "nothing was changed") {
			t.Errorf("%s: %s: %s %q", c.who.User, c.line, r.Code, text)
		}
		if after := f.snapshot(); after != before {
			t.Errorf("%s: %s changed the store:\n%s\n---\n%s", c.who.User, c.line, before, after)
		}
	}

	// Ada may subscribe and unsubscribe her team's channel; the admin anything.
	for _, c := range []struct {
		who  conversations.Actor
		line string
	}{
		{ada, "digest subscribe <#C0GROWTH>"},
		{ada, "digest unsubscribe <#C0GROWTH>"},
		{boss, "digest subscribe <#C0SALES>"},
		{boss, "digest unsubscribe <#C0LEADERS>"},
	} {
		if r := f.svc.Command(ctx, c.who, "okr", c.line); r.Failed() {
			t.Errorf("%s: %s: %s", c.who.User, c.line, conversations.PlainText(r.Message))
		}
	}
	subs, _ := f.st.Subscriptions(ctx, "slack:T1")
	if len(subs) != 1 || subs[0].Channel != "C0SALES" || subs[0].Company {
		t.Errorf("subscriptions: %+v", subs)
	}
}

// TestSubscribingAChannelOkrbotIsNotIn asks to invite it, and subscribes
// nothing; a failed check changes nothing either.
func TestSubscribingAChannelOkrbotIsNotIn(t *testing.T) {
	f := newFixture(t)
	dir := &fakeDirectory{channels: map[string]string{"C0RANDOM": "random"}, member: map[string]bool{}}
	boss := actor("boss")
	boss.Admin, boss.Directory = true, dir
	f.svc.Command(ctx, boss, "okr", "help")
	before := f.snapshot()
	r := f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0RANDOM>")
	if text := conversations.PlainText(r.Message); r.Code != domain.EINVALID || !strings.Contains(text, "not a member of #random") ||
		!strings.Contains(text, "/invite @okrbot") || !strings.Contains(text, "nothing was changed") {
		t.Errorf("%s %q", r.Code, text)
	}
	dir.fail = errors.New("slack is down")
	r = f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0RANDOM>")
	if text := conversations.PlainText(r.Message); r.Code != domain.EBUSY || !strings.Contains(text, "nothing was changed") {
		t.Errorf("%s %q", r.Code, text)
	}
	if after := f.snapshot(); after != before {
		t.Errorf("the store changed:\n%s\n---\n%s", before, after)
	}
	// Invited: subscribed.
	dir.fail, dir.member["C0RANDOM"] = nil, true
	if r := f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0RANDOM>"); r.Failed() || !strings.Contains(conversations.PlainText(r.Message), "random will get the weekly digest") {
		t.Errorf("%s", conversations.PlainText(r.Message))
	}
}

// TestOwnerLabelsAreNotTrusted: the label of "<@U0002|ceo.spoofed>" is never
// stored or shown; the platform's name is, and a person the platform does
// not know is refused.
func TestOwnerLabelsAreNotTrusted(t *testing.T) {
	f := newFixture(t)
	dir := &fakeDirectory{people: map[string]string{"U0002": "Bob Builder"}}
	ada := actor("ada")
	ada.Directory = dir
	if r := f.svc.Command(ctx, ada, "okr", "create Grow"); r.Failed() {
		t.Fatal(conversations.PlainText(r.Message))
	}
	r := f.svc.Command(ctx, ada, "okr", "kr add O-1 Hire a VP of sales --owner <@U0002|ceo.spoofed>")
	if text := conversations.PlainText(r.Message); r.Failed() || strings.Contains(text, "spoofed") || !strings.Contains(text, "Bob Builder") {
		t.Fatalf("%s", text)
	}
	for _, line := range []string{"show KR-1", "list <@U0002|ceo.spoofed>", "show O-1"} {
		if text := conversations.PlainText(f.svc.Command(ctx, ada, "okr", line).Message); strings.Contains(text, "spoofed") {
			t.Errorf("%s shows the typed label:\n%s", line, text)
		}
	}
	if u, _ := f.st.User(ctx, "slack:T1", "U0002"); u.Name != "Bob Builder" {
		t.Errorf("stored name %q", u.Name)
	}
	// Someone the platform does not know: refused, nothing written.
	before := f.snapshot()
	r = f.svc.Command(ctx, ada, "okr", "kr add O-1 Hire a CFO --owner <@U0NOBODY|cfo>")
	if r.Code != domain.EINVALID || !strings.Contains(conversations.PlainText(r.Message), "no person U0NOBODY") {
		t.Errorf("%s %s", r.Code, conversations.PlainText(r.Message))
	}
	if after := f.snapshot(); after != before {
		t.Errorf("the store changed:\n%s\n---\n%s", before, after)
	}
	// Without a directory (nothing to ask), the label is still not kept.
	plain := actor("ada")
	f.svc.Command(ctx, plain, "okr", "kr add O-1 Hire a CTO --owner <@U0003|cto.spoofed>")
	if u, err := f.st.User(ctx, "slack:T1", "U0003"); err == nil && strings.Contains(u.Name, "spoofed") {
		t.Errorf("label stored: %+v", u)
	}
}

// Subscribing a channel again (to rename it, or after a run that has not
// yet sent this week's digest) keeps when it was first subscribed, so this
// week's digest still goes to it; the reply says it goes on as before.
func TestSubscribingAgainKeepsTheChannelsRhythm(t *testing.T) {
	f := newFixture(t)
	dir := &fakeDirectory{channels: map[string]string{"C0GROWTH": "growth"}, member: map[string]bool{"C0GROWTH": true}}
	boss := actor("boss")
	boss.Admin, boss.Directory = true, dir
	first := time.Date(2026, 11, 2, 11, 0, 0, 0, time.UTC)
	f.clock.t = first
	if r := f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0GROWTH>"); r.Failed() || !strings.Contains(conversations.PlainText(r.Message), "the first on Monday 9 Nov") {
		t.Fatalf("%s: %s", r.Code, conversations.PlainText(r.Message))
	}
	f.clock.t = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC) // after Monday's 09:00 digest moment
	r := f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0GROWTH|growth-team>")
	if text := conversations.PlainText(r.Message); r.Failed() || !strings.Contains(text, "as it has since 2 Nov 2026") || strings.Contains(text, "the first on") {
		t.Errorf("subscribed again: %s: %s", r.Code, text)
	}
	subs, _ := f.st.Subscriptions(ctx, "slack:T1")
	if len(subs) != 1 || !subs[0].At.Equal(first) || subs[0].Name != "growth-team" {
		t.Errorf("subscriptions: %+v", subs)
	}
	// Unsubscribed and subscribed again, it starts anew.
	f.svc.Command(ctx, boss, "okr", "digest unsubscribe <#C0GROWTH>")
	if r := f.svc.Command(ctx, boss, "okr", "digest subscribe <#C0GROWTH>"); r.Failed() || !strings.Contains(conversations.PlainText(r.Message), "the first on Monday 30 Nov") {
		t.Errorf("subscribed anew: %s: %s", r.Code, conversations.PlainText(r.Message))
	}
	if subs, _ := f.st.Subscriptions(ctx, "slack:T1"); len(subs) != 1 || !subs[0].At.Equal(f.clock.t) {
		t.Errorf("subscriptions after unsubscribing: %+v", subs)
	}
}
