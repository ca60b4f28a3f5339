package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/api"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

var ctx = context.Background()

// friday is the tests' now: Friday 20 November 2026, 15:00 UTC, in 2026-Q4.
var friday = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// env is okrbot's API over the real conversations and store, with two
// workspaces, A and B, each with a KPI and an objective.
type env struct {
	t       *testing.T
	st      storage.Store
	svc     *conversations.Service
	srv     *httptest.Server
	clock   *testclock.Clock
	tokenA  string
	tokenB  string
	changed []string // KPIChanged calls: workspace/slug
	mu      sync.Mutex
}

const (
	wsA = "slack:TA"
	wsB = "slack:TB"
)

func newEnv(t *testing.T, opt api.Options) *env {
	t.Helper()
	c := testclock.New(friday)
	st := storagetest.Open(t, c.Now)
	e := &env{t: t, st: st, clock: c}
	e.svc = conversations.New(st, conversations.Options{Now: c.Now, KPIChanged: func(_ context.Context, ws, slug string) {
		e.mu.Lock()
		e.changed = append(e.changed, ws+"/"+slug)
		e.mu.Unlock()
	}})
	opt.Now = c.Now
	e.srv = httptest.NewServer(api.New(e.svc, st, opt))
	t.Cleanup(e.srv.Close)
	for _, w := range []struct{ team, user string }{{"TA", "UA"}, {"TB", "UB"}} {
		e.must(w.team, w.user,
			`/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`,
			`/okr create Grow the European market --cycle 2026-Q4`,
			`/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`,
			`/okr kr add O-1 Hire a VP of sales for Europe`,
		)
	}
	e.must("TB", "UB", `/kpi create b-only "Only in B" every week`)
	var err error
	if e.tokenA, _, err = e.svc.CreateAPIToken(ctx, wsA, "etl", "UA"); err != nil {
		t.Fatal(err)
	}
	if e.tokenB, _, err = e.svc.CreateAPIToken(ctx, wsB, "etl", "UB"); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) command(team, user, line string) conversations.Reply {
	cmd, args, _ := conversations.SplitCommand(line)
	return e.svc.Command(ctx, conversations.Actor{Platform: domain.Slack, Workspace: team, User: user, Admin: true}, cmd, args)
}

func (e *env) must(team, user string, lines ...string) {
	e.t.Helper()
	for _, l := range lines {
		if r := e.command(team, user, l); r.Failed() {
			e.t.Fatalf("%s: %s: %s", l, r.Code, conversations.PlainText(r.Message))
		}
	}
}

// response is an answer with its body read.
type response struct {
	*http.Response
	body []byte
	req  *http.Request
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: not JSON: %s", r.req.URL.Path, r.body)
	}
	return m
}

func (r response) code(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// do sends a request; body is JSON-encoded unless it is a string.
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		if s, ok := body.(string); ok {
			raw = []byte(s)
		} else {
			raw, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	// Keep the request's body readable for the OpenAPI validator.
	req.Body = io.NopCloser(bytes.NewReader(raw))
	return response{Response: resp, body: b, req: req}
}

func (e *env) kpiValues(ws, slug string) int {
	e.t.Helper()
	vals, err := e.st.KPIValues(ctx, ws, slug, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(vals)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func domainFilter() domain.CheckInFilter { return domain.CheckInFilter{} }

func domainRecord(ws, key string, at time.Time) domain.IdempotencyRecord {
	return domain.IdempotencyRecord{ID: domain.IdempotencyID(ws, key), WorkspaceID: ws, Key: key, Fingerprint: "x", CreatedAt: at}
}

func conversationsText(r conversations.Reply) string { return conversations.PlainText(r.Message) }
