// Package teamsbot is okrbot in Microsoft Teams: the Bot Framework messaging
// endpoint (POST /api/messages), commands typed to the bot, Adaptive Cards
// for answers and forms, and proactive sends (prompts, reminders, digests,
// alerts) to stored conversation references.
//
// Incoming activities are parsed with msbotbuilder-go's schema types through
// core.BotFrameworkAdapter, whose token validator is replaced by
// bot/teamsbot/auth. Outgoing calls go through Connector, a thin Bot
// Connector client with timeouts, retries and a cached token.
package teamsbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	bfauth "github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/bot/teamsbot/auth"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/rejections"
)

// Conversations is what the bot asks of the conversations; a
// *conversations.Service satisfies it.
type Conversations interface {
	Command(ctx context.Context, a conversations.Actor, cmd, args string) conversations.Reply
	Action(ctx context.Context, a conversations.Actor, action, value string) conversations.Reply
	Submit(ctx context.Context, a conversations.Actor, sub conversations.Submission) conversations.Reply
	CheckInForm(ctx context.Context, a conversations.Actor) (*conversations.Form, error)
	// Form rebuilds a form from a submission's form id and state, to send
	// it again with its errors.
	Form(ctx context.Context, a conversations.Actor, id, state string) (*conversations.Form, error)
	// File makes again a reply's file from its Ref, once the person has
	// accepted it (file.go).
	File(ctx context.Context, a conversations.Actor, ref string) (*conversations.File, error)
}

// RefStore keeps Teams conversation references; okrbot's stores satisfy it.
type RefStore interface {
	SaveConversationRef(ctx context.Context, r domain.ConversationRef) error
	ConversationRef(ctx context.Context, workspace, conversation string) (domain.ConversationRef, error)
	PersonalConversationRef(ctx context.Context, workspace, user string) (domain.ConversationRef, error)
	ConversationRefs(ctx context.Context, workspace string) ([]domain.ConversationRef, error)
	DeleteConversationRef(ctx context.Context, workspace, conversation string) error
}

// Store is everything the bot keeps; okrbot's stores satisfy it.
type Store interface {
	RefStore
	// SaveUser records the names of people mentioned in commands, so that
	// answers show their names rather than their ids.
	SaveUser(ctx context.Context, u domain.User) error
	// Remember records a key and reports whether it is new: an activity the
	// Bot Connector delivers twice runs once.
	Remember(ctx context.Context, key string) (bool, error)
	Forget(ctx context.Context, key string) error
}

// Options tune a Bot. Zero values are fine.
type Options struct {
	// Log receives what went wrong; discarded when nil.
	Log *slog.Logger
	// Metrics, when set, receives the bot's counters.
	Metrics prometheus.Registerer
	// MaxBody bounds a request body; 256 KB when zero.
	MaxBody int64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HTTPClient uploads files a person accepted to the URL Teams gives
	// (their OneDrive); a client with a 2-minute timeout when nil.
	HTTPClient *http.Client
}

const (
	defaultMaxBody = 256 << 10
	// handleTimeout bounds the work done for one activity. The work does not
	// stop when the Bot Connector hangs up, so a command is never half done.
	handleTimeout = 25 * time.Second
)

// Bot serves the Bot Framework messaging endpoint. It is an http.Handler.
type Bot struct {
	svc     Conversations
	store   Store
	conn    *Connector
	adapter *core.BotFrameworkAdapter
	sender  *Sender
	log     *slog.Logger
	maxBody int64
	now     func() time.Time
	metrics *metrics
	rejects *rejections.Log
	seen    sync.Map // conversation reference key -> fingerprint last saved
	files   *http.Client
}

// New returns a Bot. validator checks every request's token (use
// auth.NewValidator: msbotbuilder-go's own validator is not safe); conn
// posts the answers and carries the bot's app id, which must not be empty.
func New(svc Conversations, store Store, validator bfauth.TokenValidator, conn *Connector, opt Options) (*Bot, error) {
	switch {
	case svc == nil || store == nil:
		return nil, errors.New("teamsbot: conversations and store are required")
	case validator == nil:
		return nil, errors.New("teamsbot: a token validator is required")
	case conn == nil || conn.AppID() == "":
		return nil, errors.New("teamsbot: MICROSOFT_APP_ID is required")
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = defaultMaxBody
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	m := newMetrics(opt.Metrics)
	b := &Bot{
		svc: svc, store: store, conn: conn, log: opt.Log, maxBody: opt.MaxBody, now: opt.Now, metrics: m,
		// Only ParseRequest is used: the adapter's ProcessActivity posts
		// through msbotbuilder-go's connector client, which this package
		// replaces, so no Client is set.
		adapter: &core.BotFrameworkAdapter{
			AdapterSetting: core.AdapterSetting{AppID: conn.AppID()},
			TokenValidator: validator,
		},
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	b.files = opt.HTTPClient
	b.rejects = rejections.New(m.rejected, opt.Now)
	b.sender = newSender(store, conn, opt.Log, m)
	return b, nil
}

// Sender returns the bot's proactive sender (a conversations.Sender).
func (b *Bot) Sender() *Sender { return b.sender }

// ServeHTTP handles POST /api/messages. A request whose token does not
// validate is answered 401 and nothing else happens.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Authorization") == "" {
		b.reject(w, r, http.StatusUnauthorized, reasonMissingAuth, nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, b.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			b.reject(w, r, http.StatusRequestEntityTooLarge, reasonTooLarge, nil)
			return
		}
		b.reject(w, r, http.StatusBadRequest, reasonUnreadable, err)
		return
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	activity, err := b.adapter.ParseRequest(r.Context(), req)
	if err != nil {
		switch {
		case errors.Is(err, auth.ErrKeysUnavailable):
			b.reject(w, r, http.StatusUnauthorized, reasonKeysUnavailable, err)
		case errors.Is(err, auth.ErrUnauthorized):
			b.reject(w, r, http.StatusUnauthorized, reasonBadToken, err)
		default:
			b.reject(w, r, http.StatusBadRequest, reasonNotActivity, err)
		}
		return
	}
	in, err := newIncoming(activity, body)
	if err != nil {
		b.reject(w, r, http.StatusBadRequest, reasonNotActivity, err)
		return
	}
	b.metrics.requests.WithLabelValues("ok").Inc()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), handleTimeout)
	defer cancel()
	ir := b.handle(ctx, in)
	if ir == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if ir.body == nil {
		w.WriteHeader(ir.status)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(ir.status)
	json.NewEncoder(w).Encode(ir.body)
}

// Why a request to /api/messages was refused, as okrbot_teams_rejected_total
// counts it.
const (
	reasonMissingAuth     = "missing_auth"     // no Authorization header
	reasonBadToken        = "bad_token"        // the token did not validate
	reasonKeysUnavailable = "keys_unavailable" // Microsoft's signing keys have not loaded
	reasonTooLarge        = "too_large"
	reasonUnreadable      = "unreadable_body"
	reasonNotActivity     = "not_activity" // authenticated, but not an activity okrbot can read
)

// reject answers status, counts the refusal and logs it at most once per
// reason every rejections.Every: anyone can POST to /api/messages, and ten
// thousand forged requests must not become ten thousand log lines. err,
// when not nil, is why (never the token itself).
func (b *Bot) reject(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	result := map[int]string{http.StatusUnauthorized: "unauthorized", http.StatusRequestEntityTooLarge: "too_large"}[status]
	if result == "" {
		result = "bad_request"
	}
	b.metrics.requests.WithLabelValues(result).Inc()
	if log, unlogged := b.rejects.Note(reason); log {
		args := []any{"status", status, "reason", reason, "remote", r.RemoteAddr}
		if err != nil {
			args = append(args, "err", err.Error())
		}
		if unlogged > 0 {
			args = append(args, "not_logged_since_last", unlogged)
		}
		b.log.Warn("teams request rejected", args...)
	}
	http.Error(w, http.StatusText(status), status)
}

// metrics are the bot's Prometheus counters.
type metrics struct {
	requests *prometheus.CounterVec
	sends    *prometheus.CounterVec
	rejected *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_teams_requests_total",
			Help: "Requests to the Teams messaging endpoint, by result.",
		}, []string{"result"})),
		sends: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_teams_sends_total",
			Help: "Messages sent to Teams, by kind (reply, proactive) and outcome.",
		}, []string{"kind", "outcome"})),
		rejected: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okrbot_teams_rejected_total",
			Help: "Requests to the Teams messaging endpoint refused, by reason (missing_auth, bad_token, keys_unavailable, too_large, unreadable_body, not_activity).",
		}, []string{"reason"})),
	}
}

// register registers c, or returns the collector registered before it
// under the same name (a second Bot in one process shares the counters).
func register(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}
