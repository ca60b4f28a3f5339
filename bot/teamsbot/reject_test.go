package teamsbot

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/okrbot/okrbot/bot/teamsbot/auth"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// TestRejectedRequestsAreCountedNotEachLogged: 10,000 POSTs to
// /api/messages without a token and 100 with a token for another app are
// all counted in okrbot_teams_rejected_total by reason, and logged in one
// line per reason per 10 seconds; the next line says how many it skipped.
// Nothing they carry is acted on.
func TestRejectedRequestsAreCountedNotEachLogged(t *testing.T) {
	st := storagetest.Open(t, now)
	svc := conversations.New(st, conversations.Options{Now: now})
	oid, conn := newOpenID(t), newConnector(t)
	v, err := auth.NewValidator(auth.Config{AppID: testAppID, MetadataURL: oid.metadataURL(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer // ServeHTTP is called from this goroutine only
	clock := friday
	reg := prometheus.NewRegistry()
	bot, err := New(svc, st, v, newTestConnector(t, conn), Options{
		Log: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: reg, Now: func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, conn: conn}
	activity, _ := json.Marshal(h.message("okr create Steal the company"))
	post := func(authz string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/messages", bytes.NewReader(activity))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, req)
		return rec.Code
	}

	const n = 10000
	for i := range n {
		if code := post(""); code != http.StatusUnauthorized {
			t.Fatalf("request %d without a token: %d", i, code)
		}
	}
	wrongApp := claims(conn.serviceURL())
	wrongApp["aud"] = "00000000-0000-4000-8000-000000000bad"
	forged := "Bearer " + signed(t, "teams", 0, wrongApp)
	for i := range 100 {
		if code := post(forged); code != http.StatusUnauthorized {
			t.Fatalf("request %d for another app: %d", i, code)
		}
	}
	if lines := strings.Count(logs.String(), "teams request rejected"); lines != 2 {
		t.Errorf("%d log lines for %d rejected requests in one window, want 2 (one per reason):\n%s", lines, n+100, logs.String())
	}

	clock = clock.Add(10 * time.Second)
	logs.Reset()
	post("")
	var line struct {
		Msg, Reason string
		Skipped     int `json:"not_logged_since_last"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line.Reason != reasonMissingAuth || line.Skipped != n-1 {
		t.Errorf("the line of the next window: %+v %v, want reason %s and %d not logged: %s", line, err, reasonMissingAuth, n-1, logs.String())
	}

	rejected := func(reason string) float64 {
		c, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range c {
			if f.GetName() != "okrbot_teams_rejected_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
	if got := rejected(reasonMissingAuth); got != n+1 {
		t.Errorf("missing_auth counted %v, want %d", got, n+1)
	}
	if got := rejected(reasonBadToken); got != 100 {
		t.Errorf("bad_token counted %v, want 100", got)
	}
	if got := testutil.ToFloat64(bot.metrics.requests.WithLabelValues("unauthorized")); got != n+101 {
		t.Errorf("okrbot_teams_requests_total{result=unauthorized} = %v, want %d", got, n+101)
	}
	if calls := conn.calls(); len(calls) != 0 {
		t.Errorf("rejected requests were answered through the Bot Connector: %+v", calls)
	}
	refs, err := st.ConversationRefs(context.Background(), "teams:"+testTenant)
	if err != nil || len(refs) != 0 {
		t.Errorf("rejected requests saved conversation references: %+v %v", refs, err)
	}
}
