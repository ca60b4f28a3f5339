package console_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/bot/console"
	"github.com/okrbot/okrbot/conversations"
)

// fake records what the console asks of the conversations.
type fake struct {
	commands []string
	actors   []conversations.Actor
	submits  []conversations.Submission
}

func (f *fake) Command(_ context.Context, a conversations.Actor, cmd, args string) conversations.Reply {
	f.commands = append(f.commands, cmd+" "+args)
	f.actors = append(f.actors, a)
	if args == "checkin" {
		return conversations.Reply{Form: &conversations.Form{ID: "checkin", Title: "Weekly check-in", State: "2026-W47",
			Sections: []conversations.FormSection{{Inputs: []conversations.Input{
				{ID: "value/KR-1", Label: "Current value", Initial: "3"},
				{ID: "confidence/KR-1", Label: "Confidence", Kind: conversations.Select, Options: []conversations.Option{{Value: "1", Label: "1"}, {Value: "2", Label: "2"}, {Value: "7", Label: "7"}}},
			}}}}}
	}
	return conversations.Reply{Message: conversations.Lines("ok", conversations.T("answered "+args))}
}

func (f *fake) Submit(_ context.Context, a conversations.Actor, s conversations.Submission) conversations.Reply {
	f.submits = append(f.submits, s)
	if s.Values["value/KR-1"] == "bad" {
		return conversations.Reply{Errors: map[string]string{"value/KR-1": "not a number"}}
	}
	return conversations.Reply{Message: conversations.Lines("saved", conversations.T("saved"))}
}

func (f *fake) Action(context.Context, conversations.Actor, string, string) conversations.Reply {
	return conversations.Reply{}
}

func run(t *testing.T, script string) (*fake, string) {
	t.Helper()
	f := &fake{}
	var out bytes.Buffer
	c := console.New(f, strings.NewReader(script), &out, console.Options{Actor: conversations.Actor{Platform: "slack", Workspace: "T1", User: "ada"}})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f, out.String()
}

func TestActingPersonAndChannel(t *testing.T) {
	f, _ := run(t, "/okr list\n/as bob --admin\n/in #growth\nokr list\n/in -\n/kpi list\n")
	if len(f.actors) != 3 {
		t.Fatalf("%d commands", len(f.actors))
	}
	if a := f.actors[0]; a.User != "ada" || a.Admin || a.Channel != "" {
		t.Errorf("first actor %+v", a)
	}
	if a := f.actors[1]; a.User != "bob" || !a.Admin || a.Channel != "growth" {
		t.Errorf("second actor %+v", a)
	}
	if a := f.actors[2]; a.User != "bob" || a.Channel != "" || f.commands[2] != "kpi list" {
		t.Errorf("third actor %+v, %q", a, f.commands[2])
	}
}

func TestFormsAreAskedRowByRowAndReaskedOnErrors(t *testing.T) {
	f, out := run(t, "/okr checkin\nbad\nx\n7\n\n")
	if len(f.submits) != 2 {
		t.Fatalf("%d submissions:\n%s", len(f.submits), out)
	}
	if v := f.submits[1].Values; v["value/KR-1"] != "3" || v["confidence/KR-1"] != "7" || f.submits[1].State != "2026-W47" {
		t.Errorf("second submission %+v", f.submits[1])
	}
	if !strings.Contains(out, "Choose one of: 1 / 2 / 7.") || !strings.Contains(out, "not a number") || !strings.Contains(out, "saved") {
		t.Errorf("output:\n%s", out)
	}
}

func TestACommandLeavesTheFormUnsaved(t *testing.T) {
	f, out := run(t, "/okr checkin\n5\n/okr list\n")
	if len(f.submits) != 0 || !strings.Contains(out, "nothing was saved") || f.commands[len(f.commands)-1] != "okr list" {
		t.Errorf("submits %d, commands %v:\n%s", len(f.submits), f.commands, out)
	}
}

// skipForm is a check-in form with a key result never measured: the
// console must get a value or "skip" for it, never take Enter as a value.
type skipForm struct{ fake }

func (f *skipForm) Command(_ context.Context, a conversations.Actor, cmd, args string) conversations.Reply {
	return conversations.Reply{Form: &conversations.Form{ID: "checkin", Title: "Weekly check-in", State: "2026-W47",
		Sections: []conversations.FormSection{{Inputs: []conversations.Input{
			{ID: "value/KR-4", Label: "Current value", Optional: true, Skip: "skip"},
			{ID: "value/KR-2", Label: "Current value", Optional: true, Initial: "10"},
		}}}}}
}

func TestEnterKeepsAValueOnlyWhereThereIsOne(t *testing.T) {
	f := &skipForm{}
	var out bytes.Buffer
	c := console.New(f, strings.NewReader("/okr checkin\n\nskip\n\n"), &out, console.Options{Actor: conversations.Actor{Platform: "slack", Workspace: "T1", User: "ada"}})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.submits) != 1 {
		t.Fatalf("%d submissions:\n%s", len(f.submits), out.String())
	}
	if v := f.submits[0].Values; v["value/KR-4"] != "skip" || v["value/KR-2"] != "10" {
		t.Errorf("submitted %+v", v)
	}
	if !strings.Contains(out.String(), "has no value yet: give one, or type skip") || !strings.Contains(out.String(), "(a value, or skip)") {
		t.Errorf("output:\n%s", out.String())
	}
}
