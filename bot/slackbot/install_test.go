package slackbot_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/storage/storagetest"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func getWith(t *testing.T, u string, cookies ...*http.Cookie) (int, string) {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, u, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	resp, err := noRedirect.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOAuthInstall: the install link, the callback's checks, the stored
// (encrypted) installation, the installer as admin, per-workspace tokens,
// and uninstalling.
func TestOAuthInstall(t *testing.T) {
	e := newEnv(t, nil, func(c *slackbot.Config) { c.ClientID, c.ClientSecret = "cid", "csecret" })
	if err := e.st.SetTokenKey([]byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	globex := e.fake.AddTeam(fakeslack.Team{ID: "T0002", Name: "Globex <script>"})

	resp, err := noRedirect.Get(e.srv.URL + slackbot.PathInstall)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Path != "/oauth/v2/authorize" || loc.Query().Get("client_id") != "cid" || loc.Query().Get("state") == "" {
		t.Fatalf("install = %d %s", resp.StatusCode, loc)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly {
		t.Fatalf("cookies %+v", cookies)
	}
	state := loc.Query().Get("state")
	cb := func(state, code string) string {
		return e.srv.URL + slackbot.PathOAuthCallback + "?" + url.Values{"state": {state}, "code": {code}}.Encode()
	}
	// A forged or foreign state, or no cookie: refused, nothing stored.
	for name, try := range map[string]func() (int, string){
		"tampered state": func() (int, string) {
			return getWith(t, cb(state[:len(state)-2]+"xx", e.fake.IssueCode("T0002", "U0EVE")), cookies...)
		},
		"no cookie": func() (int, string) { return getWith(t, cb(state, e.fake.IssueCode("T0002", "U0EVE"))) },
		"other browser": func() (int, string) {
			return getWith(t, cb(state, e.fake.IssueCode("T0002", "U0EVE")), &http.Cookie{Name: cookies[0].Name, Value: "someone-else"})
		},
	} {
		if code, _ := try(); code != http.StatusBadRequest {
			t.Errorf("%s: %d", name, code)
		}
	}
	if _, err := e.st.Installation(ctx, "slack:T0002"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("installed by a refused callback: %v", err)
	}

	code, body := getWith(t, cb(state, e.fake.IssueCode("T0002", "U0INSTALLER")), cookies...)
	if code != 200 || !strings.Contains(body, "Globex &lt;script&gt;") {
		t.Fatalf("callback = %d %s", code, body)
	}
	in, err := e.st.Installation(ctx, "slack:T0002")
	if err != nil || in.BotToken != globex.Token || in.InstalledBy != "U0INSTALLER" {
		t.Fatalf("installation: %+v %v", in, err)
	}
	// That the token is stored encrypted is the stores' business, tested by
	// storage/conformance (InstallationTokensAreEncrypted).
	w, err := e.st.Workspace(ctx, "slack:T0002")
	if err != nil || !w.IsAdmin("U0INSTALLER") {
		t.Fatalf("workspace: %+v %v", w, err)
	}
	// Commands from the new workspace are answered with its own token.
	if code, body := e.post(slackbot.PathCommands, e.fake.Command("T0002", "U0G", "C0G", "/okr", "create Globex goal")); code != 200 || !strings.Contains(body, "O-1") {
		t.Fatalf("command from T0002 = %d %s", code, body)
	}
	var t2 bool
	for _, c := range e.fake.Calls("") {
		t2 = t2 || c.Team == "T0002"
	}
	if !t2 {
		t.Error("no call made with T0002's token")
	}
	// Uninstalled: the installation goes, the data stays.
	ev, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T0002", "event_id": "Ev1",
		"event": map[string]any{"type": "app_uninstalled"}})
	if code, _ := e.do(fakeslack.SignedRequest(secret, e.srv.URL+slackbot.PathEvents, "application/json", ev)); code != 200 {
		t.Fatal(code)
	}
	eventually(t, "uninstall", func() bool {
		_, err := e.st.Installation(ctx, "slack:T0002")
		return domain.ErrorCode(err) == domain.ENOTFOUND
	})
	if _, err := e.st.Objective(ctx, "slack:T0002", "O-1"); err != nil {
		t.Errorf("data gone after uninstall: %v", err)
	}
}

// TestEvents: the URL challenge, the App Home, and a retried event with one effect.
func TestEvents(t *testing.T) {
	e := newEnv(t, nil)
	post := func(v any, retry string) (int, string) {
		b, _ := json.Marshal(v)
		r := fakeslack.SignedRequest(secret, e.srv.URL+slackbot.PathEvents, "application/json", b)
		if retry != "" {
			r.Header.Set("X-Slack-Retry-Num", retry)
			r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		return e.do(r)
	}
	if code, body := post(map[string]any{"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}, ""); code != 200 || !strings.Contains(body, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") {
		t.Fatalf("challenge = %d %s", code, body)
	}
	home := map[string]any{"type": "event_callback", "team_id": team, "event_id": "Ev0HOME",
		"event": map[string]any{"type": "app_home_opened", "user": "U0ADA", "tab": "home"}}
	for i, retry := range []string{"", "1", "2"} {
		if code, _ := post(home, retry); code != 200 {
			t.Fatalf("delivery %d: %d", i, code)
		}
	}
	eventually(t, "App Home", func() bool { _, ok := e.fake.Home(team, "U0ADA"); return ok })
	v, _ := e.fake.Home(team, "U0ADA")
	if err := fakeslack.CheckView(v.JSON); err != nil || !strings.Contains(string(v.JSON), "Your OKRs") {
		t.Errorf("home view: %v %s", err, v.JSON)
	}
	if n := len(e.fake.Calls("views.publish")); n != 1 || v.Updates != 0 {
		t.Errorf("an event delivered three times published the home %d times", n)
	}
}

// TestWorkspaceNamedFromSlack: in single-workspace mode the team's name
// comes from auth.test and is stored with the workspace (what an export
// writes) when the first request sets it up, and also for a workspace
// okrbot had met before without a name, or by an older name.
func TestWorkspaceNamedFromSlack(t *testing.T) {
	ctx := context.Background()
	for _, before := range []string{"", "-", "Acme (old name)"} {
		st := storagetest.Open(t, nil)
		fake := fakeslack.New(t, fakeslack.Options{})
		want := fake.Team(team).Name
		if want == "" {
			t.Fatal("the fake team has no name")
		}
		if before != "-" {
			if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: "slack:" + team, Platform: domain.Slack, ExternalID: team, Name: before,
				Settings: domain.DefaultSettings("Europe/Paris")}); err != nil {
				t.Fatal(err)
			}
		}
		e := newEnvOn(t, fake, st, nil)
		if before == "-" { // set up by the first request
			if _, err := st.Workspace(ctx, "slack:"+team); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Fatalf("set up before any request: %v", err)
			}
			e.command("U0ADA", "C0GROWTH", "/okr help")
		}
		ws, err := st.Workspace(ctx, "slack:"+team)
		if err != nil || ws.Name != want {
			t.Errorf("before %q: %+v %v", before, ws, err)
		}
		if before != "-" && ws.Settings.TimeZone != "Europe/Paris" {
			t.Errorf("settings changed: %+v", ws.Settings)
		}
	}
}
