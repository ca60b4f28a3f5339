package teamsbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okrbot/okrbot/bot/pace"
)

// The Bot Connector REST API (v3) as okrbot uses it. msbotbuilder-go's own
// connector client has no timeouts, returns no activity id, cannot create a
// 1:1 conversation and panics on a nil response after a network error, so
// every outgoing call goes through this one.

// Default token endpoints (client credentials, OAuth 2.0 v2).
const (
	// multiTenantTokenURL is the token endpoint of multi-tenant bots.
	multiTenantTokenURL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
	// tokenScope is the scope of tokens for the Bot Connector service.
	tokenScope = "https://api.botframework.com/.default"
	// callTimeout bounds one HTTP call to the Bot Connector or the token endpoint.
	callTimeout = 15 * time.Second
	// maxResponse bounds the bodies read from the Bot Connector.
	maxResponse = 1 << 20
	// tokenMargin is how long before its expiry a cached token is replaced.
	tokenMargin = 5 * time.Minute
)

// TokenURL returns the token endpoint for a bot: the tenant's for a
// single-tenant bot (tenant set), else Bot Framework's multi-tenant one.
func TokenURL(tenant string) string {
	if tenant = strings.TrimSpace(tenant); tenant != "" {
		return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
	}
	return multiTenantTokenURL
}

// ConnectorConfig configures a Connector.
type ConnectorConfig struct {
	// AppID and AppPassword are the bot's Microsoft app id and client secret.
	AppID       string
	AppPassword string
	// TokenURL is the token endpoint; empty means TokenURL(Tenant).
	TokenURL string
	// Tenant is the Azure tenant of a single-tenant bot.
	Tenant string
	// HTTPClient makes the calls; nil means a client with a 15-second timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Paces keeps the pace learned for each tenant across runs; learned
	// paces last only as long as the process when nil.
	Paces pace.Store
	// Log receives what went wrong; nothing when nil.
	Log *slog.Logger
}

// Connector calls the Bot Connector service with a cached bearer token, at
// the pace Teams allows. Each call is one attempt: a failure is returned,
// never retried here (the outbox retries deliveries). It is safe for
// concurrent use.
type Connector struct {
	appID  string
	client *http.Client
	tokens *tokenSource
	now    func() time.Time
	pace   *pace.Pacer
}

// Teams' documented limits (learn.microsoft.com, "Rate limiting for bots"):
// 50 requests a second per app and tenant for all requests, and per bot and
// conversation 7 a second, 8 in 2 seconds and 60 in 30 seconds. okrbot
// starts at the tenant's 50 a second and adapts below it on a 429; one
// conversation gets 1.8 a second with bursts of 4, which keeps within all
// three of the per-conversation windows.
const (
	laneTenant       = "connector"
	laneConversation = "conversation"
)

// Limits are the paces of the Bot Connector's lanes.
var Limits = map[string]pace.Method{
	laneTenant:       {Start: 50, Max: 50, Min: 1, Burst: 5},
	laneConversation: {Start: 1.8, Burst: 4, Fixed: true},
}

func connectorMethods(name string) (pace.Method, string) {
	family, _, _ := strings.Cut(name, "/")
	return Limits[family], family
}

// NewConnector returns a Connector. The app id and password are required: a
// bot without them can receive nothing (tokens name the app id as audience)
// and send nothing.
func NewConnector(cfg ConnectorConfig) (*Connector, error) {
	if strings.TrimSpace(cfg.AppID) == "" {
		return nil, errors.New("teamsbot: MICROSOFT_APP_ID is required")
	}
	if cfg.AppPassword == "" {
		return nil, errors.New("teamsbot: MICROSOFT_APP_PASSWORD is required to answer in Teams")
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = TokenURL(cfg.Tenant)
	}
	if err := checkOutgoingURL(tokenURL); err != nil {
		return nil, fmt.Errorf("teamsbot: token URL: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: callTimeout}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Connector{appID: strings.TrimSpace(cfg.AppID), client: client, now: now, pace: pace.New("teams", connectorMethods, cfg.Paces, cfg.Log)}
	c.tokens = &tokenSource{url: tokenURL, clientID: c.appID, secret: cfg.AppPassword, client: client, now: now}
	return c, nil
}

// AppID returns the bot's Microsoft app id.
func (c *Connector) AppID() string { return c.appID }

// APIError is a failed call to the Bot Connector service.
type APIError struct {
	Op         string
	Status     int    // HTTP status; 0 for a network failure
	Code       string // the service's error code, e.g. "ConversationNotFound"
	Message    string
	RetryAfter time.Duration // the Retry-After the service asked for, if any
	Err        error         // the network error, when Status is 0
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	switch {
	case e.Status == 0:
		fmt.Fprintf(&b, ": %v", e.Err)
	default:
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// Temporary reports whether the call may succeed later: throttling (429),
// the service's transient 412, gateway errors, and network failures.
func (e *APIError) Temporary() bool {
	switch e.Status {
	case 0, http.StatusTooManyRequests, http.StatusPreconditionFailed, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ChannelAccount is a user or bot on a channel.
type ChannelAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
}

// ConversationAccount names a conversation.
type ConversationAccount struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
}

// Attachment is a card attached to an activity.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     any    `json:"content"`
	// Name and ContentURL are a file's (file consent and file info cards).
	Name       string `json:"name,omitempty"`
	ContentURL string `json:"contentUrl,omitempty"`
}

// Activity is an outgoing message. schema.Activity is not used for sending:
// it serialises zero timestamps and empty accounts that the service does not
// need.
type Activity struct {
	Type         string               `json:"type"`
	Text         string               `json:"text,omitempty"`
	TextFormat   string               `json:"textFormat,omitempty"`
	Summary      string               `json:"summary,omitempty"`
	Attachments  []Attachment         `json:"attachments,omitempty"`
	From         *ChannelAccount      `json:"from,omitempty"`
	Conversation *ConversationAccount `json:"conversation,omitempty"`
	ReplyToID    string               `json:"replyToId,omitempty"`
	ChannelData  map[string]any       `json:"channelData,omitempty"`

	// retry, when set, is sent instead if the service finds this one too
	// large (the same message without its image).
	retry *Activity
}

// ConversationParameters create a conversation (a 1:1 chat with a user).
type ConversationParameters struct {
	IsGroup     bool             `json:"isGroup"`
	Bot         ChannelAccount   `json:"bot"`
	Members     []ChannelAccount `json:"members"`
	TenantID    string           `json:"tenantId,omitempty"`
	ChannelData map[string]any   `json:"channelData,omitempty"`
}

// ConversationResource is the answer to a conversation creation.
type ConversationResource struct {
	ID         string `json:"id"`
	ActivityID string `json:"activityId,omitempty"`
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// SendToConversation posts a to a conversation of tenant (a new message,
// or a new thread when the conversation is a channel) and returns its
// activity id.
func (c *Connector) SendToConversation(ctx context.Context, tenant, serviceURL, conversation string, a *Activity) (string, error) {
	path := "v3/conversations/" + url.PathEscape(conversation) + "/activities"
	return c.postActivity(ctx, "send to conversation", tenant, serviceURL, conversation, path, a)
}

// ReplyToActivity posts a as a reply to activity (in a channel, into its
// thread) and returns the new activity's id.
func (c *Connector) ReplyToActivity(ctx context.Context, tenant, serviceURL, conversation, activity string, a *Activity) (string, error) {
	path := "v3/conversations/" + url.PathEscape(conversation) + "/activities/" + url.PathEscape(activity)
	cp := *a
	cp.ReplyToID = activity
	return c.postActivity(ctx, "reply to activity", tenant, serviceURL, conversation, path, &cp)
}

func (c *Connector) postActivity(ctx context.Context, op, tenant, serviceURL, conversation, path string, a *Activity) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	// Channel conversations ("19:…;messageid=…" for a thread) share the
	// channel's pace.
	thread, _, _ := strings.Cut(conversation, ";")
	if err := c.pace.Wait(ctx, tenant, laneConversation+"/"+thread); err != nil {
		return "", err
	}
	err := c.paced(ctx, op, tenant, http.MethodPost, serviceURL, path, a, &out)
	return out.ID, err
}

// CreateConversation creates a conversation, in Teams a personal chat
// between the bot and one user of the tenant.
func (c *Connector) CreateConversation(ctx context.Context, tenant, serviceURL string, params ConversationParameters) (ConversationResource, error) {
	var out ConversationResource
	err := c.paced(ctx, "create conversation", tenant, http.MethodPost, serviceURL, "v3/conversations", params, &out)
	if err == nil && out.ID == "" {
		err = &APIError{Op: "create conversation", Status: http.StatusOK, Message: "no conversation id in the answer"}
	}
	return out, err
}

// paced makes one call at the tenant's pace, and tells the pace how it went.
func (c *Connector) paced(ctx context.Context, op, tenant, method, serviceURL, path string, in, out any) error {
	if err := c.pace.Wait(ctx, tenant, laneTenant); err != nil {
		return err
	}
	err := c.call(ctx, op, method, serviceURL, path, in, out)
	var ae *APIError
	switch {
	case err == nil:
		c.pace.OK(tenant, laneTenant)
	case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
		c.pace.Limited(tenant, laneTenant, ae.RetryAfter)
	}
	return err
}

// Blocked reports how long the tenant's calls wait for a Retry-After.
func (c *Connector) Blocked(tenant string) time.Duration { return c.pace.Blocked(tenant, laneTenant) }

// Flush saves the paces learned.
func (c *Connector) Flush(ctx context.Context) { c.pace.Flush(ctx) }

// call makes one authenticated JSON call. A 401 drops the cached token and
// tries once more with a fresh one (the secret may have been rotated).
func (c *Connector) call(ctx context.Context, op, method, serviceURL, path string, in, out any) error {
	endpoint, err := joinServiceURL(serviceURL, path)
	if err != nil {
		return &APIError{Op: op, Status: http.StatusBadRequest, Message: err.Error()}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for try := 0; ; try++ {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		err = c.do(ctx, op, method, endpoint, tok, body, out)
		var ae *APIError
		if try == 0 && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			c.tokens.invalidate(tok)
			continue
		}
		return err
	}
}

func (c *Connector) do(ctx context.Context, op, method, endpoint, token string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(body))
	if err != nil {
		return &APIError{Op: op, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return &APIError{Op: op, Err: redactURLError(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &APIError{Op: op, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Op: op, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil {
			ae.Code, ae.Message = e.Error.Code, clipString(e.Error.Message, 200)
		}
		return ae
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return &APIError{Op: op, Status: resp.StatusCode, Message: "unreadable answer: " + err.Error()}
		}
	}
	return nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, time.Hour)
		}
	}
	return 0
}

// joinServiceURL appends path to a service URL ("https://smba.trafficmanager.net/emea/").
func joinServiceURL(serviceURL, path string) (string, error) {
	if err := checkOutgoingURL(serviceURL); err != nil {
		return "", fmt.Errorf("service URL: %w", err)
	}
	return strings.TrimSuffix(serviceURL, "/") + "/" + path, nil
}

// checkOutgoingURL accepts https URLs, and http ones only on the loopback
// interface (local test servers): the bearer token must not travel in clear.
func checkOutgoingURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute URL", redactURL(s))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%q is not an https URL", redactURL(s))
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// redactURLError drops the query of the URL a *url.Error names.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
	}
	return err
}

func clipString(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// tokenError is a failure to get a token; temporary when the token endpoint
// was unreachable or answered 5xx/429, permanent when it refused the
// credentials.
type tokenError struct {
	status    int
	code      string
	err       error
	temporary bool
}

func (e *tokenError) Error() string {
	switch {
	case e.err != nil:
		return fmt.Sprintf("token endpoint: %v", e.err)
	case e.code != "":
		return fmt.Sprintf("token endpoint: HTTP %d %s", e.status, e.code)
	}
	return fmt.Sprintf("token endpoint: HTTP %d", e.status)
}

func (e *tokenError) Unwrap() error { return e.err }

// tokenSource fetches tokens with the client credentials grant and caches
// each until shortly before it expires. Concurrent callers share one fetch.
type tokenSource struct {
	url, clientID, secret string
	client                *http.Client
	now                   func() time.Time

	mu      sync.Mutex
	tok     string
	expires time.Time
}

func (t *tokenSource) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && t.now().Before(t.expires) {
		return t.tok, nil
	}
	tok, lifetime, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := min(tokenMargin, lifetime/2)
	t.tok, t.expires = tok, t.now().Add(lifetime-margin)
	return tok, nil
}

// invalidate drops tok from the cache if it is still the cached one.
func (t *tokenSource) invalidate(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == tok {
		t.tok = ""
	}
}

func (t *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {t.clientID},
		"client_secret": {t.secret},
		"scope":         {tokenScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &tokenError{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", 0, &tokenError{err: redactURLError(err), temporary: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", 0, &tokenError{err: err, temporary: true}
	}
	var body struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"` // a number, or a string on some endpoints
		Error       string          `json:"error"`
	}
	_ = json.Unmarshal(data, &body)
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		temp := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		return "", 0, &tokenError{status: resp.StatusCode, code: body.Error, temporary: temp}
	}
	secs, _ := strconv.Atoi(strings.Trim(string(body.ExpiresIn), `"`))
	if secs <= 0 {
		secs = 3600
	}
	return body.AccessToken, time.Duration(secs) * time.Second, nil
}
