package teamsbot

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

const (
	adaChat = "a:1personal-ada"
	growth  = "19:growth0123@thread.tacv2"
)

func sendPath(conversation string) string {
	return "/teams/v3/conversations/" + url.PathEscape(conversation) + "/activities"
}

// newSenderFixture is a Sender over a memory store that knows Ada's
// personal chat and the #growth channel.
func newSenderFixture(t *testing.T) (*Sender, *memStore, *connector, *sleeps) {
	t.Helper()
	c := newConnector(t)
	sl := &sleeps{}
	st := newMemStore()
	ws := "teams:" + testTenant
	st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: ws, Conversation: adaChat, Type: "personal", User: testUser,
		ServiceURL: c.serviceURL(), BotID: testBot, BotName: "okrbot", UpdatedAt: friday})
	st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: ws, Conversation: growth, Type: "channel",
		ServiceURL: c.serviceURL(), BotID: testBot, BotName: "okrbot", UpdatedAt: friday.Add(-time.Hour)})
	return NewSender(st, newTestConnector(t, c, sl), nil), st, c, sl
}

func delivery(recipient string, direct bool) conversations.Delivery {
	return conversations.Delivery{
		ID: "outbox-1", WorkspaceID: "teams:" + testTenant, Platform: domain.Teams, Workspace: testTenant,
		Recipient: recipient, Direct: direct, Kind: conversations.KindCheckInPrompt, Period: "2026-W47",
		Message: conversations.Lines("Time to check in", conversations.T("Week 47: how are your key results doing?")),
	}
}

func TestSendRetriesThrottlingThenSucceeds(t *testing.T) {
	s, _, c, sl := newSenderFixture(t)
	c.on(sendPath(adaChat), scripted{status: http.StatusTooManyRequests, retryAfter: "3"})
	id, err := s.Send(ctx, delivery(testUser, true))
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v; want an activity id", id, err)
	}
	if got := sl.waits(); len(got) != 1 || got[0] != 3*time.Second {
		t.Errorf("waits = %v; want the 3s the service asked for", got)
	}
	calls := c.calls()
	if len(calls) != 2 || calls[1].Path != sendPath(adaChat) {
		t.Errorf("calls = %+v", calls)
	}
	if !strings.Contains(cardText(calls[1]), "how are your key results doing?") {
		t.Errorf("sent card:\n%s", cardText(calls[1]))
	}
}

func TestSendRetriesGatewayErrors(t *testing.T) {
	s, _, c, sl := newSenderFixture(t)
	c.on(sendPath(growth), scripted{status: http.StatusBadGateway}, scripted{status: http.StatusBadGateway})
	id, err := s.Send(ctx, delivery(growth, false))
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	waits := sl.waits()
	if len(waits) != 2 {
		t.Fatalf("waits = %v; want two backoffs", waits)
	}
	// Exponential with ±25% jitter from one second.
	if waits[0] < 750*time.Millisecond || waits[0] > 1250*time.Millisecond || waits[1] < 1500*time.Millisecond || waits[1] > 2500*time.Millisecond {
		t.Errorf("backoffs = %v; want about 1s then 2s", waits)
	}
	if n := len(c.calls()); n != 3 {
		t.Errorf("%d calls; want 3", n)
	}
}

func TestSendGivesUpWithinItsBudget(t *testing.T) {
	s, _, c, sl := newSenderFixture(t)
	// A Retry-After beyond the budget hands the delivery back at once.
	c.on(sendPath(growth), scripted{status: http.StatusTooManyRequests, retryAfter: "120"})
	_, err := s.Send(ctx, delivery(growth, false))
	var se *conversations.SendError
	if !errors.As(err, &se) || !se.Retry || se.After != 2*time.Minute {
		t.Fatalf("Send = %v; want a SendError to retry after 2m", err)
	}
	if len(sl.waits()) != 0 {
		t.Errorf("slept %v past the budget", sl.waits())
	}

	// Gateway timeouts every time: a few tries, then back to the outbox.
	c.on(sendPath(growth), scripted{status: http.StatusGatewayTimeout}, scripted{status: http.StatusGatewayTimeout},
		scripted{status: http.StatusGatewayTimeout}, scripted{status: http.StatusGatewayTimeout}, scripted{status: http.StatusGatewayTimeout},
		scripted{status: http.StatusGatewayTimeout})
	_, err = s.Send(ctx, delivery(growth, false))
	if !errors.As(err, &se) || !se.Retry {
		t.Fatalf("Send = %v; want a retryable SendError", err)
	}
	if ok, _ := conversations.Retryable(err); !ok {
		t.Errorf("conversations.Retryable(%v) = false", err)
	}
}

func TestSendPermanentErrors(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound} {
		s, _, c, sl := newSenderFixture(t)
		c.on(sendPath(adaChat), scripted{status: status, code: "BotDisabledByAdmin"})
		_, err := s.Send(ctx, delivery(testUser, true))
		var se *conversations.SendError
		if !errors.As(err, &se) || se.Retry {
			t.Errorf("HTTP %d: Send = %v; want a SendError not to retry", status, err)
		}
		if len(sl.waits()) != 0 || len(c.calls()) != 1 {
			t.Errorf("HTTP %d: retried (%d calls, waits %v)", status, len(c.calls()), sl.waits())
		}
	}
	// A channel okrbot was never added to.
	s, _, _, _ := newSenderFixture(t)
	_, err := s.Send(ctx, delivery("19:unknown@thread.tacv2", false))
	var se *conversations.SendError
	if !errors.As(err, &se) || se.Retry {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestSendOpensAPersonalChat(t *testing.T) {
	s, st, c, _ := newSenderFixture(t)
	const grace = "29:1grace-HOPPER"
	id, err := s.Send(ctx, delivery(grace, true))
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	calls := c.calls()
	if len(calls) != 2 || calls[0].Path != "/teams/v3/conversations" {
		t.Fatalf("calls = %+v; want create conversation, then send", calls)
	}
	create := calls[0].Body
	if create["isGroup"] != false || create["tenantId"] != testTenant || members(create) != grace {
		t.Errorf("create conversation body = %v", create)
	}
	if bot, _ := create["bot"].(map[string]any); bot["id"] != testBot {
		t.Errorf("bot = %v", create["bot"])
	}
	chat := "a:1personal-chat-1grace-HOPPER"
	if calls[1].Path != sendPath(chat) {
		t.Errorf("sent to %s; want %s", calls[1].Path, sendPath(chat))
	}
	ref, err := st.PersonalConversationRef(ctx, "teams:"+testTenant, grace)
	if err != nil || ref.Conversation != chat || ref.ServiceURL != c.serviceURL() {
		t.Fatalf("stored personal chat = %+v, %v", ref, err)
	}
	// The next send uses it.
	s.Send(ctx, delivery(grace, true))
	if calls = c.calls(); len(calls) != 3 || calls[2].Path != sendPath(chat) {
		t.Errorf("second send: %+v", calls)
	}

	// A tenant okrbot has never seen: nothing to create the chat with.
	d := delivery(grace, true)
	d.Workspace, d.WorkspaceID = "other-tenant", "teams:other-tenant"
	_, err = s.Send(ctx, d)
	var se *conversations.SendError
	if !errors.As(err, &se) || se.Retry {
		t.Errorf("unknown tenant: %v", err)
	}
}

func TestSendWithoutItsImageWhenTooLarge(t *testing.T) {
	s, _, c, _ := newSenderFixture(t)
	c.on(sendPath(growth), scripted{status: http.StatusRequestEntityTooLarge, code: "MessageSizeTooBig"})
	d := delivery(growth, false)
	d.Message.Image = &conversations.Image{PNG: []byte("\x89PNG\r\n\x1a\nfake"), Alt: "chart"}
	if _, err := s.Send(ctx, d); err != nil {
		t.Fatalf("Send = %v", err)
	}
	calls := c.calls()
	if len(calls) != 2 {
		t.Fatalf("calls = %d", len(calls))
	}
	if !strings.Contains(cardText(calls[0]), "data:image/png;base64,") {
		t.Errorf("first try had no image")
	}
	if text := cardText(calls[1]); strings.Contains(text, "data:image/png") || !strings.Contains(text, "chart is left out") {
		t.Errorf("second try:\n%s", text)
	}
}

func TestTokenIsFetchedOnceAndRefreshedOn401(t *testing.T) {
	s, _, c, _ := newSenderFixture(t)
	for range 3 {
		if _, err := s.Send(ctx, delivery(growth, false)); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.tokenCalls.Load(); n != 1 {
		t.Errorf("token fetched %d times for 3 sends; want 1", n)
	}
	c.on(sendPath(growth), scripted{status: http.StatusUnauthorized})
	if _, err := s.Send(ctx, delivery(growth, false)); err != nil {
		t.Fatalf("send after a 401: %v", err)
	}
	if n := c.tokenCalls.Load(); n != 2 {
		t.Errorf("token fetched %d times; want a fresh one after the 401", n)
	}
}

func TestDeliveredCannotTell(t *testing.T) {
	s, _, _, _ := newSenderFixture(t)
	id, ok, err := s.Delivered(ctx, delivery(growth, false))
	if id != "" || ok || err != nil {
		t.Errorf("Delivered = %q, %v, %v", id, ok, err)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {"-1", 0}, {"junk", 0},
		{friday.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{friday.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h, friday); got != tt.want {
			t.Errorf("retryAfter(%q) = %v; want %v", tt.h, got, tt.want)
		}
	}
}
