package slackbot_test

// The red-team cases of issue 14 (and the Slack points of issue 10), each
// asserting the refusal and that nothing changed.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
)

// counter reads a counter of reg by name and labels ("" value: any).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func withRegistry(reg *prometheus.Registry) envOption {
	return func(c *slackbot.Config) { c.Registry = reg }
}

// subscriptions is the store's subscriptions of the test workspace, as text.
func (e *env) subscriptions() string {
	e.t.Helper()
	subs, err := e.st.Subscriptions(context.Background(), ws)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range subs {
		fmt.Fprintf(&b, "%s company=%v by=%s\n", s.Channel, s.Company, s.By)
	}
	return b.String()
}

// TestDigestSubscriptionsNeedRightsInSlack: a plain member can neither
// unsubscribe the company roll-up an admin subscribed nor subscribe a
// channel; the refusal says who may; a channel okrbot is not in is not
// subscribed but okrbot asks to be invited.
func TestDigestSubscriptionsNeedRightsInSlack(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(fakeslack.User{ID: "U0BOSS", DisplayName: "Boss", Admin: true})
	e.fake.AddUser(fakeslack.User{ID: "U0EVE", DisplayName: "Eve"})
	e.fake.AddChannel(fakeslack.Channel{ID: "C0LEADERS", Name: "leadership", Member: true})
	e.fake.AddChannel(fakeslack.Channel{ID: "C0SALES", Name: "sales", Member: true})
	e.fake.AddChannel(fakeslack.Channel{ID: "C0RANDOM", Name: "random"})

	if _, body := e.command("U0BOSS", "C0LEADERS", "/okr digest subscribe --company"); !strings.Contains(answerText(t, body), "Subscribed") {
		t.Fatalf("admin subscribe: %s", body)
	}
	before := e.subscriptions()
	if before != "C0LEADERS company=true by=U0BOSS\n" {
		t.Fatalf("subscriptions: %q", before)
	}
	for _, line := range []string{
		"/okr digest unsubscribe <#C0LEADERS|leadership>",
		"/okr digest subscribe <#C0LEADERS|leadership>",
		"/okr digest subscribe <#C0SALES|sales>",
		"/okr digest subscribe",
		"/okr digest unsubscribe",
	} {
		code, body := e.command("U0EVE", "C0LEADERS", line)
		text := answerText(t, body)
		if code != 200 || !strings.Contains(text, "Only a workspace admin") || !strings.Contains(text, "nothing was changed") {
			t.Errorf("%s by a member: %d %s", line, code, text)
		}
		if after := e.subscriptions(); after != before {
			t.Errorf("%s by a member changed the subscriptions: %q", line, after)
		}
	}
	// An admin, a channel okrbot is not in: asked to invite it, nothing subscribed.
	_, body := e.command("U0BOSS", "C0LEADERS", "/okr digest subscribe <#C0RANDOM|random>")
	if text := answerText(t, body); !strings.Contains(text, "is not a member of") || !strings.Contains(text, "/invite @okrbot") {
		t.Errorf("subscribe where okrbot is not: %s", text)
	}
	if after := e.subscriptions(); after != before {
		t.Errorf("a channel okrbot is not in was subscribed: %q", after)
	}
	// Invited, it can be.
	e.fake.AddChannel(fakeslack.Channel{ID: "C0RANDOM", Name: "random", Member: true})
	if _, body := e.command("U0BOSS", "C0LEADERS", "/okr digest subscribe <#C0RANDOM|random>"); !strings.Contains(answerText(t, body), "Subscribed") {
		t.Errorf("after the invite: %s", body)
	}
}

// TestReplaysAreAnsweredButNotProcessed: the same signed /okr create sent
// again, to this replica or another, is answered 200 and creates nothing;
// an event retry Slack marks keeps its handling (one effect per event id).
func TestReplaysAreAnsweredButNotProcessed(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, nil, withRegistry(reg))
	replica := newEnvOn(t, e.fake, e.st, nil)
	ctx := context.Background()
	body := []byte(e.fake.Command(team, "U0ADA", "C0GROWTH", "/okr", "create Grow the European market").Encode())
	at := time.Now()
	send := func(to *env) (int, string) {
		return to.do(fakeslack.SignedRequestAt(secret, to.srv.URL+slackbot.PathCommands, fakeslack.Form, body, at))
	}
	if code, answer := send(e); code != 200 || !strings.Contains(answer, "O-1") {
		t.Fatalf("first delivery: %d %s", code, answer)
	}
	time.Sleep(time.Second) // the announcement in the channel follows the answer
	calls := len(e.fake.Calls(""))
	for name, to := range map[string]*env{"same replica": e, "other replica": replica} {
		if code, answer := send(to); code != 200 || answer != "" {
			t.Errorf("replay to the %s: %d %q", name, code, answer)
		}
	}
	os, err := e.st.Objectives(ctx, ws, domain.ObjectiveFilter{})
	if err != nil || len(os) != 1 {
		t.Fatalf("objectives after replays: %d %v", len(os), err)
	}
	if _, err := e.st.Objective(ctx, ws, "O-2"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a replay used up a ref: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(e.fake.Calls("")); n != calls {
		t.Errorf("replays made %d Slack calls", n-calls)
	}
	if n := counter(t, reg, "okrbot_slack_rejected_total", map[string]string{"reason": "replay"}); n != 1 {
		t.Errorf("replays counted on this replica: %v", n)
	}

	// An event: the first delivery is handled; Slack's retry of it (the
	// same bytes, X-Slack-Retry-Num) goes to the event handling, which
	// knows its id; the same bytes without the retry mark are a replay.
	ev, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": team, "event_id": "Ev0REPLAY",
		"event": map[string]any{"type": "app_home_opened", "user": "U0ADA", "tab": "home"}})
	evAt := time.Now()
	post := func(retry string) int {
		r := fakeslack.SignedRequestAt(secret, e.srv.URL+slackbot.PathEvents, "application/json", ev, evAt)
		if retry != "" {
			r.Header.Set("X-Slack-Retry-Num", retry)
			r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		code, _ := e.do(r)
		return code
	}
	for _, retry := range []string{"", "1", ""} {
		if code := post(retry); code != 200 {
			t.Fatalf("event (retry %q): %d", retry, code)
		}
	}
	if !strings.Contains(e.logs.String(), "slack event delivered again; already handled") {
		t.Error("Slack's retry did not reach the event handling")
	}
	if n := counter(t, reg, "okrbot_slack_rejected_total", map[string]string{"reason": "replay"}); n != 2 {
		t.Errorf("replays counted after the event: %v, want 2", n)
	}
	eventually(t, "the home", func() bool { _, ok := e.fake.Home(team, "U0ADA"); return ok })
	if n := len(e.fake.Calls("views.publish")); n != 1 {
		t.Errorf("the event had %d effects", n)
	}
}

// laterService answers every command after a moment, so that the answer
// goes to the response_url.
type laterService struct{ slowService }

func (s *laterService) Command(ctx context.Context, a conversations.Actor, cmd, args string) conversations.Reply {
	time.Sleep(100 * time.Millisecond)
	return conversations.Reply{Message: conversations.Lines("done", conversations.T("answer for "+a.User))}
}

// TestResponseURLRedirectsAreNotFollowed: a response_url on Slack's host
// that redirects is not followed (a 307 would re-post the answer
// elsewhere); the answer goes by the Web API instead. A path with ".."
// (plain or encoded) is refused before any call.
func TestResponseURLRedirectsAreNotFollowed(t *testing.T) {
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()
	e := newEnv(t, &laterService{}, func(c *slackbot.Config) { c.InlineWait = 10 * time.Millisecond })
	for i, u := range []string{
		e.fake.RedirectURL(307, evil.URL+"/collect"),
		e.fake.RedirectURL(308, evil.URL+"/collect"),
		e.fake.RedirectURL(302, evil.URL+"/collect"),
		e.fake.RedirectURL(301, evil.URL+"/collect"),
		e.fake.URL + "/response/../redirect/307?to=" + url.QueryEscape(evil.URL),
		e.fake.URL + "/response/%2e%2e/redirect/307?to=" + url.QueryEscape(evil.URL),
	} {
		form := e.fake.Command(team, "U0ADA", "C0GROWTH", "/okr", "list")
		form.Set("response_url", u)
		if code, _ := e.post(slackbot.PathCommands, form); code != 200 {
			t.Fatal(code)
		}
		eventually(t, "the answer by chat.postEphemeral", func() bool { return len(e.fake.Calls("chat.postEphemeral")) == i+1 })
	}
	if hits.Load() != 0 {
		t.Errorf("the redirect target was called %d times", hits.Load())
	}
	var redirects, others int
	for _, r := range e.fake.Responses() {
		if strings.HasPrefix(r.Path, "/redirect/") {
			redirects++
		} else {
			others++
		}
	}
	if redirects != 4 || others != 0 {
		t.Errorf("response_url posts: %d to the redirecting URLs (want 4), %d elsewhere (want 0)", redirects, others)
	}
}

// TestResponseURLNormalisation: what a response_url must look like, in
// test mode (an http API server) and against the real Slack (https only).
func TestResponseURLNormalisation(t *testing.T) {
	e := newEnv(t, nil)
	prod, err := slackbot.New(slackbot.Config{SigningSecret: "s", BotToken: "xoxb-1", APIURL: "https://slack.com/api/"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bot  *slackbot.Bot
		url  string
		want bool
	}{
		{prod, "https://hooks.slack.com/commands/T1/2/x", true},
		{prod, "https://HOOKS.slack.com/actions/T1/2/x", true},
		{prod, "https://hooks.slack.com:443/commands/T1/2/x", true},
		{prod, "http://slack.com/api/x", false},
		{prod, "http://hooks.slack.com/commands/T1/2/x", false},
		{prod, "https://hooks.slack.com:8443/commands/T1/2/x", false},
		{prod, "https://hooks.slack.com/commands/../services/T1/B1/x", false},
		{prod, "https://hooks.slack.com/commands/%2E%2E/services/T1/B1/x", false},
		{prod, "https://hooks.slack.com/commands/T1%2F..%2Fservices/x", false},
		{prod, "https://hooks.slack.com/commands/./T1/2/x", false},
		{prod, "https://hooks.slack.com//services/T1/B1/x", false},
		{prod, "https://hooks.slack.com/commands/T1/2/x/", false},
		{prod, `https://hooks.slack.com/commands\..\services/x`, false},
		{prod, "https://user:pw@hooks.slack.com/commands/T1/2/x", false},
		{prod, "https://hooks.slack.com@evil.example/commands/T1/2/x", false},
		{prod, "https://hooks.slack.com/commands/T1/2/x#frag", false},
		{prod, "https:hooks.slack.com/commands/T1/2/x", false},
		{prod, "https://hooks.slack.com.evil.example/x", false},
		{prod, "https://hooks.slack.com/commands/T1/2/x y", false},
		{e.bot, e.fake.URL + "/response/R1", true},
		{e.bot, e.fake.URL + "/response/../api/chat.postMessage", false},
		{e.bot, strings.Replace(e.fake.URL, "http:", "https:", 1) + "/response/R1", false},
	} {
		if got := slackbot.ResponseURLAllowed(c.bot, c.url); got != c.want {
			t.Errorf("%s: allowed = %v, want %v", c.url, got, c.want)
		}
	}
}

// TestWorkspaceBinding: in single-workspace mode a request naming another
// team (or organisation) is refused 403 with a log line naming both, and
// creates nothing; with OAuth a team without an installation is told okrbot
// is not installed.
func TestWorkspaceBinding(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, nil, withRegistry(reg))
	ctx := context.Background()
	calls := len(e.fake.Calls(""))
	form := e.fake.Command("T9999", "U0EVE", "C0X", "/okr", "create Steal the company")
	if code, body := e.post(slackbot.PathCommands, form); code != http.StatusForbidden || strings.Contains(body, "Steal") {
		t.Errorf("a command from T9999: %d %s", code, body)
	}
	grid := e.fake.Command(team, "U0EVE", "C0X", "/okr", "create Steal the company")
	grid.Set("enterprise_id", "E0OTHER")
	if code, _ := e.post(slackbot.PathCommands, grid); code != http.StatusForbidden {
		t.Errorf("a command naming another organisation: %d", code)
	}
	ia := fakeslack.Interaction(map[string]any{"type": "block_actions", "team": map[string]any{"id": "T9999"},
		"user": map[string]any{"id": "U0EVE", "team_id": "T9999"}, "actions": []any{map[string]any{"action_id": "okrbot:checkin", "type": "button"}}})
	if code, _ := e.post(slackbot.PathInteractions, ia); code != http.StatusForbidden {
		t.Errorf("an interaction from T9999: %d", code)
	}
	ev, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T9999", "event_id": "Ev0T9999",
		"event": map[string]any{"type": "app_uninstalled"}})
	if code, _ := e.do(fakeslack.SignedRequest(secret, e.srv.URL+slackbot.PathEvents, "application/json", ev)); code != http.StatusForbidden {
		t.Errorf("an event from T9999: %d", code)
	}
	time.Sleep(100 * time.Millisecond)
	for _, w := range []string{"slack:T9999", ws} {
		if _, err := e.st.Workspace(ctx, w); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("workspace %s set up by a refused request: %v", w, err)
		}
	}
	if n := len(e.fake.Calls("")); n != calls {
		t.Errorf("refused requests made %d Slack calls with T0001's token", n-calls)
	}
	logs := e.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "wrong_workspace") {
			line = l
			break
		}
	}
	if !strings.Contains(line, "T9999") || !strings.Contains(line, "T0001") {
		t.Errorf("the refusal is not logged naming both workspaces: %q", line)
	}
	if n := counter(t, reg, "okrbot_slack_rejected_total", map[string]string{"reason": "wrong_workspace"}); n != 4 {
		t.Errorf("wrong_workspace refusals counted: %v", n)
	}

	// OAuth: a team without an installation.
	o := newEnv(t, nil, func(c *slackbot.Config) { c.BotToken, c.ClientID, c.ClientSecret = "", "cid", "csecret" })
	code, body := o.post(slackbot.PathCommands, o.fake.Command(team, "U0ADA", "C0X", "/okr", "create Grow"))
	if code != 200 || !strings.Contains(answerText(t, body), "not installed") {
		t.Errorf("a command from a team without an installation: %d %s", code, body)
	}
	if _, err := o.st.Workspace(ctx, ws); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a workspace without an installation was set up: %v", err)
	}
	if n := len(o.fake.Calls("chat.postMessage")) + len(o.fake.Calls("chat.postEphemeral")); n != 0 {
		t.Errorf("%d posts for a team without an installation", n)
	}
}

// offsetClock is a clock that tests move forward.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// TestNamesComeFromSlack: "--owner <@U0002|ceo.spoofed>" shows and stores
// the name Slack gives U0002, never the label; users.info answers are
// cached for UserCacheTTL; a person Slack does not know is refused.
func TestNamesComeFromSlack(t *testing.T) {
	clock := &offsetClock{}
	fake := fakeslack.New(t, fakeslack.Options{StrictUsers: true, ClientID: "cid", ClientSecret: "csecret"})
	e := newEnvOn(t, fake, nil, nil, func(c *slackbot.Config) { c.Now, c.UserCacheTTL = clock.now, time.Minute })
	ctx := context.Background()
	fake.AddUser(fakeslack.User{ID: "U0ADA", DisplayName: "Ada"})
	fake.AddUser(fakeslack.User{ID: "U0002", RealName: "Bob Builder"})
	e.command("U0ADA", "C0GROWTH", "/okr create Grow the European market")
	_, body := e.command("U0ADA", "C0GROWTH", "/okr kr add O-1 Hire a VP of sales --owner <@U0002|ceo.spoofed>")
	if text := answerText(t, body); strings.Contains(text, "spoofed") || !strings.Contains(text, "Bob Builder") {
		t.Fatalf("kr add: %s", text)
	}
	for _, line := range []string{"/okr show KR-1", "/okr list <@U0002|ceo.spoofed>", "/okr list all"} {
		if _, body := e.command("U0ADA", "C0GROWTH", line); strings.Contains(body, "spoofed") {
			t.Errorf("%s shows the typed label: %s", line, body)
		}
	}
	if u, err := e.st.User(ctx, ws, "U0002"); err != nil || u.Name != "Bob Builder" {
		t.Errorf("stored: %+v %v", u, err)
	}
	lookups := func() int {
		n := 0
		for _, c := range fake.Calls("users.info") {
			if c.Params.Get("user") == "U0002" {
				n++
			}
		}
		return n
	}
	if n := lookups(); n != 1 {
		t.Errorf("users.info for U0002: %d calls", n)
	}
	e.command("U0ADA", "C0GROWTH", "/okr kr add O-1 Close 3 deals --owner <@U0002|x>")
	if n := lookups(); n != 1 {
		t.Errorf("users.info not cached: %d calls", n)
	}
	clock.add(2 * time.Minute)
	fake.AddUser(fakeslack.User{ID: "U0002", RealName: "Robert Builder"})
	e.command("U0ADA", "C0GROWTH", "/okr kr add O-1 Close 4 deals --owner <@U0002>")
	if u, _ := e.st.User(ctx, ws, "U0002"); lookups() != 2 || u.Name != "Robert Builder" {
		t.Errorf("after the cache expired: %d calls, name %q", lookups(), u.Name)
	}
	// Someone Slack does not know: refused, nothing added.
	before, _ := e.st.Objective(ctx, ws, "O-1")
	_, body = e.command("U0ADA", "C0GROWTH", "/okr kr add O-1 Hire a CFO --owner <@U0NOBODY|cfo>")
	if text := answerText(t, body); !strings.Contains(text, "no person U0NOBODY") {
		t.Errorf("unknown owner: %s", text)
	}
	if after, _ := e.st.Objective(ctx, ws, "O-1"); len(after.KeyResults) != len(before.KeyResults) {
		t.Errorf("a key result was added for an unknown person")
	}
	if _, err := e.st.User(ctx, ws, "U0NOBODY"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("the unknown person was stored: %v", err)
	}
}

// TestOAuthStateIsSingleUse: a callback replayed with the same state and
// cookie and another code installs nothing, on this replica or another;
// the second code is never exchanged.
func TestOAuthStateIsSingleUse(t *testing.T) {
	e := newEnv(t, nil, func(c *slackbot.Config) { c.ClientID, c.ClientSecret = "cid", "csecret" })
	if err := e.st.SetTokenKey([]byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	replica := newEnvOn(t, e.fake, e.st, nil, func(c *slackbot.Config) { c.ClientID, c.ClientSecret = "cid", "csecret" })
	ctx := context.Background()
	e.fake.AddTeam(fakeslack.Team{ID: "T0002", Name: "Globex"})
	e.fake.AddTeam(fakeslack.Team{ID: "T0003", Name: "Initech"})
	resp, err := noRedirect.Get(e.srv.URL + slackbot.PathInstall)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	state, cookies := loc.Query().Get("state"), resp.Cookies()
	cb := func(to *env, code string) string {
		return to.srv.URL + slackbot.PathOAuthCallback + "?" + url.Values{"state": {state}, "code": {code}}.Encode()
	}
	if code, body := getWith(t, cb(e, e.fake.IssueCode("T0002", "U0INSTALLER")), cookies...); code != 200 {
		t.Fatalf("first callback: %d %s", code, body)
	}
	exchanges := len(e.fake.Calls("oauth.v2.access"))
	for name, to := range map[string]*env{"same replica": e, "other replica": replica} {
		code, body := getWith(t, cb(to, e.fake.IssueCode("T0003", "U0ATTACKER")), cookies...)
		if code != http.StatusBadRequest || !strings.Contains(body, "already been used") {
			t.Errorf("replayed callback to the %s: %d %s", name, code, body)
		}
	}
	if n := len(e.fake.Calls("oauth.v2.access")); n != exchanges {
		t.Errorf("a replayed callback exchanged its code (%d more calls)", n-exchanges)
	}
	if _, err := e.st.Installation(ctx, "slack:T0003"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("installed by a replayed state: %v", err)
	}
	if in, err := e.st.Installation(ctx, "slack:T0002"); err != nil || in.InstalledBy != "U0INSTALLER" {
		t.Errorf("the first installation changed: %+v %v", in, err)
	}
	if w, err := e.st.Workspace(ctx, "slack:T0002"); err != nil || w.IsAdmin("U0ATTACKER") {
		t.Errorf("the replay made an admin: %+v %v", w, err)
	}
}

// TestRejectedRequestsAreCountedNotEachLogged: 10,000 unsigned POSTs are
// 10,000 in okrbot_slack_rejected_total and a line or two in the log.
func TestRejectedRequestsAreCountedNotEachLogged(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, nil, withRegistry(reg))
	h := e.srv.Config.Handler
	start := time.Now()
	const n = 10000
	for i := range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, slackbot.PathCommands, strings.NewReader(fmt.Sprintf("text=%d", i))))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	// And a hundred with a wrong signature: counted under their own reason.
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, fakeslack.SignedRequest("not-the-secret", slackbot.PathCommands, fakeslack.Form, []byte("text=x")))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("forged: %d", rec.Code)
		}
	}
	windows := 1 + int(time.Since(start)/(10*time.Second))
	lines := strings.Count(e.logs.String(), "slack request rejected")
	if lines < 2 || lines > 2*windows {
		t.Errorf("%d log lines for %d rejected requests (at most %d expected)", lines, n+100, 2*windows)
	}
	if got := counter(t, reg, "okrbot_slack_rejected_total", map[string]string{"reason": "missing_headers"}); got != n {
		t.Errorf("missing_headers counted %v, want %d", got, n)
	}
	if got := counter(t, reg, "okrbot_slack_rejected_total", map[string]string{"reason": "bad_signature"}); got != 100 {
		t.Errorf("bad_signature counted %v, want 100", got)
	}
	if _, err := e.st.Workspace(context.Background(), ws); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("rejected requests set up the workspace: %v", err)
	}
}

// TestSSLCheckIsAnsweredBeforeVerification: Slack's unsigned ssl_check=1
// gets a 200 and nothing else happens; ssl_check does not open the door to
// an unsigned command.
func TestSSLCheckIsAnsweredBeforeVerification(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, nil, withRegistry(reg))
	post := func(form url.Values) (int, string) {
		r, _ := http.NewRequest(http.MethodPost, e.srv.URL+slackbot.PathCommands, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", fakeslack.Form)
		return e.do(r)
	}
	if code, body := post(url.Values{"ssl_check": {"1"}, "token": {"deprecated-verification-token"}}); code != 200 || body != "" {
		t.Errorf("ssl_check: %d %q", code, body)
	}
	if strings.Contains(e.logs.String(), "rejected") || counter(t, reg, "okrbot_slack_rejected_total", nil) != 0 {
		t.Errorf("ssl_check was treated as a rejection")
	}
	cmd := e.fake.Command(team, "U0EVE", "C0GROWTH", "/okr", "create Steal the company")
	cmd.Set("ssl_check", "1")
	if code, _ := post(cmd); code != http.StatusUnauthorized {
		t.Errorf("an unsigned command with ssl_check=1: %d", code)
	}
	if len(e.fake.Calls("chat.postMessage")) != 0 || len(e.fake.Calls("users.info")) != 0 {
		t.Error("ssl_check made Slack calls")
	}
	if _, err := e.st.Workspace(context.Background(), ws); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("ssl_check set up the workspace: %v", err)
	}
}

// TestSlackEntitiesAreUnescaped: Slack sends "&", "<" and ">" typed in a
// command as &amp; &lt; &gt;: they are stored as typed, and the mentions
// Slack sends still parse.
func TestSlackEntitiesAreUnescaped(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.fake.AddUser(fakeslack.User{ID: "U0002", DisplayName: "Bob"})
	e.command("U0ADA", "C0GROWTH", "/okr create R&amp;D &lt;fast&gt; &amp;lt;b&amp;gt; for Q&amp;A")
	o, err := e.st.Objective(ctx, ws, "O-1")
	if err != nil || o.Title != "R&D <fast> &lt;b&gt; for Q&A" {
		t.Fatalf("title %q %v", o.Title, err)
	}
	if _, body := e.command("U0ADA", "C0GROWTH", "/okr kr add O-1 Ship the beta --owner <@U0002|bob>"); !strings.Contains(answerText(t, body), "KR-1") {
		t.Fatalf("kr add with a mention: %s", body)
	}
	if o, _ = e.st.Objective(ctx, ws, "O-1"); len(o.KeyResults) != 1 || o.KeyResults[0].Owner != "U0002" {
		t.Fatalf("the mention did not parse: %+v", o.KeyResults)
	}
	if _, body := e.command("U0ADA", "C0GROWTH", "/okr list <#C0GROWTH|growth>"); !strings.Contains(answerText(t, body), "O-1") {
		t.Errorf("list with a channel mention: %s", body)
	}
}

// TestChannelNamesFromSlack: context lines name channels as Slack does:
// from a command's channel_name, else conversations.info (cached), and a
// channel okrbot has no name for is a Slack channel reference, not "#C0…".
func TestChannelNamesFromSlack(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddChannel(fakeslack.Channel{ID: "C0GROWTH", Name: "growth", Member: true})
	e.fake.AddChannel(fakeslack.Channel{ID: "C0SALES", Name: "sales"})
	e.command("U0ADA", "C0GROWTH", "/okr create Grow the European market")
	e.command("U0ADA", "D0ADA", "/okr create Win enterprise deals --team <#C0SALES>")
	e.command("U0ADA", "D0ADA", "/okr create Hire well --team <#C0NOTSEEN>")
	for i := range 2 {
		_, body := e.command("U0ADA", "D0ADA", "/okr list all")
		text := answerText(t, body)
		for _, want := range []string{"#growth", "#sales", "<#C0NOTSEEN>"} {
			if !strings.Contains(text, want) {
				t.Errorf("list %d lacks %s: %s", i, want, text)
			}
		}
		if strings.Contains(strings.ReplaceAll(text, "<#C0NOTSEEN>", ""), "#C0") {
			t.Errorf("list %d shows a channel id: %s", i, text)
		}
	}
	asked := map[string]int{}
	for _, c := range e.fake.Calls("conversations.info") {
		asked[c.Params.Get("channel")]++
	}
	if asked["C0GROWTH"] != 0 || asked["C0SALES"] != 1 || asked["C0NOTSEEN"] != 1 {
		t.Errorf("conversations.info calls: %v (the command's channel_name and the cache should spare them)", asked)
	}
}

// TestPlainChannelNamesAreLookedUp: "#growth" typed as text (Slack sends
// it so when the command does not escape it) is found with
// conversations.list, across pages, and stored as the channel's id; a name
// Slack does not know is refused with an example, nothing created.
func TestPlainChannelNamesAreLookedUp(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 250 { // more than one page of 200
		e.fake.AddChannel(fakeslack.Channel{ID: fmt.Sprintf("C0A%03d", i), Name: fmt.Sprintf("chan-%03d", i)})
	}
	e.fake.AddChannel(fakeslack.Channel{ID: "C0GROWTH", Name: "growth", Member: true})
	e.fake.AddChannel(fakeslack.Channel{ID: "G0SECRET", Name: "secret", Private: true})
	if _, body := e.command("U0ADA", "D0ADA", "/okr create Lead objective --team #growth"); !strings.Contains(answerText(t, body), "Created O-1") {
		t.Fatalf("create --team #growth: %s", body)
	}
	o, err := e.st.Objective(context.Background(), ws, "O-1")
	if err != nil || o.Team != "C0GROWTH" {
		t.Fatalf("stored team %q (%v), want C0GROWTH", o.Team, err)
	}
	if _, body := e.command("U0ADA", "D0ADA", "/okr list #growth"); !strings.Contains(answerText(t, body), "Lead objective") {
		t.Errorf("list #growth: %s", answerText(t, body))
	}
	for _, name := range []string{"#nosuch", "#secret"} {
		_, body := e.command("U0ADA", "D0ADA", "/okr create Other objective --team "+name)
		if text := answerText(t, body); !strings.Contains(text, "There is no channel "+name) || !strings.Contains(text, "Example:") {
			t.Errorf("--team %s: %s", name, text)
		}
	}
	if _, err := e.st.Objective(context.Background(), ws, "O-2"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a refused channel created O-2: %v", err)
	}
	// conversations.list is Tier 2: one walk (two pages) answers every lookup.
	if n := len(e.fake.Calls("conversations.list")); n != 2 {
		t.Errorf("%d conversations.list calls, want 2", n)
	}
}

// TestARequestNotAdmittedCanBeSentAgain: a signed command that okrbot could
// not admit for now (Slack's auth.test too slow to answer) gets 503, and the
// same bytes sent again once Slack answers are handled, not dropped as a
// replay.
func TestARequestNotAdmittedCanBeSentAgain(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	down := make([]fakeslack.Scripted, 40)
	for i := range down {
		down[i] = fakeslack.Scripted{Status: http.StatusInternalServerError}
	}
	fake.Script("auth.test", down...)
	e := newEnvOn(t, fake, nil, nil)
	body := []byte(e.fake.Command(team, "U0ADA", "C0GROWTH", "/okr", "create Grow the European market").Encode())
	at := time.Now()
	send := func() (int, string) {
		return e.do(fakeslack.SignedRequestAt(secret, e.srv.URL+slackbot.PathCommands, fakeslack.Form, body, at))
	}
	if code, _ := send(); code != http.StatusServiceUnavailable {
		t.Fatalf("with auth.test too slow: %d, want 503", code)
	}
	for range down { // Slack answers again: the rest of the script is used up
		req, _ := http.NewRequest("POST", fake.APIURL+"auth.test", nil)
		req.Header.Set("Authorization", "Bearer "+fake.Team(team).Token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == 200 {
			break
		}
	}
	if code, answer := send(); code != 200 || !strings.Contains(answer, "O-1") {
		t.Fatalf("sent again: %d %q", code, answer)
	}
	if code, answer := send(); code != 200 || answer != "" {
		t.Errorf("a replay of the handled request: %d %q", code, answer)
	}
}
