package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/internal/fakeslack"
)

const testSecret = "e2e-signing-secret-0123456789abcdef"

// startServe runs the whole `okrbot serve` with env and returns its address
// and logs; it stops at the end of the test.
func startServe(t *testing.T, e map[string]string) (string, *syncBuffer) {
	t.Helper()
	e["OKRBOT_ADDR"] = "127.0.0.1:0"
	if e["OKRBOT_DATA_DIR"] == "" {
		e["OKRBOT_DATA_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"okrbot", "serve"}, env(e), strings.NewReader(""), io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return waitListening(t, logs), logs
}

func signedPost(t *testing.T, url string, body string) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(fakeslack.SignedRequest(testSecret, url, fakeslack.Form, []byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeSlackEndToEnd runs okrbot serve with a Slack configuration
// pointing at the fake Slack and talks to it as Slack does.
func TestServeSlackEndToEnd(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	token := fake.Team("T0001").Token
	addr, logs := startServe(t, map[string]string{
		"SLACK_SIGNING_SECRET": testSecret, "SLACK_BOT_TOKEN": token, "SLACK_API_URL": fake.APIURL,
	})
	base := "http://" + addr

	start := time.Now()
	code, body := signedPost(t, base+"/slack/commands", fake.Command("T0001", "U0ADA", "C0GROWTH", "/okr", "create Grow the European market").Encode())
	if took := time.Since(start); code != 200 || took > 3*time.Second || !strings.Contains(body, "Created") || !strings.Contains(body, "O-1") {
		t.Fatalf("/okr create = %d after %v: %s", code, took, body)
	}
	code, body = signedPost(t, base+"/slack/commands", fake.Command("T0001", "U0ADA", "C0GROWTH", "/okr", "list").Encode())
	if code != 200 || !strings.Contains(body, "Grow the European market") {
		t.Fatalf("/okr list = %d %s", code, body)
	}
	// A forged request is refused.
	resp, err := http.Post(base+"/slack/commands", fakeslack.Form, strings.NewReader(fake.Command("T0001", "U0EVE", "C0", "/okr", "create Evil").Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned request: %d", resp.StatusCode)
	}
	if len(fake.Calls("auth.test")) == 0 {
		t.Error("no auth.test at start")
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "okrbot_slack_api_calls_total") {
		t.Errorf("no Slack metrics: %d", code)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), testSecret) {
		t.Error("a secret appears in the logs")
	}
}

// TestServeSlackConfiguration: what okrbot serve does with partial Slack
// settings. Unsafe or useless ones stop it with a non-zero exit.
func TestServeSlackConfiguration(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"token without signing secret":     {map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret-token", "SLACK_SIGNING_SECRET": "   "}, "SLACK_SIGNING_SECRET is empty"},
		"client id without secret":         {map[string]string{"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "go together"},
		"oauth without encryption key":     {map[string]string{"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "cs-secret", "SLACK_SIGNING_SECRET": "s"}, "OKRBOT_ENCRYPTION_KEY"},
		"signing secret without any token": {map[string]string{"SLACK_SIGNING_SECRET": "s"}, "needs a bot token"},
		"app token without bot token":      {map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, "needs a bot token"},
	} {
		e := c.env
		e["OKRBOT_ADDR"] = "127.0.0.1:0"
		e["OKRBOT_DATA_DIR"] = t.TempDir()
		logs := &syncBuffer{}
		err := run(context.Background(), []string{"okrbot", "serve"}, env(e), nil, io.Discard, logs)
		if err == nil || exitCode(err) == 0 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		for _, secret := range []string{"xoxb-secret-token", "cs-secret"} {
			if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
				t.Errorf("%s: a secret leaked", name)
			}
		}
	}
	// No Slack setting at all: Slack is off, with one line saying so.
	_, logs := startServe(t, map[string]string{})
	if !strings.Contains(logs.String(), "slack is off") {
		t.Errorf("no line about Slack being off:\n%s", logs)
	}
}
