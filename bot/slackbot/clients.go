package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/domain"
)

// clientTTL is how long a workspace's client (and its token) is reused
// before the installation is read again; a reinstall on another replica
// changes the token.
const clientTTL = 10 * time.Minute

// newClient returns a Web API client for one workspace whose every call is
// paced and counted. slack-go's own 429 retry stays off: the pacer honours
// Retry-After for every caller at once.
func (b *Bot) newClient(team, token string) *slack.Client {
	return slack.New(token,
		slack.OptionAPIURL(b.apiURL),
		slack.OptionHTTPClient(&doer{b: b, team: team}),
	)
}

// client returns the client for a workspace: the single-workspace token's
// when the workspace is the token's own, else the installation's. It never
// answers one workspace with another's token: a team that is neither is
// refused (a *wrongWorkspaceError in single-workspace mode, errNotInstalled
// with OAuth).
func (b *Bot) client(ctx context.Context, team string) (*slack.Client, error) {
	if b.single != nil {
		own, _, err := b.singleTeam(ctx)
		switch {
		case err == nil && own == team:
			return b.single, nil
		case b.oauth == nil && err != nil:
			return nil, fmt.Errorf("slackbot: workspace %s: the bot token's workspace is not known yet: %w", team, err)
		case b.oauth == nil:
			return nil, &wrongWorkspaceError{got: team, want: own}
		case err != nil:
			// With OAuth too: the team may still be the token's own, so
			// "not installed" would be a guess. Look for an installation,
			// and fail for now without one.
			c, ierr := b.installed(ctx, team)
			if ierr != nil && errors.Is(ierr, errNotInstalled) {
				return nil, fmt.Errorf("slackbot: workspace %s: the bot token's workspace is not known yet: %w", team, err)
			}
			return c, ierr
		}
	}
	if b.oauth == nil {
		return nil, fmt.Errorf("slackbot: workspace %s: %w", team, errNotInstalled)
	}
	return b.installed(ctx, team)
}

// installed returns the client of a workspace's OAuth installation.
func (b *Bot) installed(ctx context.Context, team string) (*slack.Client, error) {
	if team == "" {
		return nil, fmt.Errorf("slackbot: no workspace: %w", errNotInstalled)
	}
	b.mu.Lock()
	if tc, ok := b.clients[team]; ok && b.now().Sub(tc.at) < clientTTL {
		b.mu.Unlock()
		return tc.c, nil
	}
	b.mu.Unlock()
	in, err := b.store.Installation(ctx, domain.WorkspaceID(domain.Slack, team))
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil, fmt.Errorf("slackbot: workspace %s: %w", team, errNotInstalled)
		}
		return nil, fmt.Errorf("slackbot: workspace %s: %w", team, err)
	}
	c := b.newClient(team, in.BotToken)
	b.mu.Lock()
	b.clients[team] = teamClient{c: c, botUser: in.BotUserID, enterprise: in.EnterpriseID, at: b.now()}
	b.mu.Unlock()
	return c, nil
}

// singleTeam returns the single-workspace token's team and enterprise, from
// auth.test at Start or, when that failed, now.
func (b *Bot) singleTeam(ctx context.Context) (team, enterprise string, err error) {
	b.mu.Lock()
	team, enterprise = b.team, b.enterprise
	b.mu.Unlock()
	if team != "" {
		return team, enterprise, nil
	}
	if err := b.authTest(ctx); err != nil {
		return "", "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.team, b.enterprise, nil
}

var errNotInstalled = errors.New("okrbot is not installed in this workspace")

// wrongWorkspaceError is a request, in single-workspace mode, from a
// workspace other than the bot token's.
type wrongWorkspaceError struct{ got, want string }

func (e *wrongWorkspaceError) Error() string {
	return "slackbot: a request from workspace " + e.got + " but the bot token is for " + e.want
}

// admit checks the workspace (and Enterprise Grid organisation) a verified
// request names before anything is done for it: in single-workspace mode
// it must be the bot token's (else a *wrongWorkspaceError, answered 403);
// otherwise it must have an installation (else errNotInstalled). Other
// errors are temporary (the store, auth.test).
func (b *Bot) admit(ctx context.Context, team, enterprise string) error {
	if team == "" {
		return &wrongWorkspaceError{got: "(none)", want: "a workspace"}
	}
	if b.single != nil {
		own, ownEnt, err := b.singleTeam(ctx)
		if err == nil && own == team {
			if enterprise != "" && enterprise != ownEnt {
				return &wrongWorkspaceError{got: team + " in organisation " + enterprise, want: own + orgOf(ownEnt)}
			}
			return nil
		}
		if b.oauth == nil {
			if err != nil {
				return err
			}
			return &wrongWorkspaceError{got: team + orgOf(enterprise), want: own + orgOf(ownEnt)}
		}
	}
	if _, err := b.client(ctx, team); err != nil {
		return err
	}
	b.mu.Lock()
	tc, ok := b.clients[team]
	b.mu.Unlock()
	if ok && enterprise != "" && tc.enterprise != enterprise {
		return &wrongWorkspaceError{got: team + " in organisation " + enterprise, want: team + orgOf(tc.enterprise)}
	}
	return nil
}

// admitWait bounds the admission of a request, which may look up an
// installation or call auth.test, well within Slack's 3 s.
const admitWait = 2 * time.Second

// refusal is how a request that was not admitted is answered.
type refusal struct {
	status int
	body   []byte
}

func (no *refusal) write(w http.ResponseWriter) {
	if no.status == http.StatusOK {
		writeAck(w, no.body)
		return
	}
	http.Error(w, http.StatusText(no.status), no.status)
}

// check admits a request's workspace (admit) or says how to refuse it: 403
// for another workspace than the token's, logged with both; 200 with
// notInstalled (nil: empty) for a workspace without an installation; 503
// when okrbot cannot tell for now.
func (b *Bot) check(ctx context.Context, path, remote, team, enterprise string, notInstalled []byte) *refusal {
	actx, cancel := context.WithTimeout(ctx, admitWait)
	defer cancel()
	err := b.admit(actx, team, enterprise)
	var ww *wrongWorkspaceError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ww):
		b.refuseWorkspace(path, remote, ww)
		return &refusal{status: http.StatusForbidden}
	case errors.Is(err, errNotInstalled):
		b.rejectedAt(path, remote, reasonNotInstalled, "team", team)
		return &refusal{status: http.StatusOK, body: notInstalled}
	}
	b.log.Warn("slack request from a workspace okrbot cannot check now", "path", path, "team", team, "err", safeErr(err))
	return &refusal{status: http.StatusServiceUnavailable}
}

func orgOf(enterprise string) string {
	if enterprise == "" {
		return ""
	}
	return " in organisation " + enterprise
}

// forgetClient drops a workspace's cached client (uninstalled, token revoked
// or rejected).
func (b *Bot) forgetClient(team string) {
	b.mu.Lock()
	delete(b.clients, team)
	b.mu.Unlock()
}

// doer is the HTTP client under every slack.Client: it waits for the pacer,
// makes the call, counts it, and turns a 429 into a block of that method in
// that workspace for the Retry-After.
type doer struct {
	b    *Bot
	team string
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	method := d.b.methodOf(req)
	team := d.b.paceTeam(d.team)
	if err := d.b.pace.Wait(req.Context(), team, method); err != nil {
		return nil, err
	}
	resp, err := d.b.httpc.Do(req)
	if err != nil {
		d.b.metrics.call(method, "network_error")
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		ra := retryAfter(resp.Header)
		d.b.pace.Limited(team, method, ra)
		d.b.metrics.call(method, "rate_limited")
		d.b.metrics.limited(method)
		d.b.log.Warn("slack rate limited", "method", method, "team", d.team, "retry_after", ra.String())
		if resp.Header.Get("Retry-After") == "" {
			// slack-go only makes a RateLimitedError with the header.
			resp.Header.Set("Retry-After", strconv.Itoa(int(ra/time.Second)))
		}
	case resp.StatusCode >= 500:
		d.b.metrics.call(method, "server_error")
	case resp.StatusCode != http.StatusOK:
		d.b.metrics.call(method, "api_error")
	default:
		body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if err != nil {
			d.b.metrics.call(method, "network_error")
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var r struct {
			OK    *bool  `json:"ok"`
			Error string `json:"error"`
		}
		outcome := "ok"
		if json.Unmarshal(body, &r) == nil && r.OK != nil && !*r.OK {
			outcome = "api_error"
			if r.Error == "invalid_auth" || r.Error == "token_revoked" || r.Error == "account_inactive" {
				d.b.forgetClient(d.team)
			}
		}
		d.b.metrics.call(method, outcome)
		d.b.pace.OK(team, method)
	}
	return resp, nil
}

// paceTeam is the workspace a client's calls are paced in: its team, or
// for the single-workspace client the team auth.test named.
func (b *Bot) paceTeam(team string) string {
	if team != "" {
		return team
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.team
}

// methodOf names the Web API method of a request ("chat.postMessage"), or
// "files.upload" for the POST of a file's bytes to its upload URL.
func (b *Bot) methodOf(req *http.Request) string {
	u := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	if rest, ok := strings.CutPrefix(u, b.apiURL); ok && rest != "" && !strings.Contains(rest, "/") {
		return rest
	}
	return "files.upload"
}

// retryAfter reads a 429's Retry-After (seconds); 30 s when missing or odd.
func retryAfter(h http.Header) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || n < 0 {
		return 30 * time.Second
	}
	if n == 0 {
		n = 1
	}
	return time.Duration(n) * time.Second
}

// slackUser is what okrbot keeps of users.info.
type slackUser struct {
	name, tz string
	admin    bool
}

// cache keeps what Slack answered (users.info, channel names) for a while,
// bounded in size.
type cache[V any] struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	now func() time.Time
	m   map[string]cached[V]
}

type cached[V any] struct {
	v  V
	at time.Time
}

func newCache[V any](ttl time.Duration, max int, now func() time.Time) *cache[V] {
	return &cache[V]{ttl: ttl, max: max, now: now, m: map[string]cached[V]{}}
}

func (c *cache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.now().Sub(e.at) > c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *cache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Evict the expired, then an arbitrary tenth: cheap and bounded.
		now, n := c.now(), 0
		for k, e := range c.m {
			if now.Sub(e.at) > c.ttl || n < c.max/10 {
				delete(c.m, k)
				n++
			}
		}
	}
	c.m[key] = cached[V]{v: v, at: c.now()}
}

// userInfo returns a person's name, time zone and admin flag, from the cache
// or users.info; a failure is logged.
func (b *Bot) userInfo(ctx context.Context, c *slack.Client, team, user string) (slackUser, bool) {
	u, err := b.lookupUser(ctx, c, team, user)
	if err != nil {
		b.log.Warn("slack users.info failed", "team", team, "user", user, "err", safeErr(err))
		return slackUser{}, false
	}
	return u, true
}
