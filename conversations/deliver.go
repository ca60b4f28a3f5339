package conversations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Kinds of delivery the weekly rhythm sends (see domain).
const (
	KindCheckInPrompt = domain.KindCheckInPrompt
	KindReminder      = domain.KindReminder
	KindDigest        = domain.KindDigest
	KindKPIAlert      = domain.KindKPIAlert
	KindSourceFailing = domain.KindSourceFailing
)

// Delivery is one message okrbot sends on its own (not as an answer): a
// check-in prompt, a reminder, a digest, a KPI alert. Each has one entry in
// the outbox, keyed by (workspace, recipient, kind, period), so it is sent
// exactly once.
type Delivery struct {
	// ID is the outbox id. Senders attach it to the message (Slack: message
	// metadata) so that Delivered can tell whether a send interrupted by a
	// crash arrived.
	ID          string
	WorkspaceID string
	Platform    domain.Platform
	Workspace   string // the platform's workspace id (Slack team id, Teams tenant id)
	// Recipient is a user id for a direct message, a channel id otherwise.
	Recipient string
	Direct    bool
	Kind      string
	Period    string
	Message   *Message
}

// Sender delivers messages on one platform. A sender makes one attempt per
// call and reports how it went; it never retries on its own (the outbox's
// one retry policy does). It paces its calls to the platform's limits:
// waiting for its turn is not a retry.
type Sender interface {
	// Send posts the delivery's message and returns the platform's message
	// id. A failure is a *SendError saying whether to try again, how long
	// the platform asked to wait, and whether the message may have arrived.
	Send(ctx context.Context, d Delivery) (messageID string, err error)
	// Delivered reports whether a message carrying d.ID already arrived
	// (a send that was in flight when a process died, or that failed in a
	// way that may have reached the platform), and its id.
	Delivered(ctx context.Context, d Delivery) (messageID string, ok bool, err error)
}

// SendError is a failed send. Retry says whether trying again may work
// (rate limits, 5xx, network); After, when set, is the least wait the
// platform asked for; Unsure says the platform may have posted the message
// anyway (a 5xx, a timeout): the next attempt asks it first.
type SendError struct {
	Err    error
	Retry  bool
	After  time.Duration
	Unsure bool
}

func (e *SendError) Error() string {
	if e.Retry {
		return fmt.Sprintf("send failed (retry after %v): %v", e.After, e.Err)
	}
	return fmt.Sprintf("send failed: %v", e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying, and the wait the
// platform asked for (0 when it named none).
func Retryable(err error) (bool, time.Duration) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Retry, se.After
	}
	return true, 0 // unknown failures (network, timeouts) are retried with backoff
}

// Unsure reports whether a failed send may have reached the platform: a
// *SendError that says so, or any failure that is not a *SendError.
func Unsure(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Unsure
	}
	return err != nil
}
