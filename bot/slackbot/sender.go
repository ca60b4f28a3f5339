package slackbot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/bot/pace"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// DeliveryEventType is the message metadata event type of okrbot's own
// deliveries; its payload carries the outbox id.
const DeliveryEventType = "okrbot_delivery"

// deliveredWindow is how far back Delivered looks for a message.
const deliveredWindow = 7 * 24 * time.Hour

// Sender delivers the weekly rhythm's messages in Slack
// (conversations.Sender). Each Send is one attempt: it waits for its turn
// at the pace Slack allows (per method and workspace, and per channel) and
// reports how the call went as a *conversations.SendError; it never retries.
type Sender struct {
	b *Bot
}

// Sender returns the adapter's sender.
func (b *Bot) Sender() *Sender {
	return &Sender{b: b}
}

var _ conversations.Sender = (*Sender)(nil)

// Send posts the delivery's message: a DM (channel = the user id) or to a
// channel, with message metadata naming the outbox id, then its image with
// files upload v2 into the same conversation. The message id it returns is
// "<channel id>/<ts>".
//
// A 429 is reported with its Retry-After (and every call of that method in
// that workspace waits it out); a 5xx or a network failure is reported as
// unsure, because Slack may have posted the message: the next attempt asks
// Slack (Delivered) before sending again.
func (s *Sender) Send(ctx context.Context, d conversations.Delivery) (string, error) {
	b := s.b
	if d.Message == nil {
		return "", &conversations.SendError{Err: errors.New("slackbot: delivery without a message"), Retry: false}
	}
	c, err := b.client(ctx, d.Workspace)
	if err != nil {
		return "", clientError(err)
	}
	meta := slack.SlackMetadata{EventType: DeliveryEventType, EventPayload: map[string]any{
		"outbox_id": d.ID, "kind": d.Kind, "period": d.Period,
	}}
	id, err := b.post(ctx, c, d.Workspace, d.Recipient, d.Message, slack.MsgOptionMetadata(meta))
	if err != nil {
		return "", s.sendError(d.Workspace, "chat.postMessage", err)
	}
	channel, ts, _ := strings.Cut(id, "/")
	if d.Direct {
		b.dms.Store(d.Workspace+"/"+d.Recipient, channel)
	}
	if img := d.Message.Image; img != nil && len(img.PNG) > 0 {
		// The message is delivered: a failed chart is logged, not retried
		// (retrying would post the message twice).
		if err := s.upload(ctx, c, d, channel, img); err != nil {
			b.log.Warn("slack chart upload failed; the digest was posted without it", "team", d.Workspace, "channel", channel, "outbox_id", d.ID, "err", safeErr(err))
		}
	}
	return channel + "/" + ts, nil
}

func (s *Sender) upload(ctx context.Context, c *slack.Client, d conversations.Delivery, channel string, img *conversations.Image) error {
	name := img.Name
	if name == "" {
		name = "okrbot-" + d.Kind + ".png"
	}
	title := img.Title
	if title == "" {
		title = name
	}
	_, err := c.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader:   bytes.NewReader(img.PNG),
		FileSize: len(img.PNG),
		Filename: name,
		Title:    clip(title, 250),
		AltTxt:   clip(img.Alt, 1000),
		Channel:  channel,
	})
	return err
}

// Delivered looks for a message carrying d's outbox id in the conversation's
// last seven days (conversations.history with include_all_metadata).
func (s *Sender) Delivered(ctx context.Context, d conversations.Delivery) (string, bool, error) {
	b := s.b
	c, err := b.client(ctx, d.Workspace)
	if err != nil {
		return "", false, clientError(err)
	}
	channel := d.Recipient
	if d.Direct {
		channel, err = s.dmChannel(ctx, c, d.Workspace, d.Recipient)
		if err != nil {
			return "", false, s.sendError(d.Workspace, "conversations.open", err)
		}
	}
	oldest := strconv.FormatInt(b.now().Add(-deliveredWindow).Unix(), 10) + ".000000"
	cursor := ""
	for page := 0; page < 5; page++ {
		h, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
		})
		if err != nil {
			return "", false, s.sendError(d.Workspace, "conversations.history", err)
		}
		for _, m := range h.Messages {
			if m.Metadata.EventType != DeliveryEventType {
				continue
			}
			if fmt.Sprint(m.Metadata.EventPayload["outbox_id"]) == d.ID {
				return channel + "/" + m.Timestamp, true, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			break
		}
		cursor = h.ResponseMetaData.NextCursor
	}
	return "", false, nil
}

// dmChannel returns the DM channel with a user (conversations.open), cached.
func (s *Sender) dmChannel(ctx context.Context, c *slack.Client, team, user string) (string, error) {
	return s.b.dmChannel(ctx, c, team, user)
}

// dmChannel returns the DM channel with a user (conversations.open), cached.
func (b *Bot) dmChannel(ctx context.Context, c *slack.Client, team, user string) (string, error) {
	if v, ok := b.dms.Load(team + "/" + user); ok {
		return v.(string), nil
	}
	ch, _, _, err := c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", err
	}
	b.dms.Store(team+"/"+user, ch.ID)
	return ch.ID, nil
}

// Slack errors that will not go away by themselves.
var permanent = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "account_inactive": true,
	"invalid_auth": true, "not_authed": true, "token_revoked": true, "token_expired": true, "no_permission": true,
	"missing_scope": true, "user_not_found": true, "user_disabled": true, "cannot_dm_bot": true,
	"msg_too_long": true, "invalid_blocks": true, "invalid_blocks_format": true, "invalid_metadata_format": true,
	"invalid_metadata_schema": true, "metadata_too_large": true, "restricted_action": true, "ekm_access_denied": true,
	"team_access_not_granted": true, "too_many_attachments": true, "no_text": true, "invalid_arguments": true,
}

// Slack errors after which the message may have been posted anyway.
var unsure = map[string]bool{"internal_error": true, "fatal_error": true, "request_timeout": true, "service_unavailable": true}

// sendError reports a failure: retryable (rate limits, 5xx, network,
// Slack's own transient errors) with the wait Slack asked for, and whether
// the message may have arrived; or permanent.
func (s *Sender) sendError(team, method string, err error) error {
	var rl *slack.RateLimitedError
	var wt *pace.WaitError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return &conversations.SendError{Err: err, Retry: true, After: max(rl.RetryAfter, s.b.pace.Blocked(team, method))}
	case errors.As(err, &wt):
		return &conversations.SendError{Err: err, Retry: true, After: wt.After} // no call was made
	case errors.As(err, &sc) && sc.Code >= 500:
		return &conversations.SendError{Err: err, Retry: true, Unsure: true}
	case errors.As(err, &se):
		if permanent[se.Err] {
			return &conversations.SendError{Err: err, Retry: false}
		}
		return &conversations.SendError{Err: err, Retry: true, Unsure: unsure[se.Err]}
	case errors.Is(err, context.Canceled):
		return &conversations.SendError{Err: err, Retry: true, Unsure: true}
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return &conversations.SendError{Err: err, Retry: true, Unsure: true}
	case errors.As(err, &sc):
		return &conversations.SendError{Err: err, Retry: false}
	}
	return &conversations.SendError{Err: err, Retry: true, Unsure: true}
}

// clientError classifies a failure to get a workspace's client: refused for
// good when okrbot is not installed there (or, with one bot token, it is
// not the token's workspace), worth a retry otherwise (the
// store timed out; the delivery must not be dropped for it).
func clientError(err error) error {
	var ww *wrongWorkspaceError
	if errors.Is(err, errNotInstalled) || errors.As(err, &ww) || domain.ErrorCode(err) == domain.ENOTFOUND {
		return &conversations.SendError{Err: err, Retry: false}
	}
	return &conversations.SendError{Err: err, Retry: true, After: 30 * time.Second}
}

// Flush saves the paces learned for each workspace and method, so that the
// next process starts from them.
func (s *Sender) Flush(ctx context.Context) { s.b.pace.Flush(ctx) }

// ChannelName returns a channel's name in the workspace team, as Slack
// gives it (conversations.info, cached): background jobs name a team's
// digest by it, as a command typed in the channel does.
func (s *Sender) ChannelName(ctx context.Context, team, channel string) (string, error) {
	d, err := s.b.Directory(ctx, team)
	if err != nil {
		return "", err
	}
	return d.ChannelName(ctx, channel)
}
