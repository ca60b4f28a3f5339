package conversations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// findingDirectory is a platform's directory that also finds channels by
// name, as Slack's does with conversations.list.
type findingDirectory struct {
	fakeDirectory
	ids map[string]string // name -> id
}

func (d *findingDirectory) ChannelID(_ context.Context, name string) (string, error) {
	return d.ids[strings.ToLower(name)], nil // names compare without case
}

// TestTeamChannelsAreIDs: a team is stored as its channel's id however the
// channel is typed (a mention, an id with or without #, a plain #name the
// platform finds); a #name okrbot cannot resolve is refused with an
// example, never stored as if it were an id; /okr list reads channels the
// same way.
func TestTeamChannelsAreIDs(t *testing.T) {
	f := newFixture(t)
	dir := &findingDirectory{
		fakeDirectory: fakeDirectory{channels: map[string]string{"C0GROWTH": "growth"}, member: map[string]bool{"C0GROWTH": true}},
		ids:           map[string]string{"growth": "C0GROWTH"},
	}
	ada := actor("ada")
	ada.Directory = dir
	for i, team := range []string{"<#C0GROWTH|growth>", "<#C0GROWTH>", "#C0GROWTH", "C0GROWTH", "#growth", "#Growth"} {
		r := f.svc.Command(ctx, ada, "okr", "create Objective "+team+" --team "+team)
		if r.Failed() {
			t.Fatalf("--team %s: %s", team, conversations.PlainText(r.Message))
		}
		o, _ := f.st.Objective(ctx, "slack:T1", "O-"+string(rune('1'+i)))
		if o.Team != "C0GROWTH" {
			t.Errorf("--team %s stored team %q, want C0GROWTH", team, o.Team)
		}
	}
	f.must("ada", "/okr edit O-1 --team none")
	if r := f.svc.Command(ctx, ada, "okr", "edit O-1 --team #growth"); r.Failed() {
		t.Errorf("edit --team #growth: %s", conversations.PlainText(r.Message))
	}
	if o, _ := f.st.Objective(ctx, "slack:T1", "O-1"); o.Team != "C0GROWTH" {
		t.Errorf("edit --team #growth stored %q", o.Team)
	}
	for _, w := range []string{"<#C0GROWTH>", "#growth", "#C0GROWTH", "C0GROWTH"} {
		text := conversations.PlainText(f.svc.Command(ctx, ada, "okr", "list "+w).Message)
		if !strings.Contains(text, "#growth objectives") || strings.Count(text, "Objective ") != 6 {
			t.Errorf("list %s:\n%s", w, text)
		}
	}
	// A name nobody can resolve is refused; nothing is written, no ref used.
	before := f.snapshot()
	for _, line := range []string{"create Lead objective --team #nosuch", "edit O-1 --team #nosuch", "list #nosuch"} {
		r := f.svc.Command(ctx, ada, "okr", line)
		text := conversations.PlainText(r.Message)
		if r.Code != domain.EINVALID || !strings.Contains(text, "#nosuch") || !strings.Contains(text, "Example:") && !strings.Contains(text, "mention it") {
			t.Errorf("%s: %s %s", line, r.Code, text)
		}
	}
	// A directory that cannot find channels by name: the channel typed in,
	// or one subscribed under that name; else refused.
	plain := actor("ada")
	plain.Directory = &dir.fakeDirectory
	r := f.svc.Command(ctx, plain, "okr", "create Lead objective --team #growth")
	if text := conversations.PlainText(r.Message); r.Code != domain.EINVALID || !strings.Contains(text, "mention it") || !strings.Contains(text, "Example: /okr create") {
		t.Errorf("unresolvable #growth: %s %s", r.Code, text)
	}
	if f.snapshot() != before {
		t.Error("a refused channel changed the store")
	}
	in := plain
	in.Channel, in.ChannelName = "C0GROWTH", "growth"
	if r := f.svc.Command(ctx, in, "okr", "create Lead objective --team #growth"); r.Failed() {
		t.Errorf("#growth typed in #growth: %s", conversations.PlainText(r.Message))
	}
	// The console on its own names channels by their names.
	f.must("ada", "/okr create Console objective --team #growth")
	if o, _ := f.st.Objective(ctx, "slack:T1", "O-8"); o.Team != "growth" || o.Title != "Console objective" {
		t.Errorf("console --team #growth: %+v", o)
	}
	f.assertNextRefs("O-9", "KR-1")
}
