package teamsbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/sendertest"
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
func newSenderFixture(t *testing.T) (*Sender, *memStore, *connector) {
	t.Helper()
	c := newConnector(t)
	st := newMemStore()
	ws := "teams:" + testTenant
	st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: ws, Conversation: adaChat, Type: "personal", User: testUser,
		ServiceURL: c.serviceURL(), BotID: testBot, BotName: "okrbot", UpdatedAt: friday})
	st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: ws, Conversation: growth, Type: "channel",
		ServiceURL: c.serviceURL(), BotID: testBot, BotName: "okrbot", UpdatedAt: friday.Add(-time.Hour)})
	return NewSender(st, newTestConnector(t, c), nil), st, c
}

func delivery(recipient string, direct bool) conversations.Delivery {
	return conversations.Delivery{
		ID: "outbox-1", WorkspaceID: "teams:" + testTenant, Platform: domain.Teams, Workspace: testTenant,
		Recipient: recipient, Direct: direct, Kind: conversations.KindCheckInPrompt, Period: "2026-W47",
		Message: conversations.Lines("Time to check in", conversations.T("Week 47: how are your key results doing?")),
	}
}

// The Teams sender passes the senders' conformance suite against the local
// Bot Connector.
func TestSenderConformance(t *testing.T) {
	sendertest.Run(t, func(t *testing.T) sendertest.Platform {
		s, _, c := newSenderFixture(t)
		n := 0
		pathOf := func(d conversations.Delivery) string {
			if d.Direct {
				return sendPath(adaChat)
			}
			return sendPath(growth)
		}
		return sendertest.Platform{
			Sender: s,
			Delivery: func(direct bool) conversations.Delivery {
				n++
				d := delivery(growth, false)
				if direct {
					d = delivery(testUser, true)
				}
				d.ID = fmt.Sprintf("outbox-%d", n)
				return d
			},
			Arrived: func(d conversations.Delivery) int { return c.accepted(pathOf(d)) },
			Posts: func() int {
				n := 0
				for _, r := range c.calls() {
					if strings.HasSuffix(r.Path, "/activities") {
						n++
					}
				}
				return n
			},
			Answer: func(d conversations.Delivery, f sendertest.Fault) {
				switch f {
				case sendertest.RateLimited:
					c.on(pathOf(d), scripted{status: http.StatusTooManyRequests, retryAfter: "2"})
				case sendertest.ServerError:
					c.on(pathOf(d), scripted{status: http.StatusBadGateway})
				case sendertest.Refused:
					c.on(pathOf(d), scripted{status: http.StatusForbidden, code: "BotDisabledByAdmin"})
				}
			},
		}
	})
}

// A throttled send is reported with the wait Teams asked for, and not
// retried: the outbox retries. Until the wait is over no call is made.
func TestSendReportsThrottlingWithoutRetrying(t *testing.T) {
	s, _, c := newSenderFixture(t)
	c.on(sendPath(adaChat), scripted{status: http.StatusTooManyRequests, retryAfter: "3"})
	_, err := s.Send(ctx, delivery(testUser, true))
	var se *conversations.SendError
	if !errors.As(err, &se) || !se.Retry || se.After != 3*time.Second || se.Unsure {
		t.Fatalf("Send = %v; want a SendError to retry after 3s, surely not posted", err)
	}
	if n := len(c.calls()); n != 1 {
		t.Errorf("%d calls; want 1", n)
	}
	// The next send waits for the window: with no time to wait it reports
	// the wait without calling.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = s.Send(short, delivery(growth, false))
	if !errors.As(err, &se) || !se.Retry || se.After < 2*time.Second {
		t.Fatalf("Send inside the window = %v", err)
	}
	if n := len(c.calls()); n != 1 {
		t.Errorf("a call was made inside the Retry-After window")
	}
}

// A gateway error may come after Teams posted the message: it is reported
// as unsure, and not retried.
func TestSendReportsGatewayErrorsAsUnsure(t *testing.T) {
	s, _, c := newSenderFixture(t)
	c.on(sendPath(growth), scripted{status: http.StatusBadGateway})
	_, err := s.Send(ctx, delivery(growth, false))
	var se *conversations.SendError
	if !errors.As(err, &se) || !se.Retry || !se.Unsure {
		t.Fatalf("Send = %v; want a retryable, unsure SendError", err)
	}
	if n := len(c.calls()); n != 1 {
		t.Errorf("%d calls; want 1", n)
	}
	if ok, _ := conversations.Retryable(err); !ok {
		t.Errorf("conversations.Retryable(%v) = false", err)
	}
}

func TestSendPermanentErrors(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound} {
		s, _, c := newSenderFixture(t)
		c.on(sendPath(adaChat), scripted{status: status, code: "BotDisabledByAdmin"})
		_, err := s.Send(ctx, delivery(testUser, true))
		var se *conversations.SendError
		if !errors.As(err, &se) || se.Retry {
			t.Errorf("HTTP %d: Send = %v; want a SendError not to retry", status, err)
		}
		if len(c.calls()) != 1 {
			t.Errorf("HTTP %d: retried (%d calls)", status, len(c.calls()))
		}
	}
	// A channel okrbot was never added to.
	s, _, _ := newSenderFixture(t)
	_, err := s.Send(ctx, delivery("19:unknown@thread.tacv2", false))
	var se *conversations.SendError
	if !errors.As(err, &se) || se.Retry {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestSendOpensAPersonalChat(t *testing.T) {
	s, st, c := newSenderFixture(t)
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
	s, _, c := newSenderFixture(t)
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
	s, _, c := newSenderFixture(t)
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
	s, _, _ := newSenderFixture(t)
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
