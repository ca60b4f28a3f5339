package fakeslack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, method, token string, v url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, s.APIURL+method, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", Form)
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

// TestRateLimitWindowAndViolations: over its limit the fake answers 429
// with Retry-After, and records a call made inside that window (after the
// grace for calls already in flight) as a violation.
func TestRateLimitWindowAndViolations(t *testing.T) {
	s := New(t, Options{Limits: map[string]Limit{"chat.postMessage": {Rate: 1, Burst: 1}}, Grace: 20 * time.Millisecond})
	tok := s.Team("T0001").Token
	post := url.Values{"channel": {"C1"}, "text": {"hi"}}
	if code, m, _ := call(t, s, "chat.postMessage", tok, post); code != 200 || m["ok"] != true {
		t.Fatalf("first post: %d %v", code, m)
	}
	code, _, h := call(t, s, "chat.postMessage", tok, post)
	if code != 429 || h.Get("Retry-After") != "1" {
		t.Fatalf("second post: %d Retry-After %q", code, h.Get("Retry-After"))
	}
	if len(s.Violations()) != 0 {
		t.Fatal("a refused call is not a violation")
	}
	time.Sleep(50 * time.Millisecond)
	if code, _, _ := call(t, s, "chat.postMessage", tok, post); code != 429 || len(s.Violations()) != 1 {
		t.Fatalf("a call inside the window: %d, %d violations", code, len(s.Violations()))
	}
	// Other methods and other workspaces are not held back.
	if code, m, _ := call(t, s, "users.info", tok, url.Values{"user": {"U1"}}); code != 200 || m["ok"] != true {
		t.Errorf("users.info during chat.postMessage's window: %d %v", code, m)
	}
	if code, m, _ := call(t, s, "auth.test", "xoxb-wrong", nil); code != 200 || m["error"] != "invalid_auth" {
		t.Errorf("bad token: %d %v", code, m)
	}
	if len(s.Messages("C1")) != 1 {
		t.Errorf("refused posts were stored")
	}
}

// TestFaultsAreDeterministic: the same seed gives the same faults.
func TestFaultsAreDeterministic(t *testing.T) {
	run := func() string {
		s := New(t, Options{Seed: 42, Fault500: 0.3, Fault429: 0.2, RetryAfter: time.Millisecond})
		var b strings.Builder
		for range 30 {
			code, _, _ := call(t, s, "users.info", s.Team("T0001").Token, url.Values{"user": {"U1"}})
			b.WriteString(http.StatusText(code)[:1])
			time.Sleep(1100 * time.Millisecond / 100)
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b || !strings.Contains(a, "O") || !strings.Contains(a, "I") {
		t.Errorf("faults %q then %q", a, b)
	}
}

// TestCheckBlocks rejects what Slack rejects.
func TestCheckBlocks(t *testing.T) {
	for name, c := range map[string]struct {
		blocks string
		ok     bool
	}{
		"fine":            {`[{"type":"header","text":{"type":"plain_text","text":"Hi"}}]`, true},
		"long header":     {`[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]`, false},
		"long button":     {`[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"` + strings.Repeat("b", 76) + `"}}]}]`, false},
		"dup action id":   {`[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"x"}},{"type":"button","action_id":"a","text":{"type":"plain_text","text":"y"}}]}]`, false},
		"11 context":      {`[{"type":"context","elements":[` + strings.Repeat(`{"type":"plain_text","text":"x"},`, 10) + `{"type":"plain_text","text":"x"}]}]`, false},
		"unknown":         {`[{"type":"table"}]`, false},
		"empty rich text": {`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":""}]}]}]`, false},
	} {
		if err := CheckBlocks(json.RawMessage(c.blocks), 50); (err == nil) != c.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
	many := "[" + strings.Repeat(`{"type":"divider"},`, 50) + `{"type":"divider"}]`
	if CheckBlocks(json.RawMessage(many), 50) == nil || CheckBlocks(json.RawMessage(many), 100) != nil {
		t.Error("block count")
	}
}
