package conversations_test

import (
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// TestHelpIsSharedWhileItsDatesHold: /okr help is one message for everyone
// on a platform while its examples' dates are the same (Reply.Shared, so
// adapters render it once), another on another platform or day.
func TestHelpIsSharedWhileItsDatesHold(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.run("ada", "/okr help")
	bob, _ := f.run("bob", "/kpi help")
	if !ada.Shared || ada.Message != bob.Message {
		t.Fatalf("two people's help on one day: shared %v, same message %v", ada.Shared, ada.Message == bob.Message)
	}
	teams := f.svc.Command(ctx, conversations.Actor{Platform: domain.Teams, Workspace: "tenant", User: "ada"}, "okr", "help")
	if teams.Message == ada.Message || !strings.Contains(conversations.PlainText(teams.Message), "okr list") ||
		strings.Contains(conversations.PlainText(teams.Message), "/okr") {
		t.Errorf("Teams' help is Slack's, or names /okr:\n%s", conversations.PlainText(teams.Message))
	}
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(24 * time.Hour)
	f.clock.mu.Unlock()
	next, text := f.run("ada", "/okr help")
	if next.Message == ada.Message || !strings.Contains(text, friday.AddDate(0, 0, 15).Format(time.DateOnly)) {
		t.Errorf("the next day's help has the day before's dates:\n%s", text)
	}
}
