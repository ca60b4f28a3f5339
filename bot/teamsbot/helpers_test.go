package teamsbot

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/okrbot/okrbot/bot/teamsbot/auth"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

const (
	testAppID  = "6c5f2e52-0000-4000-8000-0123456789ab"
	testTenant = "72f988bf-0000-4000-8000-00000000cafe"
	testBot    = "28:" + testAppID
	testUser   = "29:1ada-LOVELACE_x"
	secret     = "s3cret-client-secret"
)

// friday is the tests' clock: Friday 20 November 2026, 15:00 UTC (2026-Q4).
var friday = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

func now() time.Time { return friday }

// rsaKeys are generated once: key generation is slow under the race detector.
var rsaKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

// openID is a local login.botframework.com: OpenID metadata and the key set
// with the Bot Framework's endorsements. Key "teams" is endorsed for
// msteams; key "skype-only" signs nothing Teams may accept.
type openID struct {
	*httptest.Server
}

func newOpenID(t *testing.T) *openID {
	t.Helper()
	o := &openID{}
	jwk := func(kid string, k *rsa.PrivateKey, endorsements ...string) map[string]any {
		return map[string]any{
			"kty": "RSA", "use": "sig", "kid": kid,
			"n":            base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			"endorsements": endorsements,
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": "https://api.botframework.com", "jwks_uri": o.URL + "/v1/.well-known/keys"})
	})
	mux.HandleFunc("GET /v1/.well-known/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"keys": []any{
			jwk("teams", rsaKeys()[0], "msteams", "webchat"),
			jwk("skype-only", rsaKeys()[1], "skype"),
		}})
	})
	o.Server = httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

func (o *openID) metadataURL() string { return o.URL + "/v1/.well-known/openidconfiguration" }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// claims are those of a good token for an activity from serviceURL.
func claims(serviceURL string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":        "https://api.botframework.com",
		"aud":        testAppID,
		"exp":        friday.Add(time.Hour).Unix(),
		"nbf":        friday.Add(-time.Minute).Unix(),
		"iat":        friday.Add(-time.Minute).Unix(),
		"serviceurl": serviceURL,
	}
}

// signed returns claims signed with RS256 by key i under kid.
func signed(t *testing.T, kid string, i int, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(rsaKeys()[i])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// request is one call the local Bot Connector received.
type request struct {
	Method, Path, Auth string
	Body               map[string]any
}

// connector is a local Bot Connector service and token endpoint. Answers
// can be scripted per path: each call takes the next scripted status
// (with Retry-After); when none is left it succeeds.
type connector struct {
	*httptest.Server
	tokenCalls atomic.Int64

	mu       sync.Mutex
	requests []request
	script   map[string][]scripted
	nextID   int
	posted   map[string]int // path -> activities accepted
}

type scripted struct {
	status     int
	retryAfter string
	code       string
}

// issuedToken is the access token the local token endpoint hands out.
const issuedToken = "local-bot-token-1"

func newConnector(t *testing.T) *connector {
	t.Helper()
	c := &connector{script: map[string][]scripted{}, posted: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		c.tokenCalls.Add(1)
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != testAppID ||
			r.PostForm.Get("client_secret") != secret || r.PostForm.Get("scope") != "https://api.botframework.com/.default" {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]string{"error": "invalid_client"})
			return
		}
		writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": issuedToken})
	})
	mux.HandleFunc("/teams/v3/", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		json.Unmarshal(data, &body)
		c.mu.Lock()
		c.requests = append(c.requests, request{Method: r.Method, Path: r.URL.EscapedPath(), Auth: r.Header.Get("Authorization"), Body: body})
		var s *scripted
		if q := c.script[r.URL.EscapedPath()]; len(q) > 0 {
			s, c.script[r.URL.EscapedPath()] = &q[0], q[1:]
		}
		c.nextID++
		id := c.nextID
		c.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+issuedToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if s != nil {
			if s.retryAfter != "" {
				w.Header().Set("Retry-After", s.retryAfter)
			}
			w.WriteHeader(s.status)
			writeJSON(w, map[string]any{"error": map[string]string{"code": s.code, "message": "scripted"}})
			return
		}
		if r.URL.Path == "/teams/v3/conversations" {
			w.WriteHeader(http.StatusCreated)
			writeJSON(w, map[string]any{"id": "a:1personal-chat-" + strings.TrimPrefix(members(body), "29:")})
			return
		}
		c.mu.Lock()
		c.posted[r.URL.EscapedPath()]++
		c.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, map[string]any{"id": fmt.Sprintf("sent-%d", id)})
	})
	c.Server = httptest.NewServer(mux)
	t.Cleanup(c.Close)
	return c
}

func members(body map[string]any) string {
	ms, _ := body["members"].([]any)
	if len(ms) == 0 {
		return ""
	}
	m, _ := ms[0].(map[string]any)
	id, _ := m["id"].(string)
	return id
}

func (c *connector) serviceURL() string { return c.URL + "/teams/" }

// on scripts the answers to calls of path.
func (c *connector) on(path string, answers ...scripted) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.script[path] = append(c.script[path], answers...)
}

// accepted counts the activities the connector accepted on path.
func (c *connector) accepted(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posted[path]
}

func (c *connector) calls() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]request(nil), c.requests...)
}

func newTestConnector(t *testing.T, c *connector) *Connector {
	t.Helper()
	conn, err := NewConnector(ConnectorConfig{AppID: testAppID, AppPassword: secret, TokenURL: c.URL + "/token", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// harness is a Bot over a real store and the real conversations, wired to
// a local OpenID server and a local Bot Connector.
type harness struct {
	t     *testing.T
	bot   *Bot
	store storage.Store
	svc   *conversations.Service
	oid   *openID
	conn  *connector
	srv   *httptest.Server
	n     int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := storagetest.Open(t, now)
	svc := conversations.New(st, conversations.Options{Now: now})
	return newHarnessWith(t, svc, st)
}

func newHarnessWith(t *testing.T, svc Conversations, st Store) *harness {
	t.Helper()
	h := &harness{t: t, oid: newOpenID(t), conn: newConnector(t)}
	v, err := auth.NewValidator(auth.Config{AppID: testAppID, MetadataURL: h.oid.metadataURL(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	bot, err := New(svc, st, v, newTestConnector(t, h.conn), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.bot = bot
	if s, ok := st.(storage.Store); ok {
		h.store = s
	}
	if s, ok := svc.(*conversations.Service); ok {
		h.svc = s
	}
	h.srv = httptest.NewServer(bot)
	t.Cleanup(h.srv.Close)
	return h
}

// activity is a Teams activity as the Bot Connector posts it; edit changes it.
func (h *harness) activity(typ string, edit func(a map[string]any)) map[string]any {
	h.n++
	a := map[string]any{
		"type":       typ,
		"id":         fmt.Sprintf("1700000000%03d", h.n),
		"timestamp":  "2026-11-20T15:00:00.123Z",
		"serviceUrl": h.conn.serviceURL(),
		"channelId":  "msteams",
		"from":       map[string]any{"id": testUser, "name": "Ada Lovelace", "aadObjectId": "00000000-0000-0000-0000-00000000ada0"},
		"conversation": map[string]any{
			"conversationType": "personal", "tenantId": testTenant, "id": "a:1personal-ada",
		},
		"recipient":     map[string]any{"id": testBot, "name": "okrbot"},
		"localTimezone": "Europe/London",
		"channelData":   map[string]any{"tenant": map[string]any{"id": testTenant}},
	}
	if edit != nil {
		edit(a)
	}
	return a
}

func (h *harness) message(text string) map[string]any {
	return h.activity("message", func(a map[string]any) { a["text"] = text })
}

// post sends an activity with a good token and returns the status.
func (h *harness) post(a map[string]any) int {
	h.t.Helper()
	return h.postToken(a, "Bearer "+signed(h.t, "teams", 0, claims(h.conn.serviceURL())))
}

func (h *harness) postToken(a map[string]any, authz string) int {
	h.t.Helper()
	body, _ := json.Marshal(a)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cardText is every string of the cards a request carried, for assertions.
func cardText(r request) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x + "\n")
		case map[string]any:
			for _, v := range x {
				walk(v)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(r.Body["attachments"])
	return b.String()
}

var ctx = context.Background()

func actorAda() conversations.Actor {
	return conversations.Actor{Platform: domain.Teams, Workspace: testTenant, User: testUser, Name: "Ada Lovelace"}
}
