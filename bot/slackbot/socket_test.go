package slackbot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
)

// TestSocketMode: with an app-level token okrbot connects to Slack's socket
// and answers commands and events through the same code as HTTP.
func TestSocketMode(t *testing.T) {
	e := newEnv(t, nil, func(c *slackbot.Config) { c.AppToken = "xapp-1-test" })
	e.fake.AppToken("xapp-1-test", team)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.bot.RunSocketMode(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("socket mode did not stop")
		}
	}()
	ack, err := e.fake.SocketSend("slash_commands", map[string]any{
		"team_id": team, "user_id": "U0ADA", "channel_id": "C0GROWTH", "command": "/okr", "text": "create Ship the socket",
		"response_url": e.fake.ResponseURL(), "trigger_id": e.fake.NewTrigger(),
	}, 0, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack), "Ship the socket") {
		t.Errorf("ack payload: %s", ack)
	}
	if o, err := e.st.Objective(ctx, ws, "O-1"); err != nil || o.Title != "Ship the socket" {
		t.Errorf("objective: %+v %v", o, err)
	}
	if _, err := e.fake.SocketSend("events_api", map[string]any{"type": "event_callback", "team_id": team, "event_id": "EvS1",
		"event": map[string]any{"type": "app_home_opened", "user": "U0ADA", "tab": "home"}}, 0, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	eventually(t, "App Home over the socket", func() bool { _, ok := e.fake.Home(team, "U0ADA"); return ok })
}
