package slackbot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/internal/sendertest"
)

func newSender(t *testing.T, fake *fakeslack.Server, limits map[string]slackbot.Limit) *slackbot.Sender {
	t.Helper()
	b, err := slackbot.New(slackbot.Config{BotToken: fake.Team(team).Token, APIURL: fake.APIURL, Limits: limits, Log: slog.New(slog.DiscardHandler)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.Sender()
}

func delivery(id, recipient string, direct bool) conversations.Delivery {
	return conversations.Delivery{
		ID: id, WorkspaceID: ws, Platform: domain.Slack, Workspace: team, Recipient: recipient, Direct: direct,
		Kind: conversations.KindCheckInPrompt, Period: "2026-W47",
		Message: &conversations.Message{Summary: "Time to check in", Sections: []conversations.Section{{
			Lines:   []conversations.Text{conversations.T("Your key results this week")},
			Buttons: []conversations.Button{{Label: "Check in", Action: conversations.ActionCheckIn, Style: conversations.Primary}},
		}}},
	}
}

// The Slack sender passes the senders' conformance suite against the local
// Slack.
func TestSenderConformance(t *testing.T) {
	sendertest.Run(t, func(t *testing.T) sendertest.Platform {
		fake := fakeslack.New(t, fakeslack.Options{})
		s := newSender(t, fake, nil)
		n := 0
		return sendertest.Platform{
			Sender: s,
			Delivery: func(direct bool) conversations.Delivery {
				n++
				if direct {
					return delivery(fmt.Sprintf("ob-%d", n), fmt.Sprintf("U%04d", n), true)
				}
				return delivery(fmt.Sprintf("ob-%d", n), fmt.Sprintf("C%04d", n), false)
			},
			Arrived: func(d conversations.Delivery) int {
				ch := d.Recipient
				if d.Direct {
					ch = fakeslack.DMChannel(d.Recipient)
				}
				n := 0
				for _, m := range fake.Messages(ch) {
					if m.Metadata != nil && m.Metadata.EventPayload["outbox_id"] == d.ID {
						n++
					}
				}
				return n
			},
			Posts: func() int { return len(fake.Calls("chat.postMessage")) },
			Answer: func(d conversations.Delivery, f sendertest.Fault) {
				switch f {
				case sendertest.RateLimited:
					fake.Script("chat.postMessage", fakeslack.Scripted{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})
				case sendertest.ServerError:
					fake.Script("chat.postMessage", fakeslack.Scripted{Status: http.StatusInternalServerError})
				case sendertest.Refused:
					fake.FailChannel(d.Recipient, "channel_not_found")
				}
			},
			TellsDelivered: true,
		}
	})
}

// TestSenderSendAndDelivered: a DM with metadata and a chart, found again by
// Delivered; permanent failures are not retried.
func TestSenderSendAndDelivered(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	s := newSender(t, fake, nil)
	ctx := context.Background()
	d := delivery("outbox-1", "U0ADA", true)
	d.Kind = conversations.KindDigest
	d.Message.Image = &conversations.Image{PNG: []byte("\x89PNG fake"), Alt: "progress", Title: "Digest", Name: "digest.png"}
	id, err := s.Send(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	ms := fake.Messages(fakeslack.DMChannel("U0ADA"))
	if len(ms) != 2 || ms[0].Metadata == nil || ms[0].Metadata.EventType != slackbot.DeliveryEventType ||
		ms[0].Metadata.EventPayload["outbox_id"] != "outbox-1" || id != ms[0].Channel+"/"+ms[0].TS {
		t.Fatalf("sent %q: %+v", id, ms)
	}
	if ups := fake.Uploads(); len(ups) != 1 || !ups[0].Completed || ups[0].Channel != ms[0].Channel || string(ups[0].Bytes) != "\x89PNG fake" {
		t.Errorf("chart upload: %+v", ups)
	}
	got, ok, err := s.Delivered(ctx, d)
	if err != nil || !ok || got != id {
		t.Errorf("Delivered = %q %v %v, want %q", got, ok, err, id)
	}
	if _, ok, err := s.Delivered(ctx, delivery("outbox-2", "U0ADA", true)); ok || err != nil {
		t.Errorf("Delivered of an unsent delivery = %v %v", ok, err)
	}
	if _, ok, err := s.Delivered(ctx, delivery("outbox-3", "U0NEW", true)); ok || err != nil || len(fake.Calls("conversations.open")) != 1 {
		t.Errorf("Delivered to someone never messaged = %v %v (conversations.open %d)", ok, err, len(fake.Calls("conversations.open")))
	}
	fake.FailChannel("C0SECRET", "not_in_channel")
	_, err = s.Send(ctx, delivery("outbox-4", "C0SECRET", false))
	var se *conversations.SendError
	if !errors.As(err, &se) || se.Retry {
		t.Errorf("not_in_channel: %v, want a permanent SendError", err)
	}
}

// TestSenderUnderRateLimitsAndFaults: a fan-out against a server that
// enforces limits and answers 429 and 500 to a tenth of the calls each:
// every DM arrives exactly once, and no call is made inside a Retry-After
// window.
func TestSenderUnderRateLimitsAndFaults(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{
		Seed: 7, Limits: map[string]fakeslack.Limit{"chat.postMessage": {Rate: 40, Burst: 10}},
		Fault429: 0.1, Fault500: 0.1, FaultMethods: []string{"chat.postMessage"},
	})
	s := newSender(t, fake, map[string]slackbot.Limit{"chat.postMessage": {Rate: 30, Burst: 5}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const people = 40
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				// The outbox's part, played here: retry what the sender
				// reports as worth retrying, asking Slack first when the
				// last attempt may have arrived.
				d := delivery(fmt.Sprintf("ob-%d", i), fmt.Sprintf("U%04d", i), true)
				unsure := false
				for attempt := 0; ; attempt++ {
					if unsure {
						if _, ok, err := s.Delivered(ctx, d); err == nil && ok {
							break
						}
					}
					_, err := s.Send(ctx, d)
					if err == nil {
						break
					}
					var se *conversations.SendError
					if !errors.As(err, &se) || !se.Retry || attempt > 20 {
						t.Errorf("delivery %d: %v", i, err)
						break
					}
					unsure = se.Unsure
					time.Sleep(min(se.After, 200*time.Millisecond))
				}
			}
		}()
	}
	for i := range people {
		work <- i
	}
	close(work)
	wg.Wait()
	for i := range people {
		if n := len(fake.Messages(fakeslack.DMChannel(fmt.Sprintf("U%04d", i)))); n != 1 {
			t.Errorf("U%04d got %d messages", i, n)
		}
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("%d calls inside a Retry-After window, first %+v", len(v), v[0])
	}
	var limited, failed int
	for _, c := range fake.Calls("chat.postMessage") {
		switch c.Status {
		case 429:
			limited++
		case 500:
			failed++
		}
	}
	if limited == 0 || failed == 0 {
		t.Errorf("the faults did not happen: %d 429s, %d 500s", limited, failed)
	}
}
