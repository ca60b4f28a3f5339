package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/okrbot/okrbot/internal/testclock"
)

const (
	testAppID      = "6c5f2e52-0000-4000-8000-0123456789ab"
	testServiceURL = "https://smba.trafficmanager.net/emea/"
	testChannel    = "msteams"
	kidA           = "key-a"
	kidB           = "key-b"
)

// t0 is the fake clock's starting time.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testKeys are generated once per test binary: RSA key generation is slow
// under the race detector.
var testKeys = sync.OnceValue(func() [3]*rsa.PrivateKey {
	var keys [3]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// testJWK is one entry of the key set the fake Bot Framework serves.
type testJWK struct {
	kid          string
	pub          *rsa.PublicKey
	endorsements []string
	// extra fields override the generated ones (e.g. "kty", "use", "alg").
	extra map[string]any
}

func (k testJWK) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"kty": "RSA",
		"use": "sig",
		"kid": k.kid,
		"n":   base64.RawURLEncoding.EncodeToString(k.pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.pub.E)).Bytes()),
	}
	if k.endorsements != nil {
		m["endorsements"] = k.endorsements
	}
	for name, v := range k.extra {
		m[name] = v
	}
	return json.Marshal(m)
}

// botFramework is a fake login.botframework.com: OpenID metadata at
// /metadata and the key set at /keys. It counts the requests it serves.
type botFramework struct {
	*httptest.Server
	metadataHits atomic.Int64
	keysHits     atomic.Int64

	mu      sync.Mutex
	keys    []testJWK
	status  int           // answered to /metadata when not 200
	arrived chan struct{} // when set, receives a value as a metadata request arrives
	release chan struct{} // when set, metadata requests wait until it is closed
}

func newBotFramework(t *testing.T, keys ...testJWK) *botFramework {
	t.Helper()
	bf := &botFramework{keys: keys, status: http.StatusOK}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, r *http.Request) {
		bf.metadataHits.Add(1)
		bf.mu.Lock()
		status, arrived, release := bf.status, bf.arrived, bf.release
		bf.mu.Unlock()
		if arrived != nil {
			arrived <- struct{}{}
		}
		if release != nil {
			<-release
		}
		if status != http.StatusOK {
			http.Error(w, "unavailable", status)
			return
		}
		writeJSON(w, map[string]any{
			"issuer":                                "https://api.botframework.com",
			"jwks_uri":                              bf.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		bf.keysHits.Add(1)
		bf.mu.Lock()
		keys := bf.keys
		bf.mu.Unlock()
		writeJSON(w, map[string]any{"keys": keys})
	})
	bf.Server = httptest.NewServer(mux)
	t.Cleanup(bf.Close)
	return bf
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// setKeys replaces the served key set (a key rotation).
func (bf *botFramework) setKeys(keys ...testJWK) {
	bf.mu.Lock()
	defer bf.mu.Unlock()
	bf.keys = keys
}

func (bf *botFramework) setStatus(status int) {
	bf.mu.Lock()
	defer bf.mu.Unlock()
	bf.status = status
}

// gate makes metadata requests report their arrival and wait for release.
func (bf *botFramework) gate() (arrived <-chan struct{}, release func()) {
	a, r := make(chan struct{}, 100), make(chan struct{})
	bf.mu.Lock()
	defer bf.mu.Unlock()
	bf.arrived, bf.release = a, r
	var once sync.Once
	return a, func() { once.Do(func() { close(r) }) }
}

// hits returns how many metadata and key set requests were served.
func (bf *botFramework) hits() (metadata, keys int64) {
	return bf.metadataHits.Load(), bf.keysHits.Load()
}

// keyA is the key the fake Bot Framework starts with, endorsed like Microsoft's.
func keyA() testJWK {
	return testJWK{kid: kidA, pub: &testKeys()[0].PublicKey, endorsements: []string{"msteams", "skype", "webchat"}}
}

// keyB is the key rotated in later.
func keyB() testJWK {
	return testJWK{kid: kidB, pub: &testKeys()[1].PublicKey, endorsements: []string{"msteams"}}
}

// newTestValidator returns a Validator that trusts bf and reads clock.
func newTestValidator(t *testing.T, bf *botFramework, clock *testclock.Clock) *Validator {
	t.Helper()
	v, err := NewValidator(Config{
		AppID:       testAppID,
		MetadataURL: bf.URL + "/metadata",
		HTTPClient:  bf.Client(),
		Now:         clock.Now,
	})
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

// validClaims are the claims of a good token issued at now.
func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":        "https://api.botframework.com",
		"aud":        testAppID,
		"exp":        now.Add(time.Hour).Unix(),
		"nbf":        now.Add(-time.Minute).Unix(),
		"iat":        now.Add(-time.Minute).Unix(),
		"serviceurl": testServiceURL,
	}
}

// sign returns a compact JWT; key is whatever method needs.
func sign(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// signRS256 signs claims with the private half of key index i under kid.
func signRS256(t *testing.T, i int, kid string, claims jwt.MapClaims) string {
	t.Helper()
	return sign(t, jwt.SigningMethodRS256, kid, testKeys()[i], claims)
}

func teamsActivity() schema.Activity {
	return schema.Activity{Type: schema.Message, ChannelID: testChannel, ServiceURL: testServiceURL, Text: "hi"}
}
