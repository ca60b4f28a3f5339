package slackbot_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
)

// TestBadSignaturesAreRefused: every way a request can fail verification
// gets a generic 401, stores nothing, and neither the computed signature
// nor any secret appears in the answer or the logs.
func TestBadSignaturesAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	body := []byte(e.fake.Command(team, "U0EVE", "C0GROWTH", "/okr", "create Steal the company").Encode())
	u := e.srv.URL + slackbot.PathCommands
	now := time.Now()
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-1] ^= 1

	cases := map[string]struct {
		r        *http.Request
		computed string // the signature okrbot would compute for this request
	}{
		"wrong secret": {r: fakeslack.SignedRequest("not-the-secret", u, fakeslack.Form, body), computed: fakeslack.Sign(secret, now, body)},
		"changed body byte": func() struct {
			r        *http.Request
			computed string
		} {
			r := fakeslack.SignedRequestAt(secret, u, fakeslack.Form, body, now)
			r2, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(string(tampered)))
			r2.Header = r.Header.Clone()
			return struct {
				r        *http.Request
				computed string
			}{r2, fakeslack.Sign(secret, now, tampered)}
		}(),
		"6 minutes old":   {r: fakeslack.SignedRequestAt(secret, u, fakeslack.Form, body, now.Add(-6*time.Minute)), computed: fakeslack.Sign(secret, now.Add(-6*time.Minute), body)},
		"6 minutes ahead": {r: fakeslack.SignedRequestAt(secret, u, fakeslack.Form, body, now.Add(6*time.Minute)), computed: fakeslack.Sign(secret, now.Add(6*time.Minute), body)},
		"missing signature": func() struct {
			r        *http.Request
			computed string
		} {
			r := fakeslack.SignedRequestAt(secret, u, fakeslack.Form, body, now)
			r.Header.Del("X-Slack-Signature")
			return struct {
				r        *http.Request
				computed string
			}{r, fakeslack.Sign(secret, now, body)}
		}(),
		"missing timestamp": func() struct {
			r        *http.Request
			computed string
		} {
			r := fakeslack.SignedRequestAt(secret, u, fakeslack.Form, body, now)
			r.Header.Del("X-Slack-Request-Timestamp")
			return struct {
				r        *http.Request
				computed string
			}{r, fakeslack.Sign(secret, now, body)}
		}(),
		"non-numeric timestamp": func() struct {
			r        *http.Request
			computed string
		} {
			r := fakeslack.SignedRequestAt(secret, u, fakeslack.Form, body, now)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10)+"x")
			return struct {
				r        *http.Request
				computed string
			}{r, fakeslack.Sign(secret, now, body)}
		}(),
	}
	for name, c := range cases {
		code, answer := e.do(c.r)
		if code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, code)
		}
		for _, leak := range []string{c.computed, strings.TrimPrefix(c.computed, "v0="), secret, e.fake.Team(team).Token} {
			if strings.Contains(answer, leak) || strings.Contains(e.logs.String(), leak) {
				t.Errorf("%s: a secret or the computed signature leaked (%.12s…)", name, leak)
			}
		}
		if strings.TrimSpace(answer) != "unauthorized" {
			t.Errorf("%s: answer %q is not generic", name, answer)
		}
	}
	// Interactions and events are verified the same way.
	for _, path := range []string{slackbot.PathInteractions, slackbot.PathEvents} {
		r := fakeslack.SignedRequest("not-the-secret", e.srv.URL+path, fakeslack.Form, []byte("payload={}"))
		if code, _ := e.do(r); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong signature: %d", path, code)
		}
	}
	// Nothing was stored: no objective, not even the workspace.
	if _, err := e.st.Workspace(context.Background(), ws); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a refused request set up the workspace: %v", err)
	}
	if calls := e.fake.Calls("chat.postMessage"); len(calls) != 0 || len(e.fake.Responses()) != 0 {
		t.Errorf("a refused request made Slack calls: %d posts, %d responses", len(calls), len(e.fake.Responses()))
	}
	if !strings.Contains(e.logs.String(), "slack request rejected") {
		t.Errorf("refusals are not logged")
	}
	// A body over the bound is refused before it is read in full.
	big := strings.Repeat("x", 70<<10)
	if code, _ := e.do(fakeslack.SignedRequest(secret, u, fakeslack.Form, []byte(big))); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", code)
	}
	// The same request correctly signed goes through.
	if code, _ := e.do(fakeslack.SignedRequest(secret, u, fakeslack.Form, body)); code != 200 {
		t.Errorf("a well-signed request: %d", code)
	}
}

// TestEmptySigningSecretRefusesToMount.
func TestEmptySigningSecretRefusesToMount(t *testing.T) {
	for _, s := range []string{"", "   ", "\t\n"} {
		b, err := slackbot.New(slackbot.Config{SigningSecret: s, BotToken: "xoxb-1", APIURL: "http://127.0.0.1:1/api/"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		if err := b.Mount(mux); !errors.Is(err, slackbot.ErrNoSigningSecret) {
			t.Errorf("secret %q: Mount = %v", s, err)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, slackbot.PathCommands, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("secret %q: the endpoint answers %d", s, rec.Code)
		}
	}
	if _, err := slackbot.New(slackbot.Config{SigningSecret: "s"}, nil, nil); !errors.Is(err, slackbot.ErrNoToken) {
		t.Errorf("no token: %v", err)
	}
}

// slowService is a conversations fake whose commands take until released.
type slowService struct {
	release chan struct{}
	running atomic.Int32
}

func (s *slowService) wait(ctx context.Context) {
	s.running.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
	}
}

func (s *slowService) Command(ctx context.Context, a conversations.Actor, cmd, args string) conversations.Reply {
	s.wait(ctx)
	return conversations.Reply{Message: conversations.Lines("done", conversations.T("slow answer for "+a.User))}
}

func (s *slowService) Action(ctx context.Context, a conversations.Actor, action, value string) conversations.Reply {
	s.wait(ctx)
	return conversations.Reply{}
}

func (s *slowService) Submit(ctx context.Context, a conversations.Actor, sub conversations.Submission) conversations.Reply {
	s.wait(ctx)
	return conversations.Reply{}
}

func (s *slowService) Home(ctx context.Context, a conversations.Actor) (*conversations.Message, error) {
	return conversations.Lines("home"), nil
}

// TestSlowCommandIsAcknowledgedWithinThreeSeconds: a command whose work
// takes longer than Slack waits is acknowledged while the work is still
// running; its answer follows at the response_url.
func TestSlowCommandIsAcknowledgedWithinThreeSeconds(t *testing.T) {
	svc := &slowService{release: make(chan struct{})}
	e := newEnv(t, svc)
	start := time.Now()
	code, body := e.command("U0ADA", "C0GROWTH", "/okr list")
	took := time.Since(start)
	if code != 200 || body != "" {
		t.Fatalf("ack = %d %q", code, body)
	}
	if svc.running.Load() != 1 {
		t.Fatalf("the command is not running")
	}
	if took > 3*time.Second {
		t.Fatalf("acknowledged after %v; Slack waits 3 s", took)
	}
	select {
	case <-svc.release:
		t.Fatal("released early")
	default:
	}
	close(svc.release)
	eventually(t, "answer at the response_url", func() bool {
		for _, r := range e.fake.Responses() {
			if strings.Contains(string(r.Body), "slow answer for U0ADA") {
				return true
			}
		}
		return false
	})
}

// TestResponseURLOnlyToSlack: a response_url that is not Slack's (nor the
// configured API host) is never called; the answer goes by the Web API.
func TestResponseURLOnlyToSlack(t *testing.T) {
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()
	svc := &slowService{release: make(chan struct{})}
	e := newEnv(t, svc, func(c *slackbot.Config) { c.InlineWait = 10 * time.Millisecond })
	form := e.fake.Command(team, "U0ADA", "C0GROWTH", "/okr", "list")
	form.Set("response_url", evil.URL+"/hooks/T0001/B1/secret")
	if code, _ := e.post(slackbot.PathCommands, form); code != 200 {
		t.Fatal(code)
	}
	eventually(t, "the command to run", func() bool { return svc.running.Load() == 1 })
	close(svc.release)
	eventually(t, "the answer by chat.postEphemeral", func() bool { return len(e.fake.Calls("chat.postEphemeral")) == 1 })
	if hits.Load() != 0 {
		t.Errorf("the foreign response_url was called %d times", hits.Load())
	}
	if !strings.Contains(e.logs.String(), "response_url is not Slack's") || strings.Contains(e.logs.String(), "/hooks/T0001/B1/secret") {
		t.Errorf("the refusal is not logged, or the URL's secret path is")
	}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.slack.com/commands/T1/2/x", true},
		{"https://slack.com/x", true},
		{"http://hooks.slack.com/commands/T1/2/x", false},
		{"https://hooks.slack.com.evil.example/x", false},
		{"https://evilslack.com/x", false},
		{"https://user@hooks.slack.com/x", false},
		{e.fake.URL + "/response/1", true},
	} {
		if got := slackbot.ResponseURLAllowed(e.bot, c.url); got != c.ok {
			t.Errorf("response_url %s allowed = %v, want %v", c.url, got, c.ok)
		}
	}
}
