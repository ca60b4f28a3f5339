package teamsbot

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/okrbot/okrbot/bot/teamsbot/auth"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

func replyPath(conversation, activity string) string {
	return "/teams/v3/conversations/" + url.PathEscape(conversation) + "/activities/" + url.PathEscape(activity)
}

func TestMessageIsAnsweredAtTheServiceURL(t *testing.T) {
	h := newHarness(t)
	a := h.message("okr list")
	if got := h.post(a); got != http.StatusOK {
		t.Fatalf("POST okr list = %d; want 200", got)
	}
	calls := h.conn.calls()
	if len(calls) != 1 {
		t.Fatalf("the Bot Connector got %d calls; want 1: %+v", len(calls), calls)
	}
	c := calls[0]
	if want := replyPath("a:1personal-ada", a["id"].(string)); c.Method != http.MethodPost || c.Path != want {
		t.Errorf("reply went to %s %s; want POST %s", c.Method, c.Path, want)
	}
	if c.Auth != "Bearer "+issuedToken {
		t.Errorf("reply Authorization = %q; want the token from the token endpoint", c.Auth)
	}
	if c.Body["replyToId"] != a["id"] || c.Body["type"] != "message" {
		t.Errorf("reply body: type %v replyToId %v", c.Body["type"], c.Body["replyToId"])
	}
	if text := cardText(c); !strings.Contains(text, "Your objectives · 2026-Q4: none yet") {
		t.Errorf("reply card does not answer okr list:\n%s", text)
	}
	if n := h.conn.tokenCalls.Load(); n != 1 {
		t.Errorf("token endpoint called %d times; want 1", n)
	}

	// The personal chat was remembered for proactive sends.
	ref, err := h.store.PersonalConversationRef(ctx, "teams:"+testTenant, testUser)
	if err != nil {
		t.Fatalf("no personal conversation reference stored: %v", err)
	}
	if ref.Conversation != "a:1personal-ada" || ref.ServiceURL != h.conn.serviceURL() || ref.BotID != testBot || ref.Type != "personal" {
		t.Errorf("stored reference = %+v", ref)
	}

	// The person's name and time zone came along.
	u, err := h.store.User(ctx, "teams:"+testTenant, testUser)
	if err != nil || u.Name != "Ada Lovelace" || u.TimeZone != "Europe/London" {
		t.Errorf("stored user = %+v, %v", u, err)
	}

	// A second message reuses the cached token.
	h.post(h.message("okr help"))
	validateCalls(t, h.conn.calls())
	if n := h.conn.tokenCalls.Load(); n != 1 {
		t.Errorf("token endpoint called %d times for two replies; want 1", n)
	}
}

func TestChannelMessageWithMentions(t *testing.T) {
	h := newHarness(t)
	const channelID = "19:growth0123@thread.tacv2"
	grace := "29:1grace-HOPPER"
	a := h.activity("message", func(a map[string]any) {
		a["text"] = "<at>okrbot</at>&nbsp;okr create Grow *the* <!channel> <b>market</b>\n"
		a["conversation"] = map[string]any{"conversationType": "channel", "tenantId": testTenant, "isGroup": true,
			"id": channelID + ";messageid=1700000000111"}
		a["channelData"] = map[string]any{"tenant": map[string]any{"id": testTenant},
			"team": map[string]any{"id": "19:team@thread.tacv2"}, "channel": map[string]any{"id": channelID}}
		a["entities"] = []any{map[string]any{"type": "mention", "text": "<at>okrbot</at>", "mentioned": map[string]any{"id": testBot, "name": "okrbot"}}}
	})
	if got := h.post(a); got != http.StatusOK {
		t.Fatalf("POST = %d", got)
	}
	o, err := h.store.Objective(ctx, "teams:"+testTenant, "O-1")
	if err != nil {
		t.Fatalf("objective not created: %v", err)
	}
	if o.Title != "Grow *the* <!channel> <b>market</b>" || o.Team != channelID {
		t.Errorf("objective = %q in %q", o.Title, o.Team)
	}
	calls := h.conn.calls()
	if len(calls) != 1 {
		t.Fatalf("calls = %+v; want one reply in the thread", calls)
	}
	if want := replyPath(channelID+";messageid=1700000000111", a["id"].(string)); calls[0].Path != want {
		t.Errorf("reply path = %s; want %s", calls[0].Path, want)
	}
	if text := cardText(calls[0]); !strings.Contains(text, "Grow *the* <!channel> <b>market</b>") {
		t.Errorf("the title is not shown literally:\n%s", text)
	}
	ref, err := h.store.ConversationRef(ctx, "teams:"+testTenant, channelID)
	if err != nil || ref.Type != "channel" || ref.TeamID != "19:team@thread.tacv2" {
		t.Errorf("channel reference = %+v, %v", ref, err)
	}

	// Another person mentioned in a command is understood, and named.
	b := h.activity("message", func(b map[string]any) {
		b["text"] = "<at>okrbot</at> okr list <at>Grace Hopper</at>"
		b["conversation"] = a["conversation"]
		b["channelData"] = a["channelData"]
		b["entities"] = []any{
			map[string]any{"type": "mention", "text": "<at>okrbot</at>", "mentioned": map[string]any{"id": testBot, "name": "okrbot"}},
			map[string]any{"type": "mention", "text": "<at>Grace Hopper</at>", "mentioned": map[string]any{"id": grace, "name": "Grace Hopper"}},
		}
	})
	h.post(b)
	calls = h.conn.calls()
	if text := cardText(calls[len(calls)-1]); !strings.Contains(text, "Grace Hopper's objectives") {
		t.Errorf("okr list @Grace answered:\n%s", text)
	}
	validateCalls(t, calls)
}

func TestOtherTextGetsAHint(t *testing.T) {
	h := newHarness(t)
	h.post(h.message("hello there"))
	calls := h.conn.calls()
	if len(calls) != 1 || !strings.Contains(cardText(calls[0]), "okr help") {
		t.Fatalf("hint not sent: %+v", calls)
	}
}

// countingConversations counts every call; the handler must not run for a
// request that fails authentication.
type countingConversations struct{ calls atomic.Int64 }

func (c *countingConversations) Command(ctx context.Context, a conversations.Actor, cmd, args string) conversations.Reply {
	c.calls.Add(1)
	return conversations.Reply{Message: conversations.Lines("ok", conversations.T("ok"))}
}

func (c *countingConversations) Action(ctx context.Context, a conversations.Actor, action, value string) conversations.Reply {
	c.calls.Add(1)
	return conversations.Reply{}
}

func (c *countingConversations) Submit(ctx context.Context, a conversations.Actor, sub conversations.Submission) conversations.Reply {
	c.calls.Add(1)
	return conversations.Reply{}
}

func (c *countingConversations) CheckInForm(ctx context.Context, a conversations.Actor) (*conversations.Form, error) {
	c.calls.Add(1)
	return nil, nil
}

func (c *countingConversations) Form(ctx context.Context, a conversations.Actor, id, state string) (*conversations.Form, error) {
	c.calls.Add(1)
	return nil, nil
}

func (c *countingConversations) File(ctx context.Context, a conversations.Actor, ref string) (*conversations.File, error) {
	c.calls.Add(1)
	return nil, nil
}

// memStore is an in-memory Store that counts writes.
type memStore struct {
	mu      sync.Mutex
	refs    map[string]domain.ConversationRef // workspace + conversation
	users   map[string]domain.User
	keys    map[string]bool
	writes  int
	deleted []string
}

func newMemStore() *memStore {
	return &memStore{refs: map[string]domain.ConversationRef{}, users: map[string]domain.User{}, keys: map[string]bool{}}
}

func (m *memStore) SaveConversationRef(ctx context.Context, r domain.ConversationRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = friday
	}
	m.refs[r.WorkspaceID+"|"+r.Conversation] = r
	return nil
}

func (m *memStore) ConversationRef(ctx context.Context, ws, conv string) (domain.ConversationRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.refs[ws+"|"+conv]; ok {
		return r, nil
	}
	return domain.ConversationRef{}, domain.NotFound("no conversation %s", conv)
}

func (m *memStore) PersonalConversationRef(ctx context.Context, ws, user string) (domain.ConversationRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.refs {
		if r.WorkspaceID == ws && r.Type == "personal" && r.User == user {
			return r, nil
		}
	}
	return domain.ConversationRef{}, domain.NotFound("no chat with %s", user)
}

func (m *memStore) ConversationRefs(ctx context.Context, ws string) ([]domain.ConversationRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.ConversationRef
	for _, r := range m.refs {
		if r.WorkspaceID == ws {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) SaveUser(ctx context.Context, u domain.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	m.users[u.WorkspaceID+"|"+u.ID] = u
	return nil
}

func (m *memStore) Remember(ctx context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	if m.keys[key] {
		return false, nil
	}
	m.keys[key] = true
	return true, nil
}

func (m *memStore) Forget(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, key)
	return nil
}

func (m *memStore) DeleteConversationRef(ctx context.Context, ws, conv string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleted = append(m.deleted, ws+"|"+conv)
	delete(m.refs, ws+"|"+conv)
	return nil
}

func (m *memStore) writeCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

func TestBadTokensAreRefused(t *testing.T) {
	svc := &countingConversations{}
	st := newMemStore()
	h := newHarnessWith(t, svc, st)
	good := claims(h.conn.serviceURL())
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		edit(c)
		return c
	}
	none := func(t *testing.T) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, good)
		tok.Header["kid"] = "teams"
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hs256 := func(t *testing.T) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
		tok.Header["kid"] = "teams"
		// The classic key confusion: the public key's bytes as the HMAC secret.
		s, err := tok.SignedString(rsaKeys()[0].N.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name  string
		authz func(t *testing.T) string
	}{
		{"wrong issuer", func(t *testing.T) string {
			return "Bearer " + signed(t, "teams", 0, with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/evil/" }))
		}},
		{"wrong audience", func(t *testing.T) string {
			return "Bearer " + signed(t, "teams", 0, with(func(c jwt.MapClaims) { c["aud"] = "another-bot" }))
		}},
		{"expired", func(t *testing.T) string {
			return "Bearer " + signed(t, "teams", 0, with(func(c jwt.MapClaims) { c["exp"] = friday.Add(-time.Hour).Unix() }))
		}},
		{"alg none", func(t *testing.T) string { return "Bearer " + none(t) }},
		{"HS256", func(t *testing.T) string { return "Bearer " + hs256(t) }},
		{"unknown key id", func(t *testing.T) string { return "Bearer " + signed(t, "not-in-metadata", 0, good) }},
		{"key not endorsed for msteams", func(t *testing.T) string { return "Bearer " + signed(t, "skype-only", 1, good) }},
		{"right kid, wrong key", func(t *testing.T) string { return "Bearer " + signed(t, "teams", 1, good) }},
		{"serviceurl differs", func(t *testing.T) string {
			return "Bearer " + signed(t, "teams", 0, with(func(c jwt.MapClaims) { c["serviceurl"] = "https://smba.evil.example/teams/" }))
		}},
		{"no serviceurl", func(t *testing.T) string {
			return "Bearer " + signed(t, "teams", 0, with(func(c jwt.MapClaims) { delete(c, "serviceurl") }))
		}},
		{"no Authorization header", func(t *testing.T) string { return "" }},
		{"not a Bearer token", func(t *testing.T) string { return "Basic b2tyYm90OnNlY3JldA==" }},
		{"garbage", func(t *testing.T) string { return "Bearer not.a.jwt" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.postToken(h.message("okr create Stolen objective"), tt.authz(t)); got != http.StatusUnauthorized {
				t.Errorf("status = %d; want 401", got)
			}
			if n := svc.calls.Load(); n != 0 {
				t.Errorf("conversations called %d times; want 0", n)
			}
			if n := st.writeCount(); n != 0 {
				t.Errorf("store written %d times; want 0", n)
			}
			if calls := h.conn.calls(); len(calls) != 0 {
				t.Errorf("the Bot Connector was called: %+v", calls)
			}
		})
	}

	// The same request with a good token goes through: the refusals above
	// were about the tokens.
	if got := h.post(h.message("okr list")); got != http.StatusOK || svc.calls.Load() != 1 {
		t.Fatalf("good token: status %d, %d calls", got, svc.calls.Load())
	}
}

func TestBadRequests(t *testing.T) {
	svc := &countingConversations{}
	h := newHarnessWith(t, svc, newMemStore())
	tok := "Bearer " + signed(t, "teams", 0, claims(h.conn.serviceURL()))
	for name, body := range map[string]string{
		"not JSON":  "{",
		"too large": `{"type":"message","text":"` + strings.Repeat("x", 300<<10) + `"}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/messages", strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
	resp, err := http.Get(h.srv.URL + "/api/messages")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d", resp.StatusCode)
	}
	if svc.calls.Load() != 0 {
		t.Errorf("conversations ran for a bad request")
	}
}

func TestNewRequiresAnAppID(t *testing.T) {
	if _, err := NewConnector(ConnectorConfig{AppPassword: secret}); err == nil || !strings.Contains(err.Error(), "MICROSOFT_APP_ID") {
		t.Errorf("NewConnector without app id: %v", err)
	}
	if _, err := NewConnector(ConnectorConfig{AppID: " ", AppPassword: secret}); err == nil {
		t.Errorf("NewConnector with a blank app id succeeded")
	}
	if _, err := NewConnector(ConnectorConfig{AppID: testAppID}); err == nil {
		t.Errorf("NewConnector without a password succeeded")
	}
	if _, err := NewConnector(ConnectorConfig{AppID: testAppID, AppPassword: secret, TokenURL: "http://login.example.com/token"}); err == nil {
		t.Errorf("NewConnector accepted a plain-http token URL")
	}
	v, err := auth.NewValidator(auth.Config{AppID: testAppID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(&countingConversations{}, newMemStore(), v, nil, Options{}); err == nil {
		t.Errorf("New without a connector succeeded")
	}
	if _, err := New(&countingConversations{}, newMemStore(), nil, &Connector{appID: testAppID}, Options{}); err == nil {
		t.Errorf("New without a validator succeeded")
	}
}

func TestTokenURL(t *testing.T) {
	if got := TokenURL(""); got != "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token" {
		t.Errorf("multi-tenant token URL = %s", got)
	}
	if got := TokenURL(testTenant); got != "https://login.microsoftonline.com/"+testTenant+"/oauth2/v2.0/token" {
		t.Errorf("single-tenant token URL = %s", got)
	}
}

func TestConversationUpdates(t *testing.T) {
	st := newMemStore()
	h := newHarnessWith(t, &countingConversations{}, st)
	const general = "19:general@thread.tacv2"
	team := func(a map[string]any) {
		a["conversation"] = map[string]any{"conversationType": "channel", "tenantId": testTenant, "isGroup": true, "id": general}
		a["channelData"] = map[string]any{"tenant": map[string]any{"id": testTenant}, "team": map[string]any{"id": general}, "eventType": "teamMemberAdded"}
	}
	added := h.activity("conversationUpdate", func(a map[string]any) {
		team(a)
		a["membersAdded"] = []any{map[string]any{"id": testBot}}
	})
	if got := h.post(added); got != http.StatusOK {
		t.Fatalf("conversationUpdate = %d", got)
	}
	ref, err := st.ConversationRef(ctx, "teams:"+testTenant, general)
	if err != nil || ref.Type != "channel" || ref.TeamID != general || ref.ServiceURL != h.conn.serviceURL() {
		t.Fatalf("team reference = %+v, %v", ref, err)
	}
	calls := h.conn.calls()
	if len(calls) != 1 || calls[0].Path != "/teams/v3/conversations/"+url.PathEscape(general)+"/activities" || !strings.Contains(cardText(calls[0]), "okr help") {
		t.Errorf("welcome = %+v", calls)
	}

	install := h.activity("installationUpdate", func(a map[string]any) { a["action"] = "add" })
	h.post(install)
	if _, err := st.PersonalConversationRef(ctx, "teams:"+testTenant, testUser); err != nil {
		t.Errorf("installationUpdate add stored no personal reference: %v", err)
	}

	// Another channel of the same team, seen later.
	st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: "teams:" + testTenant, Conversation: "19:growth@thread.tacv2",
		Type: "channel", TeamID: general, ServiceURL: h.conn.serviceURL()})
	remove := h.activity("installationUpdate", func(a map[string]any) {
		team(a)
		a["action"] = "remove"
	})
	h.post(remove)
	if len(st.deleted) != 2 || st.deleted[0] != "teams:"+testTenant+"|"+general || st.deleted[1] != "teams:"+testTenant+"|19:growth@thread.tacv2" {
		t.Errorf("deleted = %v; want the team's two channels", st.deleted)
	}
	if _, err := st.PersonalConversationRef(ctx, "teams:"+testTenant, testUser); err != nil {
		t.Errorf("removing the app from a team deleted a personal chat: %v", err)
	}
	if _, err := st.ConversationRef(ctx, "teams:"+testTenant, general); err == nil {
		t.Errorf("the team's reference survived the app's removal")
	}
}

func TestCommandText(t *testing.T) {
	mention := func(text, id, name string) entity {
		e := entity{Type: "mention", Text: text}
		e.Who.ID, e.Who.Name = id, name
		return e
	}
	tests := []struct {
		text     string
		entities []entity
		want     string
		people   int
	}{
		{"okr list", nil, "okr list", 0},
		{"/okr list", nil, "/okr list", 0},
		{"<at>okrbot</at> okr list\n", []entity{mention("<at>okrbot</at>", testBot, "okrbot")}, "okr list", 0},
		{"<at>okrbot</at>&nbsp;kpi set leads 28", []entity{mention("<at>okrbot</at>", "28:"+testAppID, "okrbot")}, "kpi set leads 28", 0},
		{"<at>OKR Bot</at> okr kr add O-1 Hire a VP --owner <at>Grace Hopper</at>",
			[]entity{mention("<at>OKR Bot</at>", testBot, "OKR Bot"), mention("<at>Grace Hopper</at>", "29:1grace", "Grace Hopper")},
			"okr kr add O-1 Hire a VP --owner <@29:1grace>", 1},
		{"okr list <at>Growth</at>", []entity{mention("<at>Growth</at>", "19:growth@thread.tacv2", "Growth")}, "okr list <#19:growth@thread.tacv2>", 0},
		{"<at>someone</at> okr help", nil, "okr help", 0},
	}
	for _, tt := range tests {
		in := &incoming{entities: tt.entities}
		in.Text = tt.text
		in.Recipient.ID = testBot
		got, people := in.commandText(testAppID)
		if got != tt.want || len(people) != tt.people {
			t.Errorf("commandText(%q) = %q, %d people; want %q, %d", tt.text, got, len(people), tt.want, tt.people)
		}
	}
}
