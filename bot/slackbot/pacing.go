package slackbot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Limit is the pace okrbot keeps for one Web API method in one workspace: a
// token bucket of Burst calls refilled at Rate calls per second.
type Limit struct {
	Rate  float64
	Burst int
}

// perChannel names the per-channel limit of chat.postMessage in a limits map.
const perChannel = "chat.postMessage/channel"

// DefaultLimits are Slack's documented tiers, per method and workspace
// (docs.slack.dev/apis/web-api/rate-limits): Tier 2 is 20+ calls a minute,
// Tier 3 50+, Tier 4 100+. chat.postMessage is special: about one message per
// second per channel, and a workspace-wide limit Slack does not publish; we
// keep to 300 a minute (5 a second) across the workspace. Methods not listed
// get Tier 2's pace.
var DefaultLimits = map[string]Limit{
	"chat.postMessage":             {Rate: 5, Burst: 10},
	perChannel:                     {Rate: 1, Burst: 1},
	"chat.postEphemeral":           {Rate: 100.0 / 60, Burst: 10},
	"conversations.open":           {Rate: 50.0 / 60, Burst: 5},
	"conversations.history":        {Rate: 50.0 / 60, Burst: 5},
	"conversations.info":           {Rate: 50.0 / 60, Burst: 10},
	"users.info":                   {Rate: 100.0 / 60, Burst: 20},
	"views.open":                   {Rate: 100.0 / 60, Burst: 20},
	"views.update":                 {Rate: 100.0 / 60, Burst: 20},
	"views.publish":                {Rate: 100.0 / 60, Burst: 20},
	"files.getUploadURLExternal":   {Rate: 20.0 / 60, Burst: 5},
	"files.completeUploadExternal": {Rate: 20.0 / 60, Burst: 5},
	"files.upload":                 {Rate: 20.0 / 60, Burst: 5}, // the POST to the upload URL
	"auth.test":                    {Rate: 100.0 / 60, Burst: 10},
	"oauth.v2.access":              {Rate: 100.0 / 60, Burst: 10},
	"apps.connections.open":        {Rate: 1.0 / 60, Burst: 2},
	"":                             {Rate: 20.0 / 60, Burst: 3}, // any other method: Tier 2
}

// pacer keeps every (workspace, method) under its Limit, and holds back every
// call of a method in a workspace while Slack's Retry-After for it runs.
type pacer struct {
	mu      sync.Mutex
	limits  map[string]Limit
	buckets map[pkey]*bucket
	blocked map[pkey]time.Time
}

type pkey struct{ team, name string }

type bucket struct {
	tokens float64
	last   time.Time
	used   time.Time
}

// waitTooLong is returned when the pace would make a call wait beyond its
// context's deadline; the caller can retry after the wait.
type waitTooLong struct{ after time.Duration }

func (e *waitTooLong) Error() string {
	return fmt.Sprintf("slack rate limit: the next call may be made in %v", e.after.Round(time.Millisecond))
}

func newPacer(_ func() time.Time, override map[string]Limit) *pacer {
	l := map[string]Limit{}
	for k, v := range DefaultLimits {
		l[k] = v
	}
	for k, v := range override {
		l[k] = v
	}
	return &pacer{limits: l, buckets: map[pkey]*bucket{}, blocked: map[pkey]time.Time{}}
}

func (p *pacer) limit(name string) Limit {
	if strings.HasPrefix(name, perChannel+"/") {
		name = perChannel
	}
	if l, ok := p.limits[name]; ok {
		return l
	}
	return p.limits[""]
}

// wait blocks until a call named name may be made in team: after any
// Retry-After block, and when the bucket has a token. The pacer uses the
// wall clock, as Slack does.
func (p *pacer) wait(ctx context.Context, team, name string) error {
	k := pkey{team, name}
	lim := p.limit(name)
	if lim.Rate <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	start := now
	if until := p.blocked[k]; until.After(start) {
		start = until
	}
	b := p.buckets[k]
	if b == nil {
		if len(p.buckets) > 20000 {
			p.sweep(now)
		}
		b = &bucket{tokens: float64(lim.Burst), last: now}
		p.buckets[k] = b
	}
	// Refill up to start, then take a token; a negative balance queues the
	// call behind the others already waiting.
	if start.After(b.last) {
		b.tokens += start.Sub(b.last).Seconds() * lim.Rate
		if b.tokens > float64(max(lim.Burst, 1)) {
			b.tokens = float64(max(lim.Burst, 1))
		}
		b.last = start
	}
	b.tokens--
	at := b.last
	if b.tokens < 0 {
		at = b.last.Add(time.Duration(-b.tokens / lim.Rate * float64(time.Second)))
	}
	b.used = now
	delay := at.Sub(now)
	if dl, ok := ctx.Deadline(); ok && delay > 0 && now.Add(delay).After(dl) {
		b.tokens++ // give the reservation back
		p.mu.Unlock()
		return &waitTooLong{after: delay}
	}
	p.mu.Unlock()
	if delay > 0 {
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
	// A 429 may have come back while this call waited: never call inside
	// its Retry-After window.
	for {
		p.mu.Lock()
		until := p.blocked[k]
		p.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) {
			return &waitTooLong{after: d}
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// block holds back calls named name in team for d (a 429's Retry-After).
// The bucket restarts empty after the window, so the queue resumes at the
// method's pace rather than all at once.
func (p *pacer) block(team, name string, d time.Duration) {
	k := pkey{team, name}
	until := time.Now().Add(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.blocked[k]) {
		p.blocked[k] = until
	}
	if b := p.buckets[k]; b != nil && b.last.Before(until) {
		if b.tokens > 0 {
			b.tokens = 0
		}
		b.last = until
	}
}

// blockedFor reports how long calls named name in team are held back.
func (p *pacer) blockedFor(team, name string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Until(p.blocked[pkey{team, name}])
}

// sweep forgets buckets idle for a minute (per-channel buckets of a large
// fan-out) and expired blocks.
func (p *pacer) sweep(now time.Time) {
	for k, b := range p.buckets {
		if now.Sub(b.used) > time.Minute && !b.last.After(now) {
			delete(p.buckets, k)
		}
	}
	for k, t := range p.blocked {
		if t.Before(now) {
			delete(p.blocked, k)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
