package conversations_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// TestEscalationSettings: `/okr settings escalate …` and `lead …` as admins
// type them, for the workspace in a DM and for a team in its channel.
func TestEscalationSettings(t *testing.T) {
	tests := []struct {
		line, channel string
		want          domain.Escalation
		lead          string
		shows         string
	}{
		{"settings escalate after 3", "", domain.Escalation{After: 3, Set: true}, "", "after 3 missed check-ins in a row, a DM to the team lead"},
		{"settings escalate 4", "", domain.Escalation{After: 4, Set: true}, "", "after 4 missed"},
		{"settings Escalate After 2 weeks", "", domain.Escalation{After: 2, Set: true}, "", "after 2 missed"},
		{"settings escalate after 3 missed check-ins", "", domain.Escalation{After: 3, Set: true}, "", "after 3 missed"},
		{"settings escalation after 1", "", domain.Escalation{After: 1, Set: true}, "", "after 1 missed check-in in a row"},
		{"settings escalate off", "", domain.Escalation{Off: true, Set: true}, "", "Escalation: off"},
		{"settings escalate never", "", domain.Escalation{Off: true, Set: true}, "", "Escalation: off"},
		{"settings checkin thursday 16:00 escalate after 3 timezone Europe/Paris", "", domain.Escalation{After: 3, Set: true}, "", "Thursday 16:00"},
		{"settings escalate after 3", "C1", domain.Escalation{After: 3, Set: true}, "", "the owner of the team's objective"},
		{"settings lead @zoe", "C1", domain.Escalation{}, "zoe", "Team lead: @Zoe"},
		{"settings lead <@U0ZOE|zoe>", "C1", domain.Escalation{}, "U0ZOE", "Team lead: @U0ZOE"},
		{"settings escalate off lead @zoe", "C1", domain.Escalation{Off: true, Set: true}, "zoe", "Escalation: off"},
	}
	for _, tt := range tests {
		t.Run(tt.line+" in "+tt.channel, func(t *testing.T) {
			f := newFixture(t)
			admin := actor("boss")
			admin.Admin, admin.Channel = true, tt.channel
			f.svc.Command(ctx, actor("zoe"), "okr", "list") // Zoe has used okrbot
			r := f.svc.Command(ctx, admin, "okr", tt.line)
			text := conversations.PlainText(r.Message)
			if r.Failed() || !strings.Contains(text, tt.shows) {
				t.Fatalf("%s: %s", r.Code, text)
			}
			got, lead := storedEscalation(t, f, tt.channel)
			if got != tt.want || lead != tt.lead {
				t.Errorf("stored %+v lead %q, want %+v lead %q", got, lead, tt.want, tt.lead)
			}
		})
	}
}

func storedEscalation(t *testing.T, f *fixture, channel string) (domain.Escalation, string) {
	t.Helper()
	if channel == "" {
		ws, _ := f.st.Workspace(ctx, "slack:T1")
		return ws.Settings.Escalate, ""
	}
	ts, _ := f.st.TeamSettings(ctx, "slack:T1")
	for _, s := range ts {
		if s.Channel == channel {
			return s.Settings.Escalate, s.Lead
		}
	}
	return domain.Escalation{}, ""
}

// TestEscalationSettingsKeepEachOther: a team's other settings keep its
// lead, and "lead none" clears it.
func TestEscalationSettingsKeepEachOther(t *testing.T) {
	f := newFixture(t)
	admin := actor("boss")
	admin.Admin, admin.Channel = true, "C1"
	for _, line := range []string{"settings lead @zoe", "settings digest tuesday 08:00", "settings escalate after 3"} {
		if r := f.svc.Command(ctx, admin, "okr", line); r.Failed() {
			t.Fatalf("%s: %s", line, conversations.PlainText(r.Message))
		}
	}
	if e, lead := storedEscalation(t, f, "C1"); lead != "zoe" || e.After != 3 {
		t.Fatalf("after three settings: %+v %q", e, lead)
	}
	r := f.svc.Command(ctx, admin, "okr", "settings")
	if text := conversations.PlainText(r.Message); !strings.Contains(text, "Team lead: @zoe") || !strings.Contains(text, "after 3 missed") {
		t.Errorf("shown:\n%s", text)
	}
	f.svc.Command(ctx, admin, "okr", "settings lead none")
	if e, lead := storedEscalation(t, f, "C1"); lead != "" || e.After != 3 {
		t.Errorf("after lead none: %+v %q", e, lead)
	}
	// The workspace's default, shown in a DM.
	admin.Channel = ""
	if text := conversations.PlainText(f.svc.Command(ctx, admin, "okr", "settings").Message); !strings.Contains(text, "Escalation: after 2 missed check-ins in a row") {
		t.Errorf("the default:\n%s", text)
	}
}

// TestBadEscalationSettingsChangeNothing: one line, an example, nothing
// written.
func TestBadEscalationSettingsChangeNothing(t *testing.T) {
	f := newFixture(t)
	admin := actor("boss")
	admin.Admin = true
	state := func() string {
		ws, _ := f.st.Workspace(ctx, "slack:T1")
		ts, _ := f.st.TeamSettings(ctx, "slack:T1")
		return fmt.Sprintf("%+v %+v", ws.Settings, ts)
	}
	f.svc.Command(ctx, admin, "okr", "settings")
	before := state()
	for _, tt := range []struct{ line, channel string }{
		{"settings escalate", ""},
		{"settings escalate after", ""},
		{"settings escalate after 0", ""},
		{"settings escalate after 14", ""},
		{"settings escalate after two", ""},
		{"settings escalate sometimes", ""},
		{"settings escalate after -1", ""},
		{"settings escalate after 2.5", ""},
		{"settings lead @zoe", ""}, // a lead is a team's
		{"settings lead", "C1"},
		{"settings lead zoe", "C1"},
		{"settings lead #growth", "C1"},
		{"settings checkin friday 15:00 escalate after 99", "C1"},
		{"settings escalate after 3 frobnicate", "C1"},
	} {
		t.Run(tt.line, func(t *testing.T) {
			a := admin
			a.Channel = tt.channel
			r := f.svc.Command(ctx, a, "okr", tt.line)
			text := conversations.PlainText(r.Message)
			if r.Code != domain.EINVALID || strings.Count(strings.TrimSpace(text), "\n") != 0 || !strings.Contains(text, "Example: /okr settings") {
				t.Errorf("%s: %q", r.Code, text)
			}
		})
	}
	if after := state(); after != before {
		t.Errorf("bad settings changed the store:\n%s\n%s", before, after)
	}
	// Only admins change them.
	if r := f.svc.Command(ctx, actor("bob"), "okr", "settings escalate off"); r.Code != domain.EFORBIDDEN {
		t.Errorf("a non-admin: %s", conversations.PlainText(r.Message))
	}
}

// TestEscalationMessage: who, which weeks since when, why this lead, in
// each platform's command form; the person's name is shown as typed and
// never notifies them.
func TestEscalationMessage(t *testing.T) {
	n := conversations.EscalationNotice{Person: "29:bob", PersonName: "Bob <!here> *B*", Team: "19:growth", TeamName: "growth",
		Missed: []domain.Week{"2026-W44", "2026-W45", "2026-W47"}, Since: friday.AddDate(0, 0, -21),
		Lead: domain.Lead{User: "29:lea", Objective: "O-1"}, Objective: domain.Objective{Ref: "O-1", Title: "Grow <b>Europe</b>"}}
	for i := range 12 {
		n.KRs = append(n.KRs, domain.KeyResult{Ref: fmt.Sprintf("KR-%d", i+1), Title: "Increase deals", Kind: domain.Increase, Target: 10, Weight: 1})
	}
	m := conversations.EscalationMessage(domain.Workspace{Platform: domain.Teams}, n)
	text := conversations.PlainText(m)
	for _, w := range []string{"Bob <!here> *B* has missed 3 check-ins in a row", "weeks 44, 45 and 47 (since Friday 30 October)",
		"No check-in from them yet this cycle.", "…and 2 more", "owner of O-1 Grow <b>Europe</b>", "okr list @29:bob", "okr settings escalate after 3"} {
		if !strings.Contains(text, w) {
			t.Errorf("lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "/okr") {
		t.Errorf("a Slack command on Teams:\n%s", text)
	}
	for _, l := range m.Sections[0].Lines {
		for _, s := range l {
			if s.Notify {
				t.Errorf("notifies %s", s.User)
			}
		}
	}
	if len(m.Sections[0].Buttons) != 0 {
		t.Error("a button, whose answer would replace the message")
	}
}

// TestALeadIsCheckedWithThePlatform: a lead the platform does not know is
// refused, and nothing is written; one it knows is stored with the name
// the platform gives, never the one typed.
func TestALeadIsCheckedWithThePlatform(t *testing.T) {
	f := newFixture(t)
	dir := &fakeDirectory{people: map[string]string{"U0ZOE": "Zoe Z."}}
	admin := actor("boss")
	admin.Admin, admin.Channel, admin.Directory = true, "C1", dir
	r := f.svc.Command(ctx, admin, "okr", "settings escalate after 3 lead <@U0NOBODY|nobody>")
	if r.Code != domain.EINVALID || !strings.Contains(conversations.PlainText(r.Message), "There is no person") {
		t.Fatalf("an unknown lead: %s %s", r.Code, conversations.PlainText(r.Message))
	}
	if ts, _ := f.st.TeamSettings(ctx, "slack:T1"); len(ts) != 0 {
		t.Fatalf("written: %+v", ts)
	}
	r = f.svc.Command(ctx, admin, "okr", "settings lead <@U0ZOE|boss>")
	if text := conversations.PlainText(r.Message); r.Failed() || !strings.Contains(text, "Team lead: @Zoe Z.") {
		t.Fatalf("%s: %s", r.Code, text)
	}
	// Other settings of the team keep the lead without asking again.
	dir.fail = errors.New("platform down")
	if r := f.svc.Command(ctx, admin, "okr", "settings escalate off"); r.Failed() {
		t.Fatalf("%s", conversations.PlainText(r.Message))
	}
	if e, lead := storedEscalation(t, f, "C1"); lead != "U0ZOE" || !e.Off {
		t.Errorf("stored %+v %q", e, lead)
	}
}
