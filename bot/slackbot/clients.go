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

// client returns the client for a workspace: the single-workspace token's,
// or the installation's. It fails when okrbot is not installed there.
func (b *Bot) client(ctx context.Context, team string) (*slack.Client, error) {
	b.mu.Lock()
	if b.single != nil && (b.team == "" && b.oauth == nil || b.team == team) {
		c := b.single
		b.mu.Unlock()
		return c, nil
	}
	if tc, ok := b.clients[team]; ok && b.now().Sub(tc.at) < clientTTL {
		b.mu.Unlock()
		return tc.c, nil
	}
	single := b.single
	b.mu.Unlock()
	if b.oauth == nil || team == "" {
		if single != nil {
			return single, nil
		}
		return nil, fmt.Errorf("slackbot: workspace %s: %w", team, errNotInstalled)
	}
	in, err := b.store.Installation(ctx, domain.WorkspaceID(domain.Slack, team))
	if err != nil {
		if single != nil && domain.ErrorCode(err) == domain.ENOTFOUND {
			return single, nil
		}
		return nil, fmt.Errorf("slackbot: workspace %s: %w", team, err)
	}
	c := b.newClient(team, in.BotToken)
	b.mu.Lock()
	b.clients[team] = teamClient{c: c, botUser: in.BotUserID, at: b.now()}
	b.mu.Unlock()
	return c, nil
}

var errNotInstalled = errors.New("okrbot is not installed in this workspace")

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

// userCache keeps users.info answers for a while, bounded in size.
type userCache struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	now func() time.Time
	m   map[string]cachedUser
}

type cachedUser struct {
	u  slackUser
	at time.Time
}

func newUserCache(ttl time.Duration, max int, now func() time.Time) *userCache {
	return &userCache{ttl: ttl, max: max, now: now, m: map[string]cachedUser{}}
}

func (c *userCache) get(key string) (slackUser, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.now().Sub(e.at) > c.ttl {
		return slackUser{}, false
	}
	return e.u, true
}

func (c *userCache) put(key string, u slackUser) {
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
	c.m[key] = cachedUser{u: u, at: c.now()}
}

// userInfo returns a person's name, time zone and admin flag, from the cache
// or users.info.
func (b *Bot) userInfo(ctx context.Context, c *slack.Client, team, user string) (slackUser, bool) {
	key := team + "/" + user
	if u, ok := b.users.get(key); ok {
		return u, true
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := c.GetUserInfoContext(ctx, user)
	if err != nil {
		b.log.Warn("slack users.info failed", "team", team, "user", user, "err", safeErr(err))
		return slackUser{}, false
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Profile.RealName
	}
	if name == "" {
		name = u.Name
	}
	su := slackUser{name: name, tz: u.TZ, admin: u.IsAdmin || u.IsOwner || u.IsPrimaryOwner}
	b.users.put(key, su)
	return su, true
}
