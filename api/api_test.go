package api_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vErrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/okrbot/okrbot/api"
	"github.com/okrbot/okrbot/conversations"
)

func openAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return v
}

// check validates a request and its answer against the OpenAPI document.
func check(t *testing.T, v validator.Validator, r response) {
	t.Helper()
	ok, errs := v.ValidateHttpRequestResponse(r.req, r.Response)
	report(t, r, ok, errs)
}

// checkResponse validates only the answer, for a request that is wrong on
// purpose.
func checkResponse(t *testing.T, v validator.Validator, r response) {
	t.Helper()
	ok, errs := v.ValidateHttpResponse(r.req, r.Response)
	report(t, r, ok, errs)
}

func report(t *testing.T, r response, ok bool, errs []*vErrors.ValidationError) {
	t.Helper()
	if ok {
		return
	}
	for _, e := range errs {
		t.Errorf("%s %s → %d: %s: %s", r.req.Method, r.req.URL.Path, r.StatusCode, e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			t.Errorf("    %s at %s (%s)", s.Reason, s.FieldPath, s.KeywordLocation)
		}
	}
	t.Logf("body: %s", r.body)
}

// TestOpenAPIDocument: the document is valid OpenAPI 3.1 by the
// specification's own schema, and names exactly the routes the API serves.
func TestOpenAPIDocument(t *testing.T) {
	v := openAPIValidator(t)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s (line %d)", e.Message, e.Reason, e.SpecLine)
		}
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var inDoc, served []string
	for p, ops := range doc.Paths {
		for m := range ops {
			inDoc = append(inDoc, strings.ToUpper(m)+" "+p)
		}
	}
	for _, r := range api.Routes {
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(inDoc)
	sort.Strings(served)
	if strings.Join(inDoc, "\n") != strings.Join(served, "\n") {
		t.Errorf("the document names\n%s\nthe API serves\n%s", strings.Join(inDoc, "\n"), strings.Join(served, "\n"))
	}
}

// TestEveryRouteAnswers: each route of the document answers a valid
// request with success, and request and answer match the document.
func TestEveryRouteAnswers(t *testing.T) {
	e := newEnv(t, api.Options{})
	v := openAPIValidator(t)
	requests := map[string]func() response{
		"getOpenAPI": func() response { return e.do("GET", "/api/v1/openapi.json", "", nil) },
		"listKPIs":   func() response { return e.do("GET", "/api/v1/kpis", e.tokenA, nil) },
		"getKPI":     func() response { return e.do("GET", "/api/v1/kpis/web-leads?limit=5", e.tokenA, nil) },
		"recordKPIValues": func() response {
			return e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, map[string]any{"value": 28})
		},
		"listObjectives": func() response { return e.do("GET", "/api/v1/objectives?cycle=2026-Q4&owner=UA", e.tokenA, nil) },
		"recordCheckIn": func() response {
			return e.do("POST", "/api/v1/checkins", e.tokenA, map[string]any{"key_result": "KR-2", "user": "UA", "done": false, "confidence": 6, "note": "interviews"})
		},
	}
	for _, rt := range api.Routes {
		req, ok := requests[rt.Operation]
		if !ok {
			t.Errorf("no request for %s %s", rt.Method, rt.Path)
			continue
		}
		r := req()
		if r.StatusCode < 200 || r.StatusCode > 299 {
			t.Errorf("%s: %d %s", rt.Operation, r.StatusCode, r.body)
		}
		check(t, v, r)
	}
	// After a value and a check-in, the answers have more in them: check again.
	for _, op := range []string{"getKPI", "listKPIs", "listObjectives"} {
		check(t, v, requests[op]())
	}
}

// TestErrorsMatchDocument: refusals are JSON errors with a code, a
// message, and the status and headers the document gives.
func TestErrorsMatchDocument(t *testing.T) {
	e := newEnv(t, api.Options{MaxBody: 2048})
	v := openAPIValidator(t)
	big := `{"values":[` + strings.Repeat(`{"value":1},`, 300) + `{"value":1}]}`
	tests := []struct {
		name   string
		r      response
		status int
		code   string
	}{
		{"no token", e.do("GET", "/api/v1/kpis", "", nil), 401, "unauthorized"},
		{"wrong scheme", e.do("GET", "/api/v1/kpis", "", nil, "Authorization", "Basic dXNlcjpwdw=="), 401, "unauthorized"},
		{"unknown token", e.do("GET", "/api/v1/kpis", "okrbot_nottherightone", nil), 401, "unauthorized"},
		{"unknown KPI", e.do("GET", "/api/v1/kpis/nope", e.tokenA, nil), 404, "not_found"},
		{"bad limit", e.do("GET", "/api/v1/kpis/web-leads?limit=0", e.tokenA, nil), 400, "invalid"},
		{"bad cycle", e.do("GET", "/api/v1/objectives?cycle=2026-Q5", e.tokenA, nil), 400, "invalid"},
		{"unknown parameter", e.do("GET", "/api/v1/objectives?quarter=Q4", e.tokenA, nil), 400, "invalid"},
		{"not JSON", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"value": 28`), 400, "invalid"},
		{"text value", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"value": "28"}`), 400, "invalid"},
		{"no value", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"note": "x"}`), 400, "invalid"},
		{"unknown field", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"value": 28, "when": "now"}`), 400, "invalid"},
		{"future", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"value": 28, "at": "2026-12-24"}`), 400, "invalid"},
		{"bad date", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"value": 28, "at": "20/11/2026"}`), 400, "invalid"},
		{"both", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"value": 28, "values": [{"value": 1}]}`), 400, "invalid"},
		{"empty batch", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, `{"values": []}`), 400, "invalid"},
		{"too large", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, big), 413, "too_large"},
		{"not json type", e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, "value=28", "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"},
		{"check-in for someone else", e.do("POST", "/api/v1/checkins", e.tokenA, `{"key_result": "KR-2", "user": "UX", "done": true, "confidence": 7}`), 400, "invalid"},
		{"check-in on a KPI's key result", e.do("POST", "/api/v1/checkins", e.tokenA, `{"key_result": "KR-1", "user": "UA", "value": 30, "confidence": 7}`), 400, "invalid"},
		{"check-in without confidence", e.do("POST", "/api/v1/checkins", e.tokenA, `{"key_result": "KR-2", "user": "UA", "done": true}`), 400, "invalid"},
		{"confidence 11", e.do("POST", "/api/v1/checkins", e.tokenA, `{"key_result": "KR-2", "user": "UA", "done": true, "confidence": 11}`), 400, "invalid"},
		{"no such key result", e.do("POST", "/api/v1/checkins", e.tokenA, `{"key_result": "KR-99", "user": "UA", "done": true, "confidence": 7}`), 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.r.StatusCode != tt.status || tt.r.code(t) != tt.code {
				t.Fatalf("got %d %s", tt.r.StatusCode, tt.r.body)
			}
			msg, _ := tt.r.json(t)["error"].(map[string]any)["message"].(string)
			if msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("message %q", msg)
			}
			checkResponse(t, v, tt.r)
		})
	}
	if n := e.kpiValues(wsA, "web-leads"); n != 0 {
		t.Errorf("refused requests recorded %d values", n)
	}
	// Outside the document: JSON all the same.
	for _, r := range []response{
		e.do("DELETE", "/api/v1/kpis/web-leads", e.tokenA, nil),
		e.do("GET", "/api/v1/nothing", e.tokenA, nil),
	} {
		if r.Header.Get("Content-Type") != "application/json" || r.code(t) == "" {
			t.Errorf("%s %s: %d %s", r.req.Method, r.req.URL.Path, r.StatusCode, r.body)
		}
	}
	if r := e.do("DELETE", "/api/v1/kpis/web-leads", e.tokenA, nil); r.StatusCode != 405 || r.Header.Get("Allow") != "GET" {
		t.Errorf("DELETE: %d allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
}

// TestWorkspaceIsolation: a token of workspace A reads and writes nothing
// of workspace B, even where both have a KPI of the same name.
func TestWorkspaceIsolation(t *testing.T) {
	e := newEnv(t, api.Options{})
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenB, map[string]any{"value": 30}); r.StatusCode != 201 {
		t.Fatalf("B records: %d %s", r.StatusCode, r.body)
	}
	// A reads its own: no value, and no sign of B's KPIs.
	r := e.do("GET", "/api/v1/kpis", e.tokenA, nil)
	if contains(string(r.body), "b-only") || contains(string(r.body), `"value":30`) || !contains(string(r.body), `"latest":null`) {
		t.Errorf("A lists %s", r.body)
	}
	if r := e.do("GET", "/api/v1/kpis/b-only", e.tokenA, nil); r.StatusCode != 404 {
		t.Errorf("A reads B's KPI: %d %s", r.StatusCode, r.body)
	}
	if r := e.do("POST", "/api/v1/kpis/b-only/values", e.tokenA, map[string]any{"value": 1}); r.StatusCode != 404 {
		t.Errorf("A writes B's KPI: %d %s", r.StatusCode, r.body)
	}
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, map[string]any{"value": 12}); r.StatusCode != 201 {
		t.Fatalf("A records: %d %s", r.StatusCode, r.body)
	}
	if a, b := e.kpiValues(wsA, "web-leads"), e.kpiValues(wsB, "web-leads"); a != 1 || b != 1 {
		t.Errorf("values: A %d, B %d", a, b)
	}
	if n := e.kpiValues(wsB, "b-only"); n != 0 {
		t.Errorf("B's own KPI has %d values", n)
	}
	// Objectives: A sees its own O-1 only, owned by UA; B's person is not there.
	r = e.do("GET", "/api/v1/objectives?owner=UB", e.tokenA, nil)
	if contains(string(r.body), `"ref"`) {
		t.Errorf("A sees B's objectives: %s", r.body)
	}
	// A check-in on B's key result, for B's person, with A's token.
	if r := e.do("POST", "/api/v1/checkins", e.tokenA, map[string]any{"key_result": "KR-2", "user": "UB", "done": true, "confidence": 9}); r.StatusCode == 200 {
		t.Errorf("A checked in for B: %s", r.body)
	}
	cs, err := e.st.CheckIns(ctx, wsB, domainFilter())
	if err != nil || len(cs) != 0 {
		t.Errorf("B's check-ins: %v %v", cs, err)
	}
	// B's token sees B's KPIs with its value.
	r = e.do("GET", "/api/v1/kpis/web-leads", e.tokenB, nil)
	if !contains(string(r.body), `"value":30`) || contains(string(r.body), `"value":12`) {
		t.Errorf("B reads %s", r.body)
	}
}

// TestRevokedToken: a token works until it is revoked in chat, then gets
// 401; revoking one workspace's token leaves the other's alone.
func TestRevokedToken(t *testing.T) {
	e := newEnv(t, api.Options{})
	if r := e.do("GET", "/api/v1/kpis", e.tokenA, nil); r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	e.must("TA", "UA", "/okr settings api-token revoke etl")
	r := e.do("GET", "/api/v1/kpis", e.tokenA, nil)
	if r.StatusCode != 401 || r.code(t) != "unauthorized" || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("revoked: %d %s", r.StatusCode, r.body)
	}
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, map[string]any{"value": 1}); r.StatusCode != 401 {
		t.Errorf("revoked write: %d", r.StatusCode)
	}
	if r := e.do("GET", "/api/v1/kpis", e.tokenB, nil); r.StatusCode != 200 {
		t.Errorf("B's token: %d", r.StatusCode)
	}
	if n := e.kpiValues(wsA, "web-leads"); n != 0 {
		t.Errorf("%d values", n)
	}
}

// TestIdempotentBatch: a batch sent twice with one Idempotency-Key lands
// once, and the second answer is the first one again; the key with another
// body is refused; without a key a batch lands each time.
func TestIdempotentBatch(t *testing.T) {
	e := newEnv(t, api.Options{})
	v := openAPIValidator(t)
	batch := map[string]any{"values": []map[string]any{{"value": 20, "at": "2026-11-18"}, {"value": 22, "at": "2026-11-19"}, {"value": 27}}}
	first := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch, "Idempotency-Key", "batch-2026-11-20")
	if first.StatusCode != 201 {
		t.Fatalf("%d %s", first.StatusCode, first.body)
	}
	e.clock.Add(time.Minute)
	again := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch, "Idempotency-Key", "batch-2026-11-20")
	if again.StatusCode != 201 || string(again.body) != string(first.body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %q %s", again.StatusCode, again.Header.Get("Idempotent-Replayed"), again.body)
	}
	check(t, v, again)
	if n := e.kpiValues(wsA, "web-leads"); n != 3 {
		t.Errorf("%d values after a retried batch of 3", n)
	}
	other := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, map[string]any{"value": 1}, "Idempotency-Key", "batch-2026-11-20")
	if other.StatusCode != 422 || other.code(t) != "idempotency_key_reused" {
		t.Errorf("reused key: %d %s", other.StatusCode, other.body)
	}
	check(t, v, other)
	// Keys are per workspace: B may use the same one.
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenB, batch, "Idempotency-Key", "batch-2026-11-20"); r.StatusCode != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("B with the same key: %d %s", r.StatusCode, r.body)
	}
	// A refused request is answered the same way again, and records nothing.
	bad := map[string]any{"values": []map[string]any{{"value": 1}, {"value": 2, "at": "2027-01-01"}}}
	b1 := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, bad, "Idempotency-Key", "k2")
	b2 := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, bad, "Idempotency-Key", "k2")
	if b1.StatusCode != 400 || !contains(string(b1.body), "values[1]: 2027-01-01 is in the future") || string(b2.body) != string(b1.body) {
		t.Errorf("refused batch: %d %s / %s", b1.StatusCode, b1.body, b2.body)
	}
	e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch)
	e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch)
	if n := e.kpiValues(wsA, "web-leads"); n != 9 {
		t.Errorf("%d values, want 3 + 2×3", n)
	}
	if r := e.do("POST", "/api/v1/checkins", e.tokenA, map[string]any{"key_result": "KR-2", "user": "UA", "done": true, "confidence": 8}, "Idempotency-Key", "two words"); r.StatusCode != 400 {
		t.Errorf("blank key: %d %s", r.StatusCode, r.body)
	}
	// A key still being worked on (its request began and has not ended) is a conflict.
	e.st.BeginIdempotent(ctx, domainRecord(wsA, "busy", e.clock.Now()), e.clock.Now().Add(-time.Hour))
	r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch, "Idempotency-Key", "busy")
	if r.StatusCode != 409 || r.code(t) != "in_progress" || r.Header.Get("Retry-After") == "" {
		t.Errorf("in progress: %d %s", r.StatusCode, r.body)
	}
	// One that began long ago belongs to a request that died: it is taken over.
	e.clock.Add(3 * time.Minute)
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch, "Idempotency-Key", "busy"); r.StatusCode != 201 {
		t.Errorf("taken over: %d %s", r.StatusCode, r.body)
	}
}

// TestBatchRetriedAfterACrashLandsOnce: a batch whose first run recorded
// its values and died before its answer was stored is taken over by its
// retry, which records none of them a second time.
func TestBatchRetriedAfterACrashLandsOnce(t *testing.T) {
	e := newEnv(t, api.Options{})
	batch := map[string]any{"values": []map[string]any{{"value": 20, "at": "2026-11-18"}, {"value": 22, "at": "2026-11-19"}, {"value": 27}}}
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch, "Idempotency-Key", "etl-run-1"); r.StatusCode != 201 {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	// The first run's answer is lost: what remains is its record, begun
	// and never finished, as a process killed after the writes leaves it.
	if _, err := e.st.CleanupIdempotent(ctx, e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, fresh, err := e.st.BeginIdempotent(ctx, domainRecord(wsA, "etl-run-1", e.clock.Now()), e.clock.Now().Add(-time.Hour)); err != nil || !fresh {
		t.Fatal(fresh, err)
	}
	e.clock.Add(3 * time.Minute) // stale: its process is gone
	r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, batch, "Idempotency-Key", "etl-run-1")
	if r.StatusCode != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the retry was not run: %d %s", r.StatusCode, r.body)
	}
	if n := e.kpiValues(wsA, "web-leads"); n != 3 {
		t.Errorf("%d values after a batch of 3 ran twice, want 3", n)
	}
	// Once its record is cleaned up, the key with another body is another batch.
	e.st.CleanupIdempotent(ctx, e.clock.Now().Add(time.Hour))
	other := map[string]any{"values": []map[string]any{{"value": 30}, {"value": 31, "at": "2026-11-17"}}}
	if r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, other, "Idempotency-Key", "etl-run-1"); r.StatusCode != 201 {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	if n := e.kpiValues(wsA, "web-leads"); n != 5 {
		t.Errorf("%d values, want 3 + 2", n)
	}
}

// TestRateLimit: each token has its own allowance; past it, 429 with a
// Retry-After that is enough.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, api.Options{Rate: 1, Burst: 3})
	v := openAPIValidator(t)
	for i := 0; i < 3; i++ {
		if r := e.do("GET", "/api/v1/kpis", e.tokenA, nil); r.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, r.StatusCode)
		}
	}
	r := e.do("GET", "/api/v1/kpis", e.tokenA, nil)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" || r.code(t) != "rate_limited" {
		t.Fatalf("%d %q %s", r.StatusCode, r.Header.Get("Retry-After"), r.body)
	}
	check(t, v, r)
	if r := e.do("GET", "/api/v1/kpis", e.tokenB, nil); r.StatusCode != 200 {
		t.Errorf("B limited by A's requests: %d", r.StatusCode)
	}
	e.clock.Add(time.Second)
	if r := e.do("GET", "/api/v1/kpis", e.tokenA, nil); r.StatusCode != 200 {
		t.Errorf("after Retry-After: %d", r.StatusCode)
	}
	if r := e.do("GET", "/api/v1/kpis", e.tokenA, nil); r.StatusCode != 429 {
		t.Errorf("allowance refilled too fast: %d", r.StatusCode)
	}
}

// TestSameCodeAsKPISet: a value recorded through the API raises the same
// alert check and moves the same key result as /kpi set.
func TestSameCodeAsKPISet(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, map[string]any{"value": 12, "note": "outage"})
	var got struct {
		KPI struct {
			Health string `json:"health"`
			Latest struct {
				By string `json:"by"`
			} `json:"latest"`
		} `json:"kpi"`
		Previous string `json:"previous_health"`
		Moved    int    `json:"key_results_moved"`
	}
	json.Unmarshal(r.body, &got)
	if r.StatusCode != 201 || got.KPI.Health != "red" || got.Previous != "unknown" || got.Moved != 1 || got.KPI.Latest.By != "api:etl" {
		t.Fatalf("%d %+v %s", r.StatusCode, got, r.body)
	}
	if fmt.Sprint(e.changed) != "[slack:TA/web-leads]" {
		t.Errorf("alert check asked for %v", e.changed)
	}
	o, err := e.st.ObjectiveOfKR(ctx, wsA, "KR-1")
	if err != nil || o.KeyResult("KR-1").Current != 12 || !o.KeyResult("KR-1").Measured {
		t.Errorf("KR-1 did not follow: %+v %v", o.KeyResult("KR-1"), err)
	}
	// A value for an earlier day moves nothing: the key result reads the latest.
	for _, body := range []map[string]any{{"value": 30, "at": "2026-11-18"}, {"value": 12}} {
		r := e.do("POST", "/api/v1/kpis/web-leads/values", e.tokenA, body)
		got.Moved = -1
		json.Unmarshal(r.body, &got)
		if r.StatusCode != 201 || got.Moved != 0 {
			t.Errorf("%v: %d, key_results_moved %d", body, r.StatusCode, got.Moved)
		}
	}
	// And /kpi show says what the API recorded.
	out := conversationsText(e.command("TA", "UA", "/kpi show web-leads"))
	if !contains(out, "12/day") || !contains(out, "outage") {
		t.Errorf("/kpi show:\n%s", out)
	}
	// A check-in through the API is this week's check-in of the person.
	r = e.do("POST", "/api/v1/checkins", e.tokenA, map[string]any{"key_result": "KR-2", "user": "UA", "done": true, "confidence": 9})
	if r.StatusCode != 200 || !contains(string(r.body), `"week":"2026-W47"`) || !contains(string(r.body), `"done":true`) {
		t.Errorf("check-in: %d %s", r.StatusCode, r.body)
	}
	r = e.do("POST", "/api/v1/checkins", e.tokenA, map[string]any{"key_result": "KR-2", "user": "UA", "done": true, "confidence": 8, "note": "signed"})
	cs, _ := e.st.CheckIns(ctx, wsA, domainFilter())
	if r.StatusCode != 200 || len(cs) != 1 || cs[0].Confidence != 8 {
		t.Errorf("second check-in the same week: %d, %+v", r.StatusCode, cs)
	}
}

// TestErrorMessagesSayWhere: a bad value names its field by its path in
// the body, an item of a batch by its index; a number too large says so;
// no number is written as -0.
func TestErrorMessagesSayWhere(t *testing.T) {
	e := newEnv(t, api.Options{})
	tests := []struct {
		name, path, body, want string
	}{
		{"too large", "/api/v1/kpis/web-leads/values", `{"value": 1e400}`, "value is 1e400, a number too large for okrbot"},
		{"too large in a batch", "/api/v1/kpis/web-leads/values", `{"values": [{"value": 1}, {"value": -1e400}]}`, "values[1].value is -1e400, a number too large"},
		{"text in a batch", "/api/v1/kpis/web-leads/values", `{"values": [{"value": 1}, {"value": 2}, {"value": "3"}]}`, "values[2].value must be a number, not string."},
		{"unknown field in a batch", "/api/v1/kpis/web-leads/values", `{"values": [{"value": 1, "when": "now"}]}`, "Unknown field values[0].when."},
		{"no value in a batch", "/api/v1/kpis/web-leads/values", `{"values": [{"value": 1}, {"note": "x"}]}`, "Give values[1].value, a number."},
		{"an item not an object", "/api/v1/kpis/web-leads/values", `{"values": [{"value": 1}, 2]}`, "values[1] must be an object, not number."},
		{"future in a batch", "/api/v1/kpis/web-leads/values", `{"values": [{"value": 1}, {"value": 2, "at": "2026-12-24"}]}`, "values[1]: 2026-12-24 is in the future"},
		{"fractional confidence", "/api/v1/checkins", `{"key_result": "KR-2", "user": "UA", "done": true, "confidence": 7.5}`, "confidence must be a whole number, not 7.5."},
		{"unknown field", "/api/v1/checkins", `{"key_result": "KR-2", "user": "UA", "confidense": 7}`, "Unknown field confidense."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", tt.path, e.tokenA, tt.body)
			msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
			if r.StatusCode != 400 || !strings.Contains(msg, tt.want) {
				t.Errorf("got %d %q, want %q", r.StatusCode, msg, tt.want)
			}
		})
	}
	// A decrease key result at its start: (12 - 12) / (4 - 12) is -0.
	e.must("TA", "UA", `/okr kr add O-1 Reduce response time from 12 to 4 hours`)
	r := e.do("GET", "/api/v1/objectives?cycle=2026-Q4", e.tokenA, nil)
	if r.StatusCode != 200 || strings.Contains(string(r.body), "-0") {
		t.Errorf("%d %s", r.StatusCode, r.body)
	}
	// A value far off the key result's scale (hours in minutes, a slip of
	// a magnitude) is refused unless confirmed, as chat asks first.
	for _, body := range []string{`{"key_result": "KR-3", "user": "UA", "value": 480, "confidence": 7}`, `{"key_result": "KR-3", "user": "UA", "value": 0.03, "confidence": 7}`} {
		r = e.do("POST", "/api/v1/checkins", e.tokenA, body)
		er, _ := r.json(t)["error"].(map[string]any)
		msg, _ := er["message"].(string)
		if r.StatusCode != 400 || !strings.Contains(msg, "far off KR-3's scale (it runs from 12 hours to 4 hours)") || !strings.Contains(msg, `"confirm": true`) {
			t.Errorf("an off-scale value: %d %s", r.StatusCode, r.body)
		}
	}
	if got := conversations.PlainText(e.command("TA", "UA", "/okr show KR-3").Message); strings.Contains(got, "480") {
		t.Errorf("an off-scale value refused was saved:\n%s", got)
	}
	r = e.do("POST", "/api/v1/checkins", e.tokenA, `{"key_result": "KR-3", "user": "UA", "value": 480, "confidence": 7, "confirm": true}`)
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `"value":480`) {
		t.Errorf("an off-scale value confirmed: %d %s", r.StatusCode, r.body)
	}
}
