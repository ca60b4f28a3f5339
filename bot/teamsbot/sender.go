package teamsbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/okrbot/okrbot/bot/pace"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// Sender delivers prompts, reminders, digests and alerts to Teams on
// okrbot's own initiative (conversations.Sender), using the conversation
// references stored when people talked to the bot or installed it.
//
// Delivered cannot tell whether a send interrupted by a crash arrived: the
// Bot Connector offers bots no way to read a Teams conversation's history
// (that needs Microsoft Graph with tenant-wide consent). So on Teams, a
// delivery that was in flight at the instant a process died may be sent
// once more.
type Sender struct {
	store   RefStore
	conn    *Connector
	log     *slog.Logger
	metrics *metrics
}

var _ conversations.Sender = (*Sender)(nil)

// NewSender returns a Sender over store and conn, for processes that send
// without serving the messaging endpoint (okrbot jobs run).
func NewSender(store RefStore, conn *Connector, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newSender(store, conn, log, newMetrics(nil))
}

func newSender(store RefStore, conn *Connector, log *slog.Logger, m *metrics) *Sender {
	return &Sender{store: store, conn: conn, log: log, metrics: m}
}

// credentialsWait is how long a delivery waits when the token endpoint
// refuses okrbot's credentials: an operator has to fix them, and the
// delivery must still go out afterwards.
const credentialsWait = 10 * time.Minute

// Send posts d's message to the person (d.Direct, d.Recipient a Teams user
// id) or the channel (d.Recipient a conversation id) and returns the
// activity id. A person okrbot has no personal chat with yet gets one. It
// is one attempt, at the pace Teams allows: a failure is a
// *conversations.SendError saying whether to try again, after how long,
// and whether the message may have arrived (the outbox retries).
func (s *Sender) Send(ctx context.Context, d conversations.Delivery) (string, error) {
	id, err := s.send(ctx, d)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	s.metrics.sends.WithLabelValues("proactive", outcome).Inc()
	return id, err
}

func (s *Sender) send(ctx context.Context, d conversations.Delivery) (string, error) {
	if d.Message == nil {
		return "", &conversations.SendError{Err: errors.New("teams: delivery without a message")}
	}
	tenant := d.Workspace
	if tenant == "" {
		tenant = strings.TrimPrefix(d.WorkspaceID, string(domain.Teams)+":")
	}
	ws := domain.WorkspaceID(domain.Teams, tenant)
	var ref domain.ConversationRef
	var err error
	if d.Direct {
		ref, err = s.personal(ctx, ws, tenant, d.Recipient, "")
	} else {
		ref, err = s.store.ConversationRef(ctx, ws, d.Recipient)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			err = &conversations.SendError{Err: fmt.Errorf("teams: okrbot is not in conversation %s: %w", d.Recipient, err)}
		}
	}
	if err != nil {
		return "", sendError(err)
	}
	act := messageActivity(d.Message, true)
	id, err := s.conn.SendToConversation(ctx, tenant, ref.ServiceURL, ref.Conversation, act)
	if tooLarge(err) && act.retry != nil {
		// Refused for its size, so not posted: the same message without
		// its image is a different message, not a retry.
		id, err = s.conn.SendToConversation(ctx, tenant, ref.ServiceURL, ref.Conversation, act.retry)
	}
	return id, sendError(err)
}

// Delivered reports false: the Bot Connector cannot read a Teams
// conversation back (see Sender).
func (s *Sender) Delivered(ctx context.Context, d conversations.Delivery) (string, bool, error) {
	return "", false, nil
}

// personal returns the bot's personal chat with user, creating it when
// there is none: at serviceURL when given, else at the tenant's most
// recently seen service URL.
func (s *Sender) personal(ctx context.Context, ws, tenant, user, serviceURL string) (domain.ConversationRef, error) {
	ref, err := s.store.PersonalConversationRef(ctx, ws, user)
	if err == nil {
		return ref, nil
	}
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return ref, err
	}
	botID := "28:" + s.conn.AppID()
	var botName string
	if serviceURL == "" {
		refs, err := s.store.ConversationRefs(ctx, ws)
		if err != nil {
			return ref, err
		}
		var latest domain.ConversationRef
		for _, r := range refs {
			if r.ServiceURL != "" && !r.UpdatedAt.Before(latest.UpdatedAt) {
				latest = r
			}
		}
		if latest.ServiceURL == "" {
			return ref, &conversations.SendError{Err: fmt.Errorf("teams: okrbot has never been used in tenant %s; install the app first", tenant)}
		}
		serviceURL = latest.ServiceURL
		if latest.BotID != "" {
			botID, botName = latest.BotID, latest.BotName
		}
	}
	res, err := s.conn.CreateConversation(ctx, tenant, serviceURL, ConversationParameters{
		Bot:         ChannelAccount{ID: botID, Name: botName},
		Members:     []ChannelAccount{{ID: user}},
		TenantID:    tenant,
		ChannelData: map[string]any{"tenant": map[string]string{"id": tenant}},
	})
	if err != nil {
		return ref, fmt.Errorf("teams: opening a personal chat: %w", err)
	}
	ref = domain.ConversationRef{
		WorkspaceID: ws, Conversation: res.ID, Type: personal, User: user,
		ServiceURL: serviceURL, BotID: botID, BotName: botName,
	}
	if err := s.store.SaveConversationRef(ctx, ref); err != nil {
		s.log.Warn("teams: saving a new personal chat", "workspace", ws, "err", err)
	}
	return ref, nil
}

// sendError turns a failed send into a *conversations.SendError that says
// whether the outbox should try again, after how long, and whether the
// message may have arrived.
func sendError(err error) error {
	if err == nil {
		return nil
	}
	var se *conversations.SendError
	if errors.As(err, &se) {
		return err
	}
	var wt *pace.WaitError
	if errors.As(err, &wt) {
		return &conversations.SendError{Err: err, Retry: true, After: wt.After} // no call was made
	}
	var te *tokenError
	if errors.As(err, &te) {
		if te.temporary {
			return &conversations.SendError{Err: err, Retry: true}
		}
		return &conversations.SendError{Err: err, Retry: true, After: credentialsWait}
	}
	var ae *APIError
	if errors.As(err, &ae) {
		// A network failure or a gateway error may come after Teams posted
		// the message; a 429 or a 412 is a refusal.
		unsure := ae.Status == 0 || ae.Status >= 500
		return &conversations.SendError{Err: err, Retry: ae.Temporary(), After: ae.RetryAfter, Unsure: unsure && ae.Temporary()}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &conversations.SendError{Err: err, Retry: true, Unsure: true}
	}
	// The store failed: the delivery can be tried again.
	return &conversations.SendError{Err: err, Retry: true}
}

// tooLarge reports whether Teams refused a message for its size.
func tooLarge(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusRequestEntityTooLarge || ae.Code == "MessageSizeTooBig")
}

// messageActivity is a message as an Adaptive Card; when it has an image,
// the activity carries a fallback without it.
func messageActivity(m *conversations.Message, withImage bool) *Activity {
	a := cardActivity(messageCard(m, withImage), m.Summary)
	if withImage && m.Image != nil && len(m.Image.PNG) > 0 {
		a.retry = messageActivity(m, false)
	}
	return a
}

// cardActivity is a message activity carrying one card.
func cardActivity(c *card, summary string) *Activity {
	return &Activity{Type: "message", Summary: summary, Attachments: []Attachment{c.attachment()}}
}

// Flush saves the paces learned for each tenant, so that the next process
// starts from them.
func (s *Sender) Flush(ctx context.Context) { s.conn.Flush(ctx) }
