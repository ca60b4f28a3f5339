package outbox

import (
	"math/rand/v2"
	"time"
)

// Policy is the one retry policy of every delivery: what happens after a
// failed attempt.
type Policy struct {
	// Base is the wait after the first failed attempt; each further one
	// doubles it, up to Max. The wait actually taken is drawn between half
	// the step and the whole step (jitter), so that many deliveries failing
	// together do not come back together, and is never shorter than what the
	// platform asked for (Retry-After).
	Base, Max time.Duration
	// MaxAttempts is how many attempts a delivery gets; after the last one
	// fails it is given up (expired).
	MaxAttempts int
	// MaxAge is how long after it was planned an entry without an
	// ExpiresAt of its own may still be sent.
	MaxAge time.Duration
	// Jitter returns a random duration in [0, d); rand.N when nil. Tests
	// make it deterministic.
	Jitter func(d time.Duration) time.Duration
}

// DefaultPolicy retries after about 2 s, 4 s, 8 s … up to 15 minutes
// between attempts, twelve attempts in all (about an hour and a half of
// trying), and gives up on entries older than a day.
var DefaultPolicy = Policy{Base: 2 * time.Second, Max: 15 * time.Minute, MaxAttempts: 12, MaxAge: 24 * time.Hour}

// Backoff returns the wait after failed attempt number attempt (1 for the
// first), at least retryAfter.
func (p Policy) Backoff(attempt int, retryAfter time.Duration) time.Duration {
	step := p.Max
	if attempt < 1 {
		attempt = 1
	}
	if attempt-1 < 40 && p.Base<<(attempt-1) > 0 && p.Base<<(attempt-1) < p.Max {
		step = p.Base << (attempt - 1)
	}
	jitter := p.Jitter
	if jitter == nil {
		jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	wait := step/2 + jitter(step/2+1)
	return max(wait, retryAfter)
}
