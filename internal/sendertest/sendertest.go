// Package sendertest is the conformance suite of conversations.Sender: the
// Slack and the Teams sender both run it against their local stand-ins. A
// sender makes one attempt per Send and reports it: sent with an id, retry
// after a wait (and whether the message may have arrived), or refused for
// good. It never retries on its own, and never calls inside a Retry-After
// window.
//
// It is test support: production code never imports it.
package sendertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
)

// Fault is an answer a stand-in gives to the next post.
type Fault int

// Faults.
const (
	// RateLimited is a 429 with a Retry-After of two seconds.
	RateLimited Fault = iota
	// ServerError is a 5xx: the platform may have posted the message.
	ServerError
	// Refused is a refusal for good (channel gone, bot removed).
	Refused
)

// Platform is one sender over its stand-in.
type Platform struct {
	// Sender talks to the stand-in.
	Sender conversations.Sender
	// Delivery returns a delivery with a message to a recipient the
	// stand-in knows: a person when direct, else a channel.
	Delivery func(direct bool) conversations.Delivery
	// Arrived counts the messages of d that the stand-in holds.
	Arrived func(d conversations.Delivery) int
	// Posts counts the post calls the stand-in received.
	Posts func() int
	// Answer makes the stand-in answer the next post to d's recipient with f.
	Answer func(d conversations.Delivery, f Fault)
	// TellsDelivered says whether Delivered can find a message that arrived
	// (Slack reads a conversation back; Teams' Bot Connector cannot).
	TellsDelivered bool
}

// Run runs every case, each against a platform newly made by open.
func Run(t *testing.T, open func(t *testing.T) Platform) {
	for _, c := range []struct {
		name string
		f    func(t *testing.T, p Platform)
	}{
		{"SendsOnceWithAnID", sendsOnceWithAnID},
		{"ReportsARateLimitWithoutRetrying", reportsARateLimitWithoutRetrying},
		{"ReportsAServerErrorAsUnsure", reportsAServerErrorAsUnsure},
		{"ReportsARefusalAsPermanent", reportsARefusalAsPermanent},
		{"RefusesADeliveryWithoutAMessage", refusesADeliveryWithoutAMessage},
		{"StopsWhenCancelled", stopsWhenCancelled},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, open(t)) })
	}
}

var ctx = context.Background()

func sendError(t *testing.T, err error) *conversations.SendError {
	t.Helper()
	var se *conversations.SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send = %v; want a *conversations.SendError", err)
	}
	return se
}

func sendsOnceWithAnID(t *testing.T, p Platform) {
	for _, direct := range []bool{true, false} {
		d := p.Delivery(direct)
		before := p.Posts()
		id, err := p.Sender.Send(ctx, d)
		if err != nil || id == "" {
			t.Fatalf("Send (direct %v) = %q, %v", direct, id, err)
		}
		if n := p.Arrived(d); n != 1 {
			t.Errorf("direct %v: %d messages arrived, want 1", direct, n)
		}
		if n := p.Posts() - before; n != 1 {
			t.Errorf("direct %v: %d posts, want 1", direct, n)
		}
		got, ok, err := p.Sender.Delivered(ctx, d)
		switch {
		case err != nil:
			t.Errorf("Delivered: %v", err)
		case p.TellsDelivered && (!ok || got != id):
			t.Errorf("Delivered = %q %v, want %q", got, ok, id)
		case !p.TellsDelivered && ok:
			t.Errorf("Delivered claims to know: %q", got)
		}
	}
	other := p.Delivery(true)
	other.ID += "-never-sent"
	if _, ok, err := p.Sender.Delivered(ctx, other); ok || err != nil {
		t.Errorf("Delivered of a delivery never sent = %v %v", ok, err)
	}
}

func reportsARateLimitWithoutRetrying(t *testing.T, p Platform) {
	d := p.Delivery(true)
	p.Answer(d, RateLimited)
	before := p.Posts()
	_, err := p.Sender.Send(ctx, d)
	se := sendError(t, err)
	if !se.Retry || se.After < 1900*time.Millisecond || se.Unsure {
		t.Fatalf("a 429 with Retry-After 2 is reported as %+v; want retry after 2s, surely not posted", se)
	}
	if n := p.Posts() - before; n != 1 {
		t.Fatalf("%d posts for one Send; a sender never retries", n)
	}
	if p.Arrived(d) != 0 {
		t.Fatal("a refused message arrived")
	}
	// Inside the window no call is made: with no time to wait, the sender
	// reports the wait.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = p.Sender.Send(short, p.Delivery(false))
	if se := sendError(t, err); !se.Retry || se.After < time.Second {
		t.Fatalf("a send inside the window is reported as %+v", se)
	}
	if n := p.Posts() - before; n != 1 {
		t.Fatalf("a call was made inside the Retry-After window")
	}
}

func reportsAServerErrorAsUnsure(t *testing.T, p Platform) {
	d := p.Delivery(false)
	p.Answer(d, ServerError)
	before := p.Posts()
	_, err := p.Sender.Send(ctx, d)
	if se := sendError(t, err); !se.Retry || !se.Unsure {
		t.Fatalf("a 5xx is reported as %+v; want retry, unsure", se)
	}
	if n := p.Posts() - before; n != 1 {
		t.Fatalf("%d posts for one Send; a sender never retries", n)
	}
}

func reportsARefusalAsPermanent(t *testing.T, p Platform) {
	d := p.Delivery(false)
	p.Answer(d, Refused)
	before := p.Posts()
	_, err := p.Sender.Send(ctx, d)
	if se := sendError(t, err); se.Retry {
		t.Fatalf("a refusal for good is reported as %+v; want permanent", se)
	}
	if ok, _ := conversations.Retryable(err); ok {
		t.Error("conversations.Retryable says try again")
	}
	if n := p.Posts() - before; n != 1 {
		t.Fatalf("%d posts for one Send", n)
	}
}

func refusesADeliveryWithoutAMessage(t *testing.T, p Platform) {
	d := p.Delivery(true)
	d.Message = nil
	before := p.Posts()
	_, err := p.Sender.Send(ctx, d)
	if se := sendError(t, err); se.Retry {
		t.Fatalf("a delivery without a message is reported as %+v; want permanent", se)
	}
	if p.Posts() != before {
		t.Error("posted a delivery without a message")
	}
}

func stopsWhenCancelled(t *testing.T, p Platform) {
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	before := p.Posts()
	_, err := p.Sender.Send(cancelled, p.Delivery(true))
	if err == nil {
		t.Fatal("a cancelled send succeeded")
	}
	if ok, _ := conversations.Retryable(err); !ok {
		t.Errorf("a cancelled send is reported as permanent: %v", err)
	}
	if p.Posts() != before {
		t.Error("a cancelled send posted")
	}
}
