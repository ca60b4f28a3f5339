package pace_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/pace"
	"github.com/okrbot/okrbot/domain"
)

var ctx = context.Background()

func methods(m map[string]pace.Method) func(string) (pace.Method, string) {
	return func(name string) (pace.Method, string) {
		if v, ok := m[name]; ok {
			return v, name
		}
		return m[""], name
	}
}

// memStore keeps learned paces in memory.
type memStore struct {
	mu sync.Mutex
	m  map[string]domain.LearnedPace
}

func (s *memStore) LoadPace(_ context.Context, key string) (domain.LearnedPace, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memStore) SavePace(_ context.Context, key string, p domain.LearnedPace) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = p
	return nil
}

func (s *memStore) get(key string) domain.LearnedPace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

// bucket is a platform's limit: a token bucket that answers 429 for a
// second once it is empty, as Slack does.
type bucket struct {
	mu           sync.Mutex
	rate, tokens float64
	burst        float64
	last, until  time.Time
	ok, limited  int
	inWindow     int
}

func newBucket(rate float64) *bucket {
	return &bucket{rate: rate, tokens: rate, burst: rate, last: time.Now()}
}

// call reports whether a call at now is accepted, else the Retry-After.
func (b *bucket) call() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if now.Before(b.until) {
		b.limited++
		b.inWindow++
		return false, b.until.Sub(now) + 5*time.Millisecond
	}
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		b.limited++
		b.until = now.Add(time.Second)
		return false, time.Second + 5*time.Millisecond // Slack rounds Retry-After up
	}
	b.tokens--
	b.ok++
	return true, 0
}

// TestAdaptsToWhatThePlatformAllows sends against a limit well above the
// documented start and one below it: the pace finds each, with few 429s
// and no call inside a Retry-After window.
func TestAdaptsToWhatThePlatformAllows(t *testing.T) {
	if testing.Short() {
		t.Skip("paces real calls for seconds")
	}
	for _, tt := range []struct {
		limit float64
		calls int
	}{{60, 200}, {3, 12}} {
		b := newBucket(tt.limit)
		p := pace.New("test", methods(map[string]pace.Method{"post": {Start: 5, Min: 1}}), nil, nil)
		start := time.Now()
		var wg sync.WaitGroup
		work := make(chan int)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					for {
						if err := p.Wait(ctx, "T1", "post"); err != nil {
							t.Error(err)
							return
						}
						ok, ra := b.call()
						if ok {
							p.OK("T1", "post")
							break
						}
						p.Limited("T1", "post", ra)
					}
				}
			}()
		}
		for i := range tt.calls {
			work <- i
		}
		close(work)
		wg.Wait()
		rate := float64(tt.calls) / time.Since(start).Seconds()
		r, _ := p.Rate("T1", "post")
		t.Logf("limit %v/s: %d calls at %.1f/s, %d answered 429, pace now %.1f/s", tt.limit, tt.calls, rate, b.limited, r)
		if b.limited > tt.calls/10+2 {
			t.Errorf("limit %v/s: %d of %d calls answered 429", tt.limit, b.limited, tt.calls)
		}
		if b.inWindow > 4 { // the calls in flight when the window opened
			t.Errorf("limit %v/s: %d calls inside a Retry-After window", tt.limit, b.inWindow)
		}
		if tt.limit > 5 && rate < 0.6*tt.limit {
			t.Errorf("limit %v/s: only %.1f/s", tt.limit, rate)
		}
	}
}

func TestLimitedHoldsThatMethodOnly(t *testing.T) {
	p := pace.New("test", methods(map[string]pace.Method{"": {Start: 50}}), nil, nil)
	p.Limited("T1", "post", 2*time.Second)
	if d := p.Blocked("T1", "post"); d < 1900*time.Millisecond {
		t.Fatalf("blocked %v", d)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var we *pace.WaitError
	if err := p.Wait(short, "T1", "post"); !errors.As(err, &we) || we.After < time.Second {
		t.Fatalf("Wait inside the window = %v", err)
	}
	// Another method, another workspace: not held.
	start := time.Now()
	if err := p.Wait(short, "T1", "history"); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(short, "T2", "post"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 40*time.Millisecond {
		t.Errorf("other lanes waited %v", time.Since(start))
	}
}

func TestCutsOncePerRefusalAndNeverBelowTheFloor(t *testing.T) {
	m := methods(map[string]pace.Method{"post": {Start: 10, Min: 2}})
	one := pace.New("test", m, nil, nil)
	one.Limited("T1", "post", time.Second)
	want, _ := one.Rate("T1", "post")
	if want >= 10 {
		t.Fatalf("a refusal did not cut: %v", want)
	}
	// Eight calls in flight all come back 429: one refusal, one cut.
	eight := pace.New("test", m, nil, nil)
	for range 8 {
		eight.Limited("T1", "post", time.Second)
	}
	if r, _ := eight.Rate("T1", "post"); r != want {
		t.Fatalf("pace after eight 429s of one refusal %v, want %v", r, want)
	}
	q := pace.New("test", m, nil, nil)
	for range 40 {
		q.Limited("T1", "post", time.Millisecond)
		time.Sleep(3 * time.Millisecond)
	}
	if r, _ := q.Rate("T1", "post"); r != 2 {
		t.Errorf("pace after many refusals %v, want the floor 2", r)
	}
}

func TestRisesWhileCallsSucceedUpToItsMax(t *testing.T) {
	p := pace.New("test", methods(map[string]pace.Method{"post": {Start: 5, Max: 20}}), nil, nil)
	for range 5 {
		p.OK("T1", "post")
	}
	if r, _ := p.Rate("T1", "post"); r != 15 {
		t.Fatalf("pace after 5 successes %v, want 15 (two a call)", r)
	}
	for range 100 {
		p.OK("T1", "post")
	}
	if r, _ := p.Rate("T1", "post"); r != 20 {
		t.Fatalf("pace %v above its max 20", r)
	}
	fixed := pace.New("test", methods(map[string]pace.Method{"ch": {Start: 1, Fixed: true}}), nil, nil)
	for range 10 {
		fixed.OK("T1", "ch")
	}
	fixed.Limited("T1", "ch", time.Millisecond)
	if r, _ := fixed.Rate("T1", "ch"); r != 1 {
		t.Errorf("a fixed lane moved to %v", r)
	}
}

func TestLearnedPaceOutlivesTheProcess(t *testing.T) {
	st := &memStore{m: map[string]domain.LearnedPace{}}
	m := methods(map[string]pace.Method{"post": {Start: 5, Min: 1}})
	p := pace.New("slack", m, st, nil)
	p.Limited("T1", "post", 300*time.Millisecond) // refused at 5
	time.Sleep(20 * time.Millisecond)
	// A process started now, before the window ends, waits it out.
	if b := pace.New("slack", m, st, nil).Blocked("T1", "post"); b < 200*time.Millisecond {
		t.Fatalf("a new process is held %v by the last one's Retry-After", b)
	}
	for range 30 {
		p.OK("T1", "post")
	}
	learned, ceil := p.Rate("T1", "post")
	p.Flush(ctx)
	if v := st.get("slack/T1/post"); v.Rate != learned || v.Ceiling != ceil || ceil == 0 {
		t.Fatalf("stored %+v, want pace %v and ceiling %v", v, learned, ceil)
	}
	// The next process starts where this one left off, without probing.
	q := pace.New("slack", m, st, nil)
	if r, c := q.Rate("T1", "post"); r != learned || c != ceil {
		t.Fatalf("a new process starts at %v/%v, want %v/%v", r, c, learned, ceil)
	}
	q.OK("T1", "post")
	if r, _ := q.Rate("T1", "post"); r > learned+0.1 {
		t.Errorf("a learned lane probed: %v", r)
	}
}

func TestWaitKeepsThePace(t *testing.T) {
	p := pace.New("test", methods(map[string]pace.Method{"post": {Start: 50, Max: 50}}), nil, nil)
	start := time.Now()
	for range 26 {
		if err := p.Wait(ctx, "T1", "post"); err != nil {
			t.Fatal(err)
		}
	}
	// 25 intervals of 20 ms.
	if d := time.Since(start); d < 480*time.Millisecond {
		t.Errorf("26 calls at 50/s took %v", d)
	}
}
