// Package slackbot is okrbot's Slack adapter: the HTTP endpoints and Socket
// Mode, request verification, the OAuth install, slash commands, buttons,
// modals and the App Home, rendering to Block Kit, and the Sender the weekly
// rhythm uses.
//
// It translates Slack's requests into calls of the conversations and renders
// their neutral messages. It never touches storage directly: the few things
// it keeps (installations, request keys) go through the Store it is given.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/bot/pace"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/rejections"
)

// Conversations is what the adapter asks of okrbot's core
// (*conversations.Service).
type Conversations interface {
	Command(ctx context.Context, a conversations.Actor, cmd, args string) conversations.Reply
	Action(ctx context.Context, a conversations.Actor, action, value string) conversations.Reply
	Submit(ctx context.Context, a conversations.Actor, sub conversations.Submission) conversations.Reply
	Home(ctx context.Context, a conversations.Actor) (*conversations.Message, error)
}

// Store keeps what the adapter needs between requests (either of okrbot's
// stores, storage/sqlite or storage/mongo).
type Store interface {
	// Remember records a request key and reports whether it is new; Forget
	// removes it. They make a repeated event have one effect.
	Remember(ctx context.Context, key string) (bool, error)
	Forget(ctx context.Context, key string) error
	// Installations of okrbot in workspaces, through OAuth. Tokens are
	// encrypted at rest by the store.
	SaveInstallation(ctx context.Context, in domain.Installation) error
	Installation(ctx context.Context, workspace string) (domain.Installation, error)
	DeleteInstallation(ctx context.Context, workspace string) error
	// EnsureWorkspace and AddAdmin set up a newly installed workspace and
	// make the installer its admin.
	EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error)
	AddAdmin(ctx context.Context, workspace, user string) error
	// NameWorkspace records the team's name as Slack gives it (auth.test,
	// OAuth): an export writes it.
	NameWorkspace(ctx context.Context, id, name string) error
}

// Config configures the adapter. Secrets in it are never logged.
type Config struct {
	// SigningSecret verifies requests to the HTTP endpoints. Without it the
	// HTTP endpoints are not mounted (Mount fails).
	SigningSecret string
	// BotToken (xoxb-…) is the single-workspace mode's token.
	BotToken string
	// AppToken (xapp-…) turns on Socket Mode.
	AppToken string
	// ClientID and ClientSecret turn on the multi-workspace OAuth install.
	// The store must be able to encrypt tokens (OKRBOT_ENCRYPTION_KEY).
	ClientID, ClientSecret string
	// APIURL is the Web API base, with a trailing slash; slack.APIURL when empty.
	APIURL string
	// TimeZone is the default time zone of a newly installed workspace.
	TimeZone string

	// Log receives the adapter's logs; nothing when nil.
	Log *slog.Logger
	// Registry receives the adapter's metrics; none when nil.
	Registry prometheus.Registerer
	// HTTPClient makes the Web API calls; a client with a 30 s timeout when nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	// CommandTimeout bounds the work of one command, button or event after
	// the acknowledgement; 2 minutes when zero.
	CommandTimeout time.Duration
	// InlineWait is how long a slash command waits for its answer to send it
	// in the HTTP response itself; later answers go through response_url.
	// 2 s when zero: Slack's limit is 3 s.
	InlineWait time.Duration
	// SubmitWait is how long a form submission waits for its validation to
	// answer with errors on the form; 2.5 s when zero.
	SubmitWait time.Duration
	// Limits caps the pace of Web API methods (see Tiers): okrbot adapts
	// below them, never above.
	Limits map[string]Limit
	// Paces keeps the pace learned for each workspace and method across
	// runs; learned paces last only as long as the process when nil.
	Paces pace.Store
	// UserCacheTTL is how long a person's name and time zone from users.info,
	// and a channel's name, are kept; 1 hour when zero.
	UserCacheTTL time.Duration
}

// Bot is the Slack adapter. It is safe for concurrent use.
type Bot struct {
	cfg      Config
	svc      Conversations
	store    Store
	log      *slog.Logger
	now      func() time.Time
	apiURL   string
	apiHost  *url.URL
	httpc    *http.Client
	hooks    *http.Client // response_url posts: httpc without redirects
	metrics  *metrics
	rejects  *rejections.Log
	pace     *pace.Pacer
	users    *cache[slackUser] // team/user -> users.info
	channels *cache[string]    // team/channel -> name ("" when Slack does not say)
	shared   sharedAnswers     // answers rendered once for many requests
	// channelIDs is each team's channels by name (lower case), from one
	// conversations.list walk: a Tier 2 method, so walked once in a while.
	channelIDs *cache[map[string]string]

	mu         sync.Mutex
	clients    map[string]teamClient // team id -> client (installations)
	single     *slack.Client         // single-workspace client
	team       string                // single workspace's team id (auth.test)
	teamName   string                // and its name
	enterprise string                // single workspace's Enterprise Grid organisation (auth.test)
	botUser    string                // single workspace's bot user id
	dms        sync.Map              // team/user -> DM channel id

	oauth *oauthConfig
}

type teamClient struct {
	c          *slack.Client
	botUser    string
	enterprise string // the installation's Enterprise Grid organisation, if any
	at         time.Time
}

// Errors of New and Mount.
var (
	ErrNoSigningSecret = errors.New("slackbot: SLACK_SIGNING_SECRET is empty: refusing to serve the Slack HTTP endpoints unverified")
	ErrNoToken         = errors.New("slackbot: neither a bot token (SLACK_BOT_TOKEN) nor an OAuth app (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET) is configured")
)

// New returns the adapter. It needs a bot token, or an OAuth client id and
// secret, or both.
func New(cfg Config, svc Conversations, store Store) (*Bot, error) {
	cfg.SigningSecret = strings.TrimSpace(cfg.SigningSecret)
	cfg.BotToken = strings.TrimSpace(cfg.BotToken)
	cfg.AppToken = strings.TrimSpace(cfg.AppToken)
	if cfg.BotToken == "" && (cfg.ClientID == "" || cfg.ClientSecret == "") {
		return nil, ErrNoToken
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slack.APIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	api, err := url.Parse(cfg.APIURL)
	if err != nil || api.Host == "" {
		return nil, errors.New("slackbot: SLACK_API_URL is not a URL")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 2 * time.Minute
	}
	if cfg.InlineWait <= 0 {
		cfg.InlineWait = 2 * time.Second
	}
	if cfg.SubmitWait <= 0 {
		cfg.SubmitWait = 2500 * time.Millisecond
	}
	if cfg.UserCacheTTL <= 0 {
		cfg.UserCacheTTL = time.Hour
	}
	b := &Bot{
		cfg: cfg, svc: svc, store: store, log: cfg.Log, now: cfg.Now,
		apiURL: cfg.APIURL, apiHost: api, httpc: cfg.HTTPClient,
		clients: map[string]teamClient{},
	}
	hooks := *cfg.HTTPClient
	hooks.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.hooks = &hooks
	b.metrics = newMetrics(cfg.Registry)
	b.rejects = newRejections(cfg.Registry, cfg.Now)
	b.pace = pace.New("slack", methods(cfg.Limits), cfg.Paces, cfg.Log)
	b.users = newCache[slackUser](cfg.UserCacheTTL, 10000, cfg.Now)
	b.channels = newCache[string](cfg.UserCacheTTL, 10000, cfg.Now)
	b.channelIDs = newCache[map[string]string](channelListTTL, 1000, cfg.Now)
	if cfg.BotToken != "" {
		b.single = b.newClient("", cfg.BotToken)
	}
	if cfg.ClientID != "" && cfg.ClientSecret != "" {
		b.oauth = newOAuthConfig(cfg)
	}
	return b, nil
}

// Start learns the single workspace's team and bot user with auth.test. A
// failure is logged, not fatal: Slack may be unreachable for a moment, and
// the token is tried again on the first request (which waits for it: no
// request is answered before okrbot knows whose token it holds).
func (b *Bot) Start(ctx context.Context) {
	if b.single == nil {
		return
	}
	if err := b.authTest(ctx); err != nil {
		b.log.Warn("slack auth.test failed; the bot token will be tried again on the first request", "err", safeErr(err))
	}
}

// authTest learns the single-workspace token's team, organisation and bot user.
func (b *Bot) authTest(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := b.single.AuthTestContext(ctx)
	if err != nil {
		return err
	}
	if r.TeamID == "" {
		return errors.New("slackbot: auth.test named no workspace")
	}
	b.mu.Lock()
	known := b.team != ""
	b.team, b.teamName, b.enterprise, b.botUser = r.TeamID, r.Team, r.EnterpriseID, r.UserID
	b.mu.Unlock()
	if !known {
		b.log.Info("slack connected", "team", r.TeamID, "team_name", r.Team, "enterprise", r.EnterpriseID, "bot_user", r.UserID)
		b.nameWorkspace(ctx, r.TeamID, r.Team)
	}
	return nil
}

// nameWorkspace records the team's name as Slack gives it, in a workspace
// okrbot has met already (one it meets later is set up with it: actor). A
// failure is logged: the name is for exports and nothing waits for it.
func (b *Bot) nameWorkspace(ctx context.Context, team, name string) {
	if b.store == nil || team == "" || name == "" {
		return
	}
	err := b.store.NameWorkspace(ctx, domain.WorkspaceID(domain.Slack, team), name)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		b.log.Warn("slack workspace name not recorded", "team", team, "err", err)
	}
}

// Mount adds the Slack routes to mux: the three endpoints Slack calls, and
// the OAuth install routes when an OAuth app is configured. It refuses to
// mount without a signing secret.
func (b *Bot) Mount(mux *http.ServeMux) error {
	if b.cfg.SigningSecret == "" {
		return ErrNoSigningSecret
	}
	mux.Handle("POST "+PathCommands, b.verified(maxCommandBody, b.serveCommand))
	mux.Handle("POST "+PathInteractions, b.verified(maxInteractionBody, b.serveInteraction))
	mux.Handle("POST "+PathEvents, b.verified(maxEventBody, b.serveEvent))
	if b.oauth != nil {
		mux.HandleFunc("GET "+PathInstall, b.serveInstall)
		mux.HandleFunc("GET "+PathOAuthCallback, b.serveOAuthCallback)
	}
	return nil
}

// OAuthEnabled reports whether the multi-workspace install is configured.
func (b *Bot) OAuthEnabled() bool { return b.oauth != nil }

// Routes Slack calls, as the app manifest names them.
const (
	PathCommands      = "/slack/commands"
	PathInteractions  = "/slack/interactions"
	PathEvents        = "/slack/events"
	PathInstall       = "/slack/install"
	PathOAuthCallback = "/slack/oauth/callback"
)

// Commands are the slash commands okrbot answers.
var Commands = []string{"/okr", "/kpi"}

// BotScopes are the bot token scopes okrbot asks for, each for a call it makes.
var BotScopes = []string{
	"commands",          // the /okr and /kpi slash commands
	"chat:write",        // chat.postMessage, chat.postEphemeral: answers, DMs, digests
	"chat:write.public", // post digests and announcements in public channels without being invited
	"im:write",          // conversations.open: the DM channel for a chart upload or a delivery check
	"im:history",        // conversations.history of a DM: did an interrupted delivery arrive?
	"channels:history",  // conversations.history of a public channel: the same for digests
	"groups:history",    // conversations.history of a private channel: the same for digests
	"channels:read",     // conversations.info of a public channel: its name, and whether okrbot is in it before a digest is subscribed; conversations.list finds a #name typed as text
	"groups:read",       // conversations.info of a private channel okrbot is in: the same
	"users:read",        // users.info: a person's name, time zone and admin flag
	"files:write",       // files upload v2: the digest's chart
}

// BotEvents are the Events API events okrbot subscribes to.
var BotEvents = []string{"app_home_opened", "app_uninstalled", "tokens_revoked"}

// actor builds the conversations actor of a Slack user: name, time zone and
// admin flag from users.info (cached). A failed lookup leaves them empty.
func (b *Bot) actor(ctx context.Context, c *slack.Client, team, user, channel string) conversations.Actor {
	a := conversations.Actor{Platform: domain.Slack, Workspace: team, User: user, Channel: channel}
	b.mu.Lock()
	if team == b.team {
		a.WorkspaceName = b.teamName
	}
	b.mu.Unlock()
	if strings.HasPrefix(channel, "D") {
		a.Channel = "" // a direct message: no channel to announce in
	}
	if c == nil {
		return a
	}
	a.Directory = &directory{b: b, c: c, team: team}
	if u, ok := b.userInfo(ctx, c, team, user); ok {
		a.Name, a.TimeZone, a.Admin = u.name, u.tz, u.admin
	}
	return a
}

// safeErr is an error as it may be logged: Slack's errors carry no token,
// but an url.Error names the URL, which for a response_url is a secret.
func safeErr(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " " + redactURL(ue.URL) + ": " + safeErr(ue.Err)
	}
	return err.Error()
}

// redactURL keeps a URL's scheme and host.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(url)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// recoverPanic keeps a panic in work done after Slack's acknowledgement
// from taking the whole service down: it is logged, with its stack, once.
func (b *Bot) recoverPanic(what string) {
	if v := recover(); v != nil {
		b.log.Error("panic in slack "+what, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}
