package slackbot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

const (
	secret = "8f742231b10e8888abcd99yyyzzz85a5"
	team   = "T0001"
	ws     = "slack:T0001"
)

// logBuffer collects logs for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is okrbot's Slack adapter on a real store, against the fake Slack.
type env struct {
	t    testing.TB
	fake *fakeslack.Server
	st   storage.Store
	bot  *slackbot.Bot
	srv  *httptest.Server
	logs *logBuffer
}

type envOption func(*slackbot.Config)

func newEnv(t testing.TB, svc slackbot.Conversations, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, nil, nil, svc, opts...)
}

// newEnvOn is newEnv on a given fake Slack and store (nil: new ones): a
// second env on the same store and fake is a second replica of okrbot.
func newEnvOn(t testing.TB, fake *fakeslack.Server, st storage.Store, svc slackbot.Conversations, opts ...envOption) *env {
	t.Helper()
	if fake == nil {
		fake = fakeslack.New(t, fakeslack.Options{ClientID: "cid", ClientSecret: "csecret"})
	}
	if st == nil {
		st = storagetest.Open(t, nil)
	}
	logs := &logBuffer{}
	if svc == nil {
		svc = conversations.New(st, conversations.Options{Log: slog.New(slog.NewJSONHandler(logs, nil))})
	}
	cfg := slackbot.Config{
		SigningSecret: secret, BotToken: fake.Team(team).Token, APIURL: fake.APIURL,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	bot, err := slackbot.New(cfg, svc, st)
	if err != nil {
		t.Fatal(err)
	}
	bot.Start(context.Background())
	mux := http.NewServeMux()
	if err := bot.Mount(mux); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, fake: fake, st: st, bot: bot, srv: srv, logs: logs}
}

// post sends a signed request and returns the status and body.
func (e *env) post(path string, form url.Values) (int, string) {
	e.t.Helper()
	return e.do(fakeslack.SignedRequest(secret, e.srv.URL+path, fakeslack.Form, []byte(form.Encode())))
}

func (e *env) do(r *http.Request) (int, string) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// command runs a slash command as user in channel and returns the answer
// Slack gets at once.
func (e *env) command(user, channel, text string) (int, string) {
	e.t.Helper()
	cmd, args, _ := strings.Cut(text, " ")
	return e.post(slackbot.PathCommands, e.fake.Command(team, user, channel, cmd, args))
}

// eventually waits for cond, up to 10 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answerText is the text of an immediate or response_url answer: every
// rich text element's text, joined.
func answerText(t testing.TB, body string) string {
	t.Helper()
	var a struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	return a.Text + "\n" + blocksText(a.Blocks)
}

// blocksText flattens the visible text of blocks.
func blocksText(blocks []json.RawMessage) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				b.WriteString(s)
				b.WriteString(" ")
			}
			for k, y := range x {
				if k != "text" || func() bool { _, ok := y.(string); return !ok }() {
					walk(y)
				}
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	for _, raw := range blocks {
		var v any
		json.Unmarshal(raw, &v)
		walk(v)
	}
	return b.String()
}
