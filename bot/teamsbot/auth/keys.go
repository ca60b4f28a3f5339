package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	// keysTTL is how long a fetched key set is used before it is refreshed.
	keysTTL = 24 * time.Hour
	// refetchInterval is the least time between two fetches once a key set is
	// loaded, so tokens with made-up key ids cannot make us hammer Microsoft.
	refetchInterval = 5 * time.Minute
	// retryInterval replaces refetchInterval while no key set has ever loaded,
	// so a failed fetch at startup does not leave the bot deaf for minutes.
	retryInterval = 30 * time.Second
	// fetchTimeout bounds one fetch (metadata and key set), whatever client is used.
	fetchTimeout = 20 * time.Second
	// maxDocumentSize bounds the metadata and key set documents.
	maxDocumentSize = 1 << 20
	// minKeyBits rejects weak RSA keys; the Bot Framework uses 2048-bit keys.
	minKeyBits = 2048
)

// errUnknownKey is returned for a key id that the key set does not have.
var errUnknownKey = errors.New("signing key not found")

// ErrKeysUnavailable is wrapped by the errors of a validator that has never
// loaded the Bot Framework's signing keys: it can validate nothing, and
// Ready reports it.
var ErrKeysUnavailable = errors.New("signing keys unavailable")

// signingKey is one usable key of the Bot Framework key set.
type signingKey struct {
	pub          *rsa.PublicKey
	alg          string   // empty unless the key set names one
	endorsements []string // channel ids allowed to use the key
}

// keySource caches the keys listed by the OpenID metadata document and
// refetches them when they are older than keysTTL or a token names an unknown
// key id, at most once per refetchInterval. Concurrent callers that need a
// fetch share one.
type keySource struct {
	metadataURL string
	client      *http.Client
	now         func() time.Time
	log         *slog.Logger

	mu        sync.Mutex
	keys      map[string]signingKey
	loadedAt  time.Time     // last successful fetch; zero until then
	fetchedAt time.Time     // start of the last fetch, successful or not
	fetching  chan struct{} // non-nil while a fetch runs, closed when it ends
	fetchErr  error         // outcome of the last fetch
}

func newKeySource(metadataURL string, client *http.Client, now func() time.Time, log *slog.Logger) *keySource {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &keySource{metadataURL: metadataURL, client: client, now: now, log: log}
}

// key returns the key with id kid, fetching the key set first if it is stale
// or lacks kid and the rate limit allows a fetch.
func (s *keySource) key(ctx context.Context, kid string) (signingKey, error) {
	s.mu.Lock()
	k, ok := s.keys[kid]
	if ok && s.now().Sub(s.loadedAt) < keysTTL {
		s.mu.Unlock()
		return k, nil
	}
	if s.fetching == nil {
		if !s.mayFetch() {
			s.mu.Unlock()
			if ok {
				return k, nil // stale, but a fresher set cannot be had yet
			}
			if s.loadedAt.IsZero() && s.fetchErr != nil {
				return signingKey{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, s.fetchErr)
			}
			return signingKey{}, fmt.Errorf("%w (refetch rate-limited)", errUnknownKey)
		}
		s.startFetch()
	}
	done := s.fetching
	s.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		return signingKey{}, fmt.Errorf("waiting for signing keys: %w", ctx.Err())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	if s.fetchErr != nil {
		return signingKey{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, s.fetchErr)
	}
	return signingKey{}, errUnknownKey
}

// ready reports whether a key set has ever loaded. While none has, it starts
// a fetch when the rate limit allows and waits for it up to ctx: a
// readiness probe is what brings the keys in when no request has yet.
func (s *keySource) ready(ctx context.Context) error {
	s.mu.Lock()
	if !s.loadedAt.IsZero() {
		s.mu.Unlock()
		return nil
	}
	if s.fetching == nil && s.mayFetch() {
		s.startFetch()
	}
	done := s.fetching
	s.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("%w: still fetching", ErrKeysUnavailable)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loadedAt.IsZero() {
		return nil
	}
	if s.fetchErr != nil {
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, s.fetchErr)
	}
	return ErrKeysUnavailable
}

// mayFetch reports whether the rate limit allows a fetch now. s.mu is held.
func (s *keySource) mayFetch() bool {
	if s.fetchedAt.IsZero() {
		return true
	}
	interval := refetchInterval
	if s.loadedAt.IsZero() {
		interval = retryInterval
	}
	return s.now().Sub(s.fetchedAt) >= interval
}

// startFetch fetches the key set in the background; s.mu is held. The fetch
// does not use a caller's context: one caller giving up must not fail the
// fetch for the others waiting on it.
func (s *keySource) startFetch() {
	done := make(chan struct{})
	s.fetching = done
	s.fetchedAt = s.now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		keys, err := s.fetch(ctx)

		s.mu.Lock()
		defer s.mu.Unlock()
		failedBefore := s.fetchErr != nil
		s.fetchErr = err
		if err == nil {
			s.keys = keys
			s.loadedAt = s.now()
			if failedBefore {
				s.log.Info("teams signing keys loaded", "keys", len(keys))
			}
		} else if s.loadedAt.IsZero() {
			s.log.Warn("teams signing keys could not be loaded: every Teams request is refused and /readyz fails until they load", "err", err)
		} else {
			s.log.Warn("teams signing keys could not be refreshed; the ones loaded before are still used", "err", err)
		}
		s.fetching = nil
		close(done)
	}()
}

// fetch reads the metadata document, then the key set its jwks_uri names.
func (s *keySource) fetch(ctx context.Context) (map[string]signingKey, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, s.metadataURL, &meta); err != nil {
		return nil, fmt.Errorf("OpenID metadata: %w", err)
	}
	if err := checkFetchURL(meta.JWKSURI); err != nil {
		return nil, fmt.Errorf("OpenID metadata: jwks_uri: %w", err)
	}
	// Keys published over https must not be fetched over plain http.
	if strings.HasPrefix(s.metadataURL, "https:") && !strings.HasPrefix(meta.JWKSURI, "https:") {
		return nil, errors.New("OpenID metadata: jwks_uri is not https")
	}
	var set jwkSet
	if err := s.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	keys := set.signingKeys()
	if len(keys) == 0 {
		return nil, errors.New("key set: no usable RSA signing keys")
	}
	return keys, nil
}

func (s *keySource) getJSON(ctx context.Context, rawURL string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", redact(rawURL), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return err
	}
	if len(body) > maxDocumentSize {
		return fmt.Errorf("GET %s: document larger than %d bytes", redact(rawURL), maxDocumentSize)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", redact(rawURL), err)
	}
	return nil
}

// redact drops the query and user info of a URL before it goes into an error.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// jwkSet is a JSON Web Key Set (RFC 7517) with the Bot Framework's
// endorsements extension.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

type jwk struct {
	Kty          string   `json:"kty"`
	Use          string   `json:"use"`
	Alg          string   `json:"alg"`
	Kid          string   `json:"kid"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Endorsements []string `json:"endorsements"`
}

// signingKeys returns the usable keys by key id. Keys that are not RSA
// signing keys of at least minKeyBits, or are malformed, are skipped: one odd
// entry must not make the whole set unusable.
func (set jwkSet) signingKeys() map[string]signingKey {
	keys := make(map[string]signingKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kid == "" || k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if k.Alg != "" && !strings.HasPrefix(k.Alg, "RS") {
			continue
		}
		pub, err := rsaPublicKey(k.N, k.E)
		if err != nil {
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			continue
		}
		keys[k.Kid] = signingKey{pub: pub, alg: k.Alg, endorsements: k.Endorsements}
	}
	return keys
}

func rsaPublicKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n, "="))
	if err != nil {
		return nil, err
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e, "="))
	if err != nil {
		return nil, err
	}
	modulus := new(big.Int).SetBytes(nb)
	if modulus.BitLen() < minKeyBits {
		return nil, errors.New("RSA modulus too small")
	}
	exponent := new(big.Int).SetBytes(eb)
	if !exponent.IsInt64() || exponent.Int64() < 3 || exponent.Int64() > 1<<31-1 || exponent.Bit(0) == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	return &rsa.PublicKey{N: modulus, E: int(exponent.Int64())}, nil
}
