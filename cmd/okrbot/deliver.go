package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
)

// deliverer makes one attempt at a delivery for the outbox: it asks the
// platform first when the last attempt may have arrived, composes the
// message with the run, sends it with the platform's sender, and turns what
// the sender reports into the outbox's result. It never retries: the
// outbox's policy does.
type deliverer struct {
	run     *rhythm.Run
	senders map[domain.Platform]conversations.Sender
	// queue takes the notice of a digest refused for good (to whoever
	// subscribed the channel); none is written when nil.
	queue rhythm.Queue
	log   *slog.Logger
}

var _ outbox.Handler = (*deliverer)(nil)

// Deliver implements outbox.Handler. A channel's digest refused for good
// (okrbot is not in the channel, …) also tells the person who subscribed
// it, once per subscription (rhythm.DigestRefused).
func (d *deliverer) Deliver(ctx context.Context, e domain.OutboxEntry) outbox.Result {
	r := d.deliver(ctx, e)
	if r.State == domain.OutboxDead && d.queue != nil {
		notice, ok, err := d.run.DigestRefused(ctx, e, r.Reason)
		if err == nil && ok {
			_, err = d.queue.Enqueue(ctx, []domain.OutboxEntry{notice})
		}
		if err != nil && d.log != nil {
			d.log.Warn("the subscriber of a refused digest could not be told", "outbox_id", e.ID, "err", err)
		}
	}
	return r
}

func (d *deliverer) deliver(ctx context.Context, e domain.OutboxEntry) outbox.Result {
	ws, err := d.run.Workspace(ctx, e.WorkspaceID)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return outbox.Permanent(fmt.Errorf("workspace %s is gone", e.WorkspaceID))
		}
		return outbox.Retry(err, 0, e.Unsure)
	}
	sender := d.senders[ws.Platform]
	if sender == nil {
		return outbox.Retry(fmt.Errorf("no sender for %s in this process", ws.Platform), 0, e.Unsure)
	}
	del := conversations.Delivery{ID: e.ID, WorkspaceID: ws.ID, Platform: ws.Platform, Workspace: ws.ExternalID,
		Recipient: e.Recipient, Direct: e.Direct, Kind: e.Kind, Period: e.Period}
	if e.Unsure {
		// The last attempt may have arrived (a 5xx, a timeout, a process
		// that died sending it): ask before sending again.
		id, ok, err := sender.Delivered(ctx, del)
		if err != nil {
			return result(err, true)
		}
		if ok {
			return outbox.Sent(id)
		}
	}
	msg, skip, err := d.run.Compose(ctx, ws, e)
	if err != nil {
		return outbox.Retry(fmt.Errorf("composing: %w", err), 0, false)
	}
	if skip != "" {
		return outbox.Skipped(skip)
	}
	del.Message = msg
	id, err := sender.Send(ctx, del)
	if err != nil {
		return result(err, false)
	}
	return outbox.Sent(id)
}

// result turns a sender's failure into the outbox's result; unsure keeps
// an earlier doubt.
func result(err error, unsure bool) outbox.Result {
	retry, after := conversations.Retryable(err)
	if !retry {
		return outbox.Permanent(err)
	}
	return outbox.Retry(err, after, unsure || conversations.Unsure(err))
}
