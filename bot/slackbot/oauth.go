package slackbot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/domain"
)

// stateLife is how long an install link's state is valid.
const stateLife = 10 * time.Minute

// stateCookie binds an install's state to the browser that started it.
const stateCookie = "okrbot_slack_oauth"

type oauthConfig struct {
	clientID, clientSecret string
	key                    []byte // signs the state; derived from the client secret
	authorizeURL           string
}

func newOAuthConfig(cfg Config) *oauthConfig {
	mac := hmac.New(sha256.New, []byte(cfg.ClientSecret))
	mac.Write([]byte("okrbot/slack-oauth-state/v1"))
	// Slack's authorize page lives beside its Web API: https://slack.com/oauth/v2/authorize.
	base := strings.TrimSuffix(strings.TrimSuffix(cfg.APIURL, "/"), "/api")
	return &oauthConfig{
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret, key: mac.Sum(nil),
		authorizeURL: base + "/oauth/v2/authorize",
	}
}

type oauthState struct {
	Nonce   string `json:"n"`
	Expires int64  `json:"e"`
}

func (o *oauthConfig) sign(st oauthState) string {
	p, _ := json.Marshal(st)
	mac := hmac.New(sha256.New, o.key)
	mac.Write(p)
	return base64.RawURLEncoding.EncodeToString(p) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

var errBadState = errors.New("the install link is invalid or has expired")

// verify checks a state's signature, expiry and that the browser's cookie
// holds its nonce, and returns the nonce.
func (o *oauthConfig) verify(s, cookieNonce string, now time.Time) (string, error) {
	p64, sig64, ok := strings.Cut(s, ".")
	if !ok {
		return "", errBadState
	}
	p, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil {
		return "", errBadState
	}
	mac := hmac.New(sha256.New, o.key)
	mac.Write(p)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return "", errBadState
	}
	var st oauthState
	if json.Unmarshal(p, &st) != nil || now.Unix() > st.Expires || st.Nonce == "" {
		return "", errBadState
	}
	if subtle.ConstantTimeCompare([]byte(st.Nonce), []byte(cookieNonce)) != 1 {
		return "", errBadState
	}
	return st.Nonce, nil
}

func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// serveInstall answers GET /slack/install: a redirect to Slack's authorize
// page with okrbot's bot scopes and a signed, short-lived state bound to
// this browser by a cookie.
func (b *Bot) serveInstall(w http.ResponseWriter, r *http.Request) {
	n := make([]byte, 16)
	rand.Read(n)
	nonce := base64.RawURLEncoding.EncodeToString(n)
	state := b.oauth.sign(oauthState{Nonce: nonce, Expires: b.now().Add(stateLife).Unix()})
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: nonce, Path: "/slack/oauth", MaxAge: int(stateLife / time.Second),
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode,
	})
	q := url.Values{"client_id": {b.oauth.clientID}, "scope": {strings.Join(BotScopes, ",")}, "state": {state}}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, b.oauth.authorizeURL+"?"+q.Encode(), http.StatusFound)
}

// serveOAuthCallback answers GET /slack/oauth/callback: checks the state,
// exchanges the code with oauth.v2.access, stores the installation (its
// token encrypted), sets up the workspace with the installer as its admin,
// and says so in a small page.
func (b *Bot) serveOAuthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Cache-Control", "no-store")
	if q.Get("error") != "" {
		page(w, http.StatusBadRequest, "Installation cancelled", "okrbot was not installed. You can start again from the install link.")
		return
	}
	cookie, _ := r.Cookie(stateCookie)
	nonce := ""
	if cookie != nil {
		nonce = cookie.Value
	}
	nonce, err := b.oauth.verify(q.Get("state"), nonce, b.now())
	if err != nil || q.Get("code") == "" {
		b.rejectedAt(r.URL.Path, r.RemoteAddr, reasonBadState)
		page(w, http.StatusBadRequest, "This install link has expired", "Please start the installation again from the install link.")
		return
	}
	ctx := r.Context()
	// A state is good for one installation: the first callback to claim it
	// in the store wins, on whichever replica, and a replay (same state
	// and cookie, another code) is refused. The claim is kept for longer
	// than the state lives (remembered keys are cleaned up after a week),
	// after which the state's own expiry refuses it.
	stateKey := "slack/oauth-state/" + nonce
	first, err := b.store.Remember(ctx, stateKey)
	if err != nil {
		b.log.Error("slack oauth state not recorded", "err", err)
		page(w, http.StatusServiceUnavailable, "The installation could not be started", "Please try again in a moment.")
		return
	}
	if !first {
		b.rejectedAt(r.URL.Path, r.RemoteAddr, reasonStateReused)
		page(w, http.StatusBadRequest, "This install link has already been used", "Please start the installation again from the install link.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/slack/oauth", MaxAge: -1, HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode})
	resp, err := slack.GetOAuthV2ResponseContext(ctx, &doer{b: b, team: "oauth"}, b.oauth.clientID, b.oauth.clientSecret, q.Get("code"), "", slack.OAuthOptionAPIURL(b.apiURL))
	if err != nil {
		b.log.Warn("slack oauth.v2.access failed", "err", safeErr(err))
		// Nothing was installed: the same callback may be tried again.
		b.store.Forget(context.WithoutCancel(ctx), stateKey)
		page(w, http.StatusBadGateway, "Slack did not confirm the installation", "Please try again in a moment.")
		return
	}
	if resp.IsEnterpriseInstall || resp.Team.ID == "" || resp.AccessToken == "" || (resp.TokenType != "" && resp.TokenType != "bot") {
		page(w, http.StatusBadRequest, "This kind of installation is not supported", "Install okrbot into one workspace (organisation-wide installs are not supported).")
		return
	}
	ws := domain.WorkspaceID(domain.Slack, resp.Team.ID)
	in := domain.Installation{
		WorkspaceID: ws, TeamID: resp.Team.ID, TeamName: resp.Team.Name, EnterpriseID: resp.Enterprise.ID,
		BotToken: resp.AccessToken, BotUserID: resp.BotUserID, AppID: resp.AppID, Scope: resp.Scope,
		InstalledBy: resp.AuthedUser.ID, InstalledAt: b.now(),
	}
	if err := b.store.SaveInstallation(ctx, in); err != nil {
		b.log.Error("slack installation not saved", "team", resp.Team.ID, "err", err)
		page(w, http.StatusInternalServerError, "The installation could not be saved", "okrbot's operator needs to check its logs.")
		return
	}
	b.forgetClient(resp.Team.ID)
	if got, err := b.store.EnsureWorkspace(ctx, domain.Workspace{
		ID: ws, Platform: domain.Slack, ExternalID: resp.Team.ID, Name: resp.Team.Name,
		Settings: domain.DefaultSettings(b.cfg.TimeZone), CreatedAt: b.now(),
	}); err != nil {
		b.log.Error("slack workspace not set up", "team", resp.Team.ID, "err", err)
	} else {
		if got.Name != resp.Team.Name && resp.Team.Name != "" { // installed again after a rename, or first met before the install
			if err := b.store.NameWorkspace(ctx, ws, resp.Team.Name); err != nil {
				b.log.Warn("slack workspace name not recorded", "team", resp.Team.ID, "err", err)
			}
		}
		if resp.AuthedUser.ID != "" {
			if err := b.store.AddAdmin(ctx, ws, resp.AuthedUser.ID); err != nil {
				b.log.Error("slack installer not made admin", "team", resp.Team.ID, "err", err)
			}
		}
	}
	b.log.Info("okrbot installed in a slack workspace", "team", resp.Team.ID, "team_name", resp.Team.Name, "installed_by", resp.AuthedUser.ID)
	page(w, http.StatusOK, "okrbot is installed in "+resp.Team.Name, "Type /okr help in any channel to start. The person who installed it is okrbot's admin in this workspace.")
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}h1{font-size:1.4rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

// page writes a small HTML page; html/template escapes the workspace name.
func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct{ Title, Text string }{title, text})
}
