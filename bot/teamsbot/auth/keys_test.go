package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/internal/testclock"
)

// authenticate validates a token signed by testKeys()[i] under kid for a Teams activity.
func authenticate(t *testing.T, ctx context.Context, v *Validator, i int, kid string, now time.Time) error {
	t.Helper()
	header := "Bearer " + signRS256(t, i, kid, validClaims(now))
	_, err := v.AuthenticateRequest(ctx, teamsActivity(), header, nil, "")
	return err
}

// wantHits fails the test unless bf served exactly metadata and keys requests.
func wantHits(t *testing.T, bf *botFramework, metadata, keys int64) {
	t.Helper()
	if m, k := bf.hits(); m != metadata || k != keys {
		t.Fatalf("Bot Framework served %d metadata and %d key set requests; want %d and %d", m, k, metadata, keys)
	}
}

func TestKeysAreCached(t *testing.T) {
	bf := newBotFramework(t, keyA())
	clock := testclock.New(t0)
	v := newTestValidator(t, bf, clock)

	for range 5 {
		if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Hour)
	}
	wantHits(t, bf, 1, 1)

	// Past the 24 h lifetime the set is fetched again.
	clock.Add(20 * time.Hour)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantHits(t, bf, 2, 2)
}

func TestStaleKeysAreUsedWhenRefreshFails(t *testing.T) {
	bf := newBotFramework(t, keyA())
	clock := testclock.New(t0)
	v := newTestValidator(t, bf, clock)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}

	bf.setStatus(http.StatusServiceUnavailable)
	clock.Add(keysTTL + time.Minute)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatalf("with the refresh failing, a known key should still verify: %v", err)
	}
	wantHits(t, bf, 2, 1)
	// Until the next refresh is allowed, the stale keys serve without fetches.
	clock.Add(time.Minute)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatalf("stale key within the refetch interval: %v", err)
	}
	wantHits(t, bf, 2, 1)
}

func TestUnknownKidRefetchIsRateLimited(t *testing.T) {
	bf := newBotFramework(t, keyA())
	clock := testclock.New(t0)
	v := newTestValidator(t, bf, clock)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantHits(t, bf, 1, 1)

	steps := []struct {
		advance      time.Duration
		wantMetadata int64 // total metadata requests after the step
	}{
		{0, 1},                             // just fetched: no refetch
		{refetchInterval - time.Second, 1}, // still inside the interval
		{time.Second, 2},                   // interval over: one refetch
		{0, 2},                             // and not another
		{time.Minute, 2},
		{refetchInterval, 3},
	}
	for i, step := range steps {
		clock.Add(step.advance)
		for range 10 {
			err := authenticate(t, context.Background(), v, 0, "bogus-kid", clock.Now())
			if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "signing key not found") {
				t.Fatalf("step %d: error = %v; want an unknown key rejection", i, err)
			}
		}
		wantHits(t, bf, step.wantMetadata, step.wantMetadata)
	}
	// The known key keeps working throughout.
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestRotatedKeyIsPickedUp(t *testing.T) {
	bf := newBotFramework(t, keyA())
	clock := testclock.New(t0)
	v := newTestValidator(t, bf, clock)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}

	bf.setKeys(keyA(), keyB())
	clock.Add(refetchInterval)
	if err := authenticate(t, context.Background(), v, 1, kidB, clock.Now()); err != nil {
		t.Fatalf("token signed by the rotated-in key: %v", err)
	}
	wantHits(t, bf, 2, 2)
	// Both keys now verify without further fetches.
	for _, k := range []struct {
		i   int
		kid string
	}{{0, kidA}, {1, kidB}} {
		if err := authenticate(t, context.Background(), v, k.i, k.kid, clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	wantHits(t, bf, 2, 2)

	// A key rotated out is refused once the set is refetched.
	bf.setKeys(keyB())
	clock.Add(keysTTL)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err == nil {
		t.Fatal("token signed by a key rotated out was accepted")
	}
}

func TestConcurrentUnknownKidsShareOneFetch(t *testing.T) {
	tests := []struct {
		name    string
		kid     string
		key     int
		wantErr bool
	}{
		{"key rotated in", kidB, 1, false},
		{"key nobody has", "bogus-kid", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := newBotFramework(t, keyA())
			clock := testclock.New(t0)
			v := newTestValidator(t, bf, clock)
			if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
				t.Fatal(err)
			}
			bf.setKeys(keyA(), keyB())
			clock.Add(refetchInterval)
			arrived, release := bf.gate()
			t.Cleanup(release)

			const callers = 50
			header := "Bearer " + signRS256(t, tt.key, tt.kid, validClaims(clock.Now()))
			errs := make(chan error, callers)
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					_, err := v.AuthenticateRequest(context.Background(), teamsActivity(), header, nil, "")
					errs <- err
				})
			}
			<-arrived // one fetch is in flight; the other callers wait on it or find it rate-limited
			release()
			wg.Wait()
			close(errs)

			for err := range errs {
				if gotErr := err != nil; gotErr != tt.wantErr {
					t.Fatalf("AuthenticateRequest() error = %v; want error: %v", err, tt.wantErr)
				}
			}
			wantHits(t, bf, 2, 2)
		})
	}
}

func TestCallerGivingUpDoesNotCancelSharedFetch(t *testing.T) {
	bf := newBotFramework(t, keyA())
	clock := testclock.New(t0)
	v := newTestValidator(t, bf, clock)
	arrived, release := bf.gate()
	t.Cleanup(release)

	ctx, cancel := context.WithCancel(context.Background())
	header := "Bearer " + signRS256(t, 0, kidA, validClaims(clock.Now()))
	errc := make(chan error, 1)
	go func() {
		_, err := v.AuthenticateRequest(ctx, teamsActivity(), header, nil, "")
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, ErrUnauthorized) || !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: error = %v; want ErrUnauthorized wrapping context.Canceled", err)
	}

	release()
	// The fetch carries on for everyone else; rate limiting forbids a second one,
	// so this succeeds only with the keys the first fetch brought.
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantHits(t, bf, 1, 1)
}

func TestFailedFirstFetchIsRetriedSoon(t *testing.T) {
	bf := newBotFramework(t, keyA())
	bf.setStatus(http.StatusInternalServerError)
	clock := testclock.New(t0)
	v := newTestValidator(t, bf, clock)

	err := authenticate(t, context.Background(), v, 0, kidA, clock.Now())
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "signing keys unavailable") {
		t.Fatalf("error = %v; want signing keys unavailable", err)
	}
	// Within the retry interval, requests fail fast without a fetch.
	bf.setStatus(http.StatusOK)
	clock.Add(retryInterval - time.Second)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err == nil || !strings.Contains(err.Error(), "signing keys unavailable") {
		t.Fatalf("error = %v; want signing keys unavailable", err)
	}
	wantHits(t, bf, 1, 0)

	clock.Add(time.Second)
	if err := authenticate(t, context.Background(), v, 0, kidA, clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantHits(t, bf, 2, 1)
}

func TestFetchRejectsBadDocuments(t *testing.T) {
	tests := []struct {
		name     string
		metadata string // %s is replaced by the server's URL
		keys     string
		wantErr  string
	}{
		{"metadata not JSON", `<html>`, ``, "OpenID metadata"},
		{"no jwks_uri", `{"issuer":"https://api.botframework.com"}`, ``, "jwks_uri"},
		{"relative jwks_uri", `{"jwks_uri":"/keys"}`, ``, "jwks_uri"},
		{"key set not JSON", `{"jwks_uri":"%s/keys"}`, `[`, "key set"},
		{"empty key set", `{"jwks_uri":"%s/keys"}`, `{"keys":[]}`, "no usable RSA signing keys"},
		{"only unusable keys", `{"jwks_uri":"%s/keys"}`, `{"keys":[{"kty":"EC","kid":"k","crv":"P-256"}]}`, "no usable RSA signing keys"},
		{"oversized key set", `{"jwks_uri":"%s/keys"}`, `{"keys":[],"pad":"` + strings.Repeat("x", maxDocumentSize) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/metadata":
					w.Write([]byte(strings.ReplaceAll(tt.metadata, "%s", srv.URL)))
				case "/keys":
					w.Write([]byte(tt.keys))
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			ks := newKeySource(srv.URL+"/metadata", srv.Client(), testclock.New(t0).Now, nil)

			_, err := ks.fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("fetch() error = %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFetchRefusesHTTPKeysForHTTPSMetadata(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"jwks_uri": "http://login.botframework.example/keys"})
	}))
	t.Cleanup(srv.Close)
	ks := newKeySource(srv.URL+"/metadata", srv.Client(), time.Now, nil)

	if _, err := ks.fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "jwks_uri is not https") {
		t.Fatalf("fetch() error = %v; want jwks_uri is not https", err)
	}
}

func TestSigningKeys(t *testing.T) {
	good := keyA()
	goodJSON := func(edit func(m map[string]any)) map[string]any {
		var m map[string]any
		b, _ := json.Marshal(good)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(m)
		}
		return m
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	small := new(big.Int).Lsh(big.NewInt(1), 1023) // a 1024-bit modulus

	tests := []struct {
		name string
		edit func(m map[string]any)
		want bool
	}{
		{"good", nil, true},
		{"padded base64", func(m map[string]any) { m["n"] = m["n"].(string) + "=" }, true},
		{"alg RS256", func(m map[string]any) { m["alg"] = "RS256" }, true},
		{"no use", func(m map[string]any) { delete(m, "use") }, true},
		{"no kid", func(m map[string]any) { delete(m, "kid") }, false},
		{"EC key", func(m map[string]any) { m["kty"] = "EC" }, false},
		{"encryption key", func(m map[string]any) { m["use"] = "enc" }, false},
		{"HMAC alg", func(m map[string]any) { m["alg"] = "HS256" }, false},
		{"1024-bit modulus", func(m map[string]any) { m["n"] = b64(small.Bytes()) }, false},
		{"even exponent", func(m map[string]any) { m["e"] = b64([]byte{2}) }, false},
		{"exponent 1", func(m map[string]any) { m["e"] = b64([]byte{1}) }, false},
		{"huge exponent", func(m map[string]any) { m["e"] = b64([]byte{1, 0, 0, 0, 1}) }, false},
		{"bad base64", func(m map[string]any) { m["n"] = "***" }, false},
		{"x5c only", func(m map[string]any) { delete(m, "n"); delete(m, "e") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := json.Marshal(map[string]any{"keys": []any{goodJSON(tt.edit)}})
			var set jwkSet
			if err := json.Unmarshal(doc, &set); err != nil {
				t.Fatal(err)
			}
			keys := set.signingKeys()
			k, got := keys[kidA]
			if got != tt.want {
				t.Fatalf("key usable = %v; want %v", got, tt.want)
			}
			if got && (k.pub.N.Cmp(good.pub.N) != 0 || k.pub.E != good.pub.E || len(k.endorsements) != 3) {
				t.Errorf("key = %+v; want keyA with its endorsements", k)
			}
		})
	}
}

// syncLog is a log buffer safe for the fetch goroutine.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReadyUntilKeysLoad: while the signing keys cannot be fetched the
// validator is not ready (ErrKeysUnavailable) and says so as a warning;
// once they load it is, and stays so when a later refresh fails.
func TestReadyUntilKeysLoad(t *testing.T) {
	bf := newBotFramework(t, keyA())
	bf.setStatus(http.StatusServiceUnavailable)
	clock := testclock.New(t0)
	logs := &syncLog{}
	v, err := NewValidator(Config{AppID: testAppID, MetadataURL: bf.URL + "/metadata",
		HTTPClient: bf.Client(), Now: clock.Now, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := v.Ready(ctx); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("Ready with the keys unreachable = %v", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "signing keys could not be loaded") {
		t.Errorf("no warning:\n%s", logs)
	}
	// Probes within the retry interval do not hammer Microsoft.
	for range 5 {
		if err := v.Ready(ctx); !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("Ready = %v", err)
		}
	}
	wantHits(t, bf, 1, 0)
	bf.setStatus(http.StatusOK)
	clock.Add(retryInterval)
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready once the keys are reachable = %v", err)
	}
	bf.setStatus(http.StatusServiceUnavailable)
	clock.Add(keysTTL + time.Minute)
	authenticate(t, ctx, v, 0, kidA, clock.Now()) // a refresh that fails
	if err := v.Ready(ctx); err != nil {
		t.Errorf("Ready with stale keys = %v", err)
	}
}
