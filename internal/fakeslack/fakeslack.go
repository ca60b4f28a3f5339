// Package fakeslack is a local server that plays Slack's Web API for tests:
// the methods okrbot's adapter and sender call, token checks, a response_url
// endpoint, files upload v2, OAuth, Socket Mode, per-method rate limits with
// Retry-After (and a record of any call made inside a Retry-After window),
// and deterministic fault injection. It records every call for assertions.
//
// It is test support: production code never imports it. It is safe for
// concurrent use and cheap enough for a fan-out of thousands of messages.
package fakeslack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Limit is a token bucket: Burst calls, refilled at Rate calls per second.
type Limit struct {
	Rate  float64
	Burst int
}

// Options configure a Server. Zero values: no limits, no faults.
type Options struct {
	// Seed makes fault injection deterministic.
	Seed uint64
	// Limits enforced per workspace and method ("chat.postMessage").
	Limits map[string]Limit
	// ChannelLimit is enforced per channel on chat.postMessage (zero: none).
	ChannelLimit Limit
	// Fault429 and Fault500 are the fractions of calls answered 429 (with
	// Retry-After) or 500, before any processing.
	Fault429, Fault500 float64
	// FaultMethods limits fault injection to these methods (nil: all).
	FaultMethods []string
	// RetryAfter is the Retry-After of a 429; 1 s when zero. It is sent in
	// whole seconds, as Slack does.
	RetryAfter time.Duration
	// Grace is how long after a 429 a call still counts as having been in
	// flight when it was sent (not a violation); 250 ms when zero.
	Grace time.Duration
	// StrictUsers makes users.info answer user_not_found for users not added
	// with AddUser; by default any user id answers with a made-up profile.
	StrictUsers bool
	// ClientID and ClientSecret of the OAuth app oauth.v2.access accepts.
	ClientID, ClientSecret string
}

// Team is a workspace on the fake Slack.
type Team struct {
	ID, Name  string
	Token     string // bot token (xoxb-…)
	BotUserID string
	BotID     string
	AppID     string
}

// User is a person on the fake Slack.
type User struct {
	ID, Team       string
	Name, RealName string
	DisplayName    string
	TZ             string
	Admin, Owner   bool
}

// Channel is a conversation on the fake Slack, as conversations.info
// describes it. Member says whether okrbot's bot user is in it; a private
// channel okrbot is not in is channel_not_found to it, as on Slack.
type Channel struct {
	ID, Team string
	Name     string
	Private  bool
	Member   bool
}

// Call is one recorded Web API call.
type Call struct {
	Method string
	Team   string
	At     time.Time
	Status int    // HTTP status of the answer
	Error  string // Slack's error code when the answer was ok:false
	Params url.Values
}

// Message is a message the fake Slack holds.
type Message struct {
	Channel   string
	TS        string
	User      string // the bot's user id for bot messages
	BotID     string
	Text      string
	Blocks    json.RawMessage
	Metadata  *Metadata
	Ephemeral bool   // chat.postEphemeral
	To        string // the user an ephemeral message is for
	Files     []string
	Mrkdwn    string // the mrkdwn parameter as sent
}

// Metadata is a message's metadata.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Violation is a call made to a method inside its Retry-After window.
type Violation struct {
	Method, Team string
	At, Until    time.Time
}

// View is a modal or App Home view.
type View struct {
	ID, Team, User string
	Type           string
	JSON           json.RawMessage
	Updates        int
}

// Upload is a file uploaded with files upload v2.
type Upload struct {
	ID, Name, Title, Channel, ThreadTS string
	Bytes                              []byte
	Completed                          bool
}

// ResponsePost is a post to a response_url.
type ResponsePost struct {
	Path string
	Body json.RawMessage
	At   time.Time
}

// Server is the fake Slack.
type Server struct {
	URL    string // base URL, e.g. http://127.0.0.1:1234
	APIURL string // URL + "/api/": SLACK_API_URL

	srv  *httptest.Server
	opts Options

	mu          sync.Mutex
	rng         *rand.Rand
	teams       map[string]*Team // id ->
	tokens      map[string]string
	appTokens   map[string]string
	users       map[string]User    // team/user ->
	channels    map[string]Channel // team/channel ->
	messages    map[string][]*Message
	channelErr  map[string]string
	calls       []Call
	buckets     map[string]*bucket
	windows     map[string]window
	violations  []Violation
	triggers    map[string]time.Time
	views       map[string]*View
	homes       map[string]*View // team/user ->
	uploads     map[string]*Upload
	responses   []ResponsePost
	codes       map[string][2]string // OAuth code -> team, user
	seq         int
	slowMethods map[string]time.Duration
	scripts     map[string][]Scripted
	sockets     *socketHub
}

type bucket struct {
	tokens float64
	last   time.Time
}

type window struct{ start, until time.Time }

// New starts a fake Slack for the test (stopped at its end) with one team,
// T0001 "Acme" with bot token "xoxb-fake-T0001".
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake Slack; Close stops it.
func NewServer(opts Options) *Server {
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Grace <= 0 {
		opts.Grace = 250 * time.Millisecond
	}
	s := &Server{
		opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		teams: map[string]*Team{}, tokens: map[string]string{}, appTokens: map[string]string{},
		users: map[string]User{}, channels: map[string]Channel{}, messages: map[string][]*Message{}, channelErr: map[string]string{},
		buckets: map[string]*bucket{}, windows: map[string]window{}, triggers: map[string]time.Time{},
		views: map[string]*View{}, homes: map[string]*View{}, uploads: map[string]*Upload{},
		codes: map[string][2]string{}, slowMethods: map[string]time.Duration{}, scripts: map[string][]Scripted{},
	}
	s.sockets = newSocketHub(s)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	mux.HandleFunc("POST /response/{id}", s.serveResponse)
	mux.HandleFunc("POST /redirect/{status}", s.serveRedirect)
	mux.HandleFunc("GET /oauth/v2/authorize", s.serveAuthorize)
	mux.HandleFunc("GET /socket", s.sockets.serve)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.APIURL = s.srv.URL + "/api/"
	s.AddTeam(Team{ID: "T0001", Name: "Acme"})
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.sockets.close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AddTeam adds a workspace (or replaces one); empty fields get defaults:
// token "xoxb-fake-<id>", bot user "U0BOT<id>".
func (s *Server) AddTeam(t Team) *Team {
	if t.Token == "" {
		t.Token = "xoxb-fake-" + t.ID
	}
	if t.BotUserID == "" {
		t.BotUserID = "UBOT" + t.ID
	}
	if t.BotID == "" {
		t.BotID = "BBOT" + t.ID
	}
	if t.AppID == "" {
		t.AppID = "A0OKRBOT"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[t.ID] = &t
	s.tokens[t.Token] = t.ID
	return &t
}

// Team returns a workspace.
func (s *Server) Team(id string) Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.teams[id]; t != nil {
		return *t
	}
	return Team{}
}

// AppToken registers an app-level token (xapp-…) for Socket Mode.
func (s *Server) AppToken(token, team string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appTokens[token] = team
}

// RevokeToken makes a token answer invalid_auth.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// AddUser adds a person (team defaults to T0001, tz to UTC).
func (s *Server) AddUser(u User) {
	if u.Team == "" {
		u.Team = "T0001"
	}
	if u.TZ == "" {
		u.TZ = "UTC"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Team+"/"+u.ID] = u
}

// AddChannel adds a channel (or replaces one; team defaults to T0001), which
// conversations.info describes and commands typed there name. Inviting or
// removing okrbot is AddChannel again with Member changed.
func (s *Server) AddChannel(c Channel) {
	if c.Team == "" {
		c.Team = "T0001"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.Team+"/"+c.ID] = c
}

// FailChannel makes chat.postMessage to channel answer ok:false with code
// ("not_in_channel", "channel_not_found", …); "" clears it.
func (s *Server) FailChannel(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.channelErr, channel)
		return
	}
	s.channelErr[channel] = code
}

// Scripted is a scripted answer to one call: an HTTP status (429 opens a
// Retry-After window, as a refused call does), and for a 429 the
// Retry-After (1 s when zero).
type Scripted struct {
	Status     int
	RetryAfter time.Duration
}

// Script makes the next calls of method answer as scripted, one answer per
// call, before any other rule; later calls are answered as usual.
func (s *Server) Script(method string, answers ...Scripted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[method] = append(s.scripts[method], answers...)
}

// Slow makes a method take d before answering.
func (s *Server) Slow(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slowMethods[method] = d
}

// NewTrigger returns a trigger_id that can open a modal for 3 seconds.
func (s *Server) NewTrigger() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("%d.%d.trigger%d", time.Now().Unix(), s.seq, s.seq)
	s.triggers[id] = time.Now()
	return id
}

// ResponseURL returns a new response_url on this server.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s/response/R%d", s.URL, s.seq)
}

// RedirectURL returns a URL on this server that answers a POST with a
// redirect (status 301, 302, 307 or 308) to to: a response_url on Slack's
// host that points elsewhere, which okrbot must not follow.
func (s *Server) RedirectURL(status int, to string) string {
	return fmt.Sprintf("%s/redirect/%d?to=%s", s.URL, status, url.QueryEscape(to))
}

func (s *Server) serveRedirect(w http.ResponseWriter, r *http.Request) {
	status, _ := strconv.Atoi(r.PathValue("status"))
	if status < 300 || status > 399 {
		status = http.StatusFound
	}
	s.mu.Lock()
	s.responses = append(s.responses, ResponsePost{Path: r.URL.Path, At: time.Now()})
	s.mu.Unlock()
	w.Header().Set("Location", r.URL.Query().Get("to"))
	w.WriteHeader(status)
}

// IssueCode returns an OAuth code that oauth.v2.access exchanges for team's
// bot token, installed by user.
func (s *Server) IssueCode(team, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	c := fmt.Sprintf("code-%d", s.seq)
	s.codes[c] = [2]string{team, user}
	return c
}

// Calls returns the recorded calls of a method ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages in a channel (a DM is "D"+user id), oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// AllMessages returns every message, by channel.
func (s *Server) AllMessages() map[string][]Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]Message{}
	for ch, ms := range s.messages {
		for _, m := range ms {
			out[ch] = append(out[ch], *m)
		}
	}
	return out
}

// DMChannel is the DM channel id of a user on the fake Slack.
func DMChannel(user string) string { return "D" + user }

// Violations returns the calls made inside a Retry-After window.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// Views returns the modals opened, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.views {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// View returns a modal by id.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[id]
	if !ok {
		return View{}, false
	}
	return *v, true
}

// Home returns the App Home view published for a user.
func (s *Server) Home(team, user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.homes[team+"/"+user]
	if !ok {
		return View{}, false
	}
	return *v, true
}

// Uploads returns the uploaded files.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Upload
	for _, u := range s.uploads {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Responses returns the posts to response_urls.
func (s *Server) Responses() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResponsePost(nil), s.responses...)
}

// answer writes a JSON answer.
func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type obj = map[string]any

func fail(code string) obj { return obj{"ok": false, "error": code} }

// params reads a call's parameters, form-encoded or JSON.
func params(r *http.Request) (url.Values, map[string]json.RawMessage) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]json.RawMessage
		b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		json.Unmarshal(b, &m)
		v := url.Values{}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				v.Set(k, s)
			} else {
				v.Set(k, string(raw))
			}
		}
		if q := r.URL.Query(); len(q) > 0 {
			for k, vs := range q {
				v[k] = vs
			}
		}
		return v, m
	}
	r.ParseForm()
	return r.Form, nil
}

func bearer(r *http.Request, v url.Values) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	return v.Get("token")
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	v, raw := params(r)
	token := bearer(r, v)
	v.Del("token")
	now := time.Now()
	s.mu.Lock()
	team := s.tokens[token]
	if method == "apps.connections.open" {
		team = s.appTokens[token]
	}
	slow := s.slowMethods[method]
	var scripted *Scripted
	// A call inside a Retry-After window is refused (and recorded) as
	// usual: scripts answer the calls after it.
	if q := s.scripts[method]; len(q) > 0 && team != "" && !now.Before(s.windows[team+"/"+method].until) {
		scripted, s.scripts[method] = &q[0], q[1:]
		if scripted.Status == http.StatusTooManyRequests {
			ra := scripted.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			s.windows[team+"/"+method] = window{start: now, until: now.Add(ra)}
		}
	}
	s.mu.Unlock()
	if slow > 0 {
		time.Sleep(slow)
	}
	rec := func(status int, body obj) {
		c := Call{Method: method, Team: team, At: now, Status: status, Params: v}
		if body != nil {
			if ok, _ := body["ok"].(bool); !ok {
				c.Error, _ = body["error"].(string)
			}
		}
		s.mu.Lock()
		s.calls = append(s.calls, c)
		s.mu.Unlock()
		if status == http.StatusInternalServerError {
			http.Error(w, "<html>internal error</html>", status)
			return
		}
		answer(w, status, body)
	}
	if method == "oauth.v2.access" {
		rec(http.StatusOK, s.oauthAccess(v, r))
		return
	}
	if team == "" {
		rec(http.StatusOK, fail("invalid_auth"))
		return
	}
	if scripted != nil {
		switch scripted.Status {
		case http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(scripted.RetryAfter, time.Second).Seconds()))))
			rec(http.StatusTooManyRequests, fail("ratelimited"))
		default:
			rec(scripted.Status, nil)
		}
		return
	}
	if ra, limited := s.admit(team, method, v.Get("channel"), now); limited {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		rec(http.StatusTooManyRequests, fail("ratelimited"))
		return
	}
	if s.fault500(method) {
		rec(http.StatusInternalServerError, nil)
		return
	}
	rec(http.StatusOK, s.handle(method, team, v, raw, now))
}

// admit applies faults, windows and limits: it returns the Retry-After (in
// seconds) of a call it refuses.
func (s *Server) admit(team, method, channel string, now time.Time) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ra := int(math.Ceil(s.opts.RetryAfter.Seconds()))
	k := team + "/" + method
	if win, ok := s.windows[k]; ok && now.Before(win.until) {
		if now.Sub(win.start) > s.opts.Grace {
			s.violations = append(s.violations, Violation{Method: method, Team: team, At: now, Until: win.until})
		}
		return max(1, int(math.Ceil(win.until.Sub(now).Seconds()))), true
	}
	refuse := func() (int, bool) {
		s.windows[k] = window{start: now, until: now.Add(time.Duration(ra) * time.Second)}
		return ra, true
	}
	if s.opts.Fault429 > 0 && s.faulty(method) && s.rng.Float64() < s.opts.Fault429 {
		return refuse()
	}
	if l, ok := s.opts.Limits[method]; ok && !s.take(k, l, now) {
		return refuse()
	}
	if method == "chat.postMessage" && s.opts.ChannelLimit.Rate > 0 && channel != "" {
		if !s.take(k+"/"+channel, s.opts.ChannelLimit, now) {
			return refuse()
		}
	}
	return 0, false
}

func (s *Server) faulty(method string) bool {
	if s.opts.FaultMethods == nil {
		return true
	}
	for _, m := range s.opts.FaultMethods {
		if m == method {
			return true
		}
	}
	return false
}

func (s *Server) fault500(method string) bool {
	if s.opts.Fault500 <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faulty(method) && s.rng.Float64() < s.opts.Fault500
}

func (s *Server) take(k string, l Limit, now time.Time) bool {
	b := s.buckets[k]
	if b == nil {
		b = &bucket{tokens: float64(max(l.Burst, 1)), last: now}
		s.buckets[k] = b
	}
	b.tokens = math.Min(float64(max(l.Burst, 1)), b.tokens+now.Sub(b.last).Seconds()*l.Rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (s *Server) nextTS(now time.Time) string {
	s.seq++
	return fmt.Sprintf("%d.%06d", now.Unix(), s.seq%1000000)
}

func (s *Server) handle(method, team string, v url.Values, raw map[string]json.RawMessage, now time.Time) obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[team]
	switch method {
	case "auth.test":
		return obj{"ok": true, "url": "https://" + strings.ToLower(t.Name) + ".slack.com/", "team": t.Name, "user": "okrbot",
			"team_id": t.ID, "user_id": t.BotUserID, "bot_id": t.BotID}
	case "users.info":
		id := v.Get("user")
		u, ok := s.users[team+"/"+id]
		if !ok {
			if s.opts.StrictUsers || id == "" {
				return fail("user_not_found")
			}
			u = User{ID: id, Team: team, Name: strings.ToLower(id), TZ: "UTC"}
		}
		return obj{"ok": true, "user": obj{
			"id": u.ID, "team_id": u.Team, "name": u.Name, "real_name": u.RealName, "tz": u.TZ,
			"is_admin": u.Admin, "is_owner": u.Owner,
			"profile": obj{"display_name": u.DisplayName, "real_name": u.RealName},
		}}
	case "conversations.info":
		c, ok := s.channels[team+"/"+v.Get("channel")]
		if !ok || c.Private && !c.Member {
			return fail("channel_not_found")
		}
		return obj{"ok": true, "channel": obj{
			"id": c.ID, "name": c.Name, "is_channel": !c.Private, "is_group": c.Private, "is_private": c.Private,
			"is_member": c.Member, "context_team_id": c.Team,
		}}
	case "conversations.list":
		return s.list(team, v)
	case "chat.postMessage", "chat.postEphemeral":
		return s.post(method, t, v, now)
	case "conversations.open":
		users := strings.Split(v.Get("users"), ",")
		if len(users) != 1 || users[0] == "" {
			return fail("invalid_arguments")
		}
		return obj{"ok": true, "channel": obj{"id": DMChannel(users[0])}}
	case "conversations.history":
		return s.history(v)
	case "views.open":
		ts, ok := s.triggers[v.Get("trigger_id")]
		if !ok {
			return fail("invalid_trigger_id")
		}
		if now.Sub(ts) > 3*time.Second {
			return fail("expired_trigger_id")
		}
		delete(s.triggers, v.Get("trigger_id"))
		if err := checkView(raw["view"], 100); err != "" {
			return obj{"ok": false, "error": "invalid_arguments", "response_metadata": obj{"messages": []string{err}}}
		}
		s.seq++
		view := &View{ID: fmt.Sprintf("V%06d", s.seq), Team: team, Type: "modal", JSON: raw["view"]}
		s.views[view.ID] = view
		return obj{"ok": true, "view": viewObj(view)}
	case "views.update":
		view, ok := s.views[v.Get("view_id")]
		if !ok {
			return fail("not_found")
		}
		if err := checkView(raw["view"], 100); err != "" {
			return obj{"ok": false, "error": "invalid_arguments", "response_metadata": obj{"messages": []string{err}}}
		}
		view.JSON, view.Updates = raw["view"], view.Updates+1
		return obj{"ok": true, "view": viewObj(view)}
	case "views.publish":
		if err := checkView(raw["view"], 100); err != "" {
			return obj{"ok": false, "error": "invalid_arguments", "response_metadata": obj{"messages": []string{err}}}
		}
		k := team + "/" + v.Get("user_id")
		h := s.homes[k]
		if h == nil {
			s.seq++
			h = &View{ID: fmt.Sprintf("VH%06d", s.seq), Team: team, User: v.Get("user_id"), Type: "home"}
			s.homes[k] = h
		} else {
			h.Updates++
		}
		h.JSON = raw["view"]
		return obj{"ok": true, "view": viewObj(h)}
	case "files.getUploadURLExternal":
		n, _ := strconv.Atoi(v.Get("length"))
		if v.Get("filename") == "" || n <= 0 {
			return fail("invalid_arguments")
		}
		s.seq++
		id := fmt.Sprintf("F%06d", s.seq)
		s.uploads[id] = &Upload{ID: id, Name: v.Get("filename")}
		return obj{"ok": true, "upload_url": s.URL + "/upload/" + id, "file_id": id}
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		json.Unmarshal([]byte(v.Get("files")), &files)
		var out []obj
		for _, f := range files {
			u := s.uploads[f.ID]
			if u == nil || u.Bytes == nil {
				return fail("file_not_found")
			}
			u.Completed, u.Title, u.Channel, u.ThreadTS = true, f.Title, v.Get("channel_id"), v.Get("thread_ts")
			out = append(out, obj{"id": f.ID, "title": f.Title})
			if ch := v.Get("channel_id"); ch != "" {
				s.messages[ch] = append(s.messages[ch], &Message{Channel: ch, TS: s.nextTS(now), User: t.BotUserID, BotID: t.BotID, Files: []string{f.ID}})
			}
		}
		return obj{"ok": true, "files": out}
	case "apps.connections.open":
		return obj{"ok": true, "url": "ws" + strings.TrimPrefix(s.URL, "http") + "/socket"}
	}
	return fail("unknown_method")
}

func viewObj(v *View) obj {
	var m obj
	json.Unmarshal(v.JSON, &m)
	if m == nil {
		m = obj{}
	}
	m["id"], m["team_id"] = v.ID, v.Team
	return m
}

func (s *Server) post(method string, t *Team, v url.Values, now time.Time) obj {
	ch := v.Get("channel")
	if ch == "" {
		return fail("channel_not_found")
	}
	if code := s.channelErr[ch]; code != "" {
		return fail(code)
	}
	if strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") {
		if method == "chat.postEphemeral" {
			return fail("channel_not_found")
		}
		ch = DMChannel(ch)
	}
	blocks := json.RawMessage(v.Get("blocks"))
	if len(blocks) > 0 {
		if err := CheckBlocks(blocks, 50); err != nil {
			return obj{"ok": false, "error": "invalid_blocks", "response_metadata": obj{"messages": []string{err.Error()}}}
		}
	} else if v.Get("text") == "" {
		return fail("no_text")
	}
	if len(v.Get("text")) > 40000 {
		return fail("msg_too_long")
	}
	m := &Message{Channel: ch, TS: s.nextTS(now), User: t.BotUserID, BotID: t.BotID, Text: v.Get("text"), Blocks: blocks, Mrkdwn: v.Get("mrkdwn")}
	if md := v.Get("metadata"); md != "" {
		var meta Metadata
		if json.Unmarshal([]byte(md), &meta) != nil || meta.EventType == "" {
			return fail("invalid_metadata_format")
		}
		m.Metadata = &meta
	}
	if method == "chat.postEphemeral" {
		m.Ephemeral, m.To = true, v.Get("user")
		s.messages[ch] = append(s.messages[ch], m)
		return obj{"ok": true, "message_ts": m.TS}
	}
	s.messages[ch] = append(s.messages[ch], m)
	return obj{"ok": true, "channel": ch, "ts": m.TS, "message": obj{"text": m.Text, "ts": m.TS, "user": m.User, "bot_id": m.BotID}}
}

func (s *Server) history(v url.Values) obj {
	ch := v.Get("channel")
	oldest, _ := strconv.ParseFloat(v.Get("oldest"), 64)
	limit, _ := strconv.Atoi(v.Get("limit"))
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	withMeta := v.Get("include_all_metadata") == "1" || v.Get("include_all_metadata") == "true"
	var all []*Message
	ms := s.messages[ch]
	for i := len(ms) - 1; i >= 0; i-- {
		ts, _ := strconv.ParseFloat(ms[i].TS, 64)
		if !ms[i].Ephemeral && ts > oldest {
			all = append(all, ms[i])
		}
	}
	from, _ := strconv.Atoi(v.Get("cursor"))
	if from > len(all) {
		from = len(all)
	}
	to := min(len(all), from+limit)
	var out []obj
	for _, m := range all[from:to] {
		o := obj{"type": "message", "ts": m.TS, "user": m.User, "bot_id": m.BotID, "text": m.Text}
		if withMeta && m.Metadata != nil {
			o["metadata"] = m.Metadata
		}
		out = append(out, o)
	}
	next := ""
	if to < len(all) {
		next = strconv.Itoa(to)
	}
	return obj{"ok": true, "messages": out, "has_more": next != "", "response_metadata": obj{"next_cursor": next}}
}

func (s *Server) oauthAccess(v url.Values, r *http.Request) obj {
	id, secret := v.Get("client_id"), v.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if s.opts.ClientID == "" || id != s.opts.ClientID || !hmac.Equal([]byte(secret), []byte(s.opts.ClientSecret)) {
		return fail("invalid_client_id")
	}
	s.mu.Lock()
	c, ok := s.codes[v.Get("code")]
	delete(s.codes, v.Get("code"))
	t := s.teams[c[0]]
	s.mu.Unlock()
	if !ok || t == nil {
		return fail("invalid_code")
	}
	return obj{"ok": true, "access_token": t.Token, "token_type": "bot", "scope": "commands,chat:write",
		"bot_user_id": t.BotUserID, "app_id": t.AppID, "team": obj{"id": t.ID, "name": t.Name},
		"enterprise": nil, "is_enterprise_install": false, "authed_user": obj{"id": c[1]}}
}

func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	answer(w, http.StatusOK, obj{"client_id": r.URL.Query().Get("client_id"), "scope": r.URL.Query().Get("scope")})
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.uploads[id]
	_, tokOK := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	s.mu.Unlock()
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: "files.upload", At: time.Now(), Status: http.StatusOK})
	s.mu.Unlock()
	if !ok || !tokOK {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var data []byte
	if mr, err := r.MultipartReader(); err == nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" {
				data, _ = io.ReadAll(io.LimitReader(p, 32<<20))
			}
		}
	} else {
		data, _ = io.ReadAll(io.LimitReader(r.Body, 32<<20))
	}
	s.mu.Lock()
	s.uploads[id].Bytes = data
	s.mu.Unlock()
	io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.responses = append(s.responses, ResponsePost{Path: r.URL.Path, Body: b, At: time.Now()})
	s.mu.Unlock()
	if !json.Valid(b) {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	if bl := m["blocks"]; len(bl) > 0 && string(bl) != "null" {
		if err := CheckBlocks(bl, 50); err != nil {
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
			return
		}
	}
	io.WriteString(w, "ok")
}

// Sign returns Slack's v0 signature of body at ts with secret.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest returns a POST of body to u signed as Slack signs requests,
// with the current time (slack-go's verifier uses the wall clock).
func SignedRequest(secret, u, contentType string, body []byte) *http.Request {
	return SignedRequestAt(secret, u, contentType, body, time.Now())
}

// SignedRequestAt is SignedRequest at a given time.
func SignedRequestAt(secret, u, contentType string, body []byte, ts time.Time) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return r
}

// Form is the content type of commands and interactions.
const Form = "application/x-www-form-urlencoded"

// Command returns the form Slack posts for a slash command, with a fresh
// trigger_id and a response_url on this server.
//
// Its channel_name is the channel's (AddChannel), "privategroup" for a
// private one, "directmessage" in a DM, else the id in lower case.
func (s *Server) Command(team, user, channel, command, text string) url.Values {
	name := strings.ToLower(channel)
	s.mu.Lock()
	c, ok := s.channels[team+"/"+channel]
	s.mu.Unlock()
	switch {
	case ok && c.Private:
		name = "privategroup"
	case ok:
		name = c.Name
	case strings.HasPrefix(channel, "D"):
		name = "directmessage"
	}
	return url.Values{
		"token": {"deprecated-verification-token"}, "team_id": {team}, "team_domain": {"acme"},
		"channel_id": {channel}, "channel_name": {name}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {command}, "text": {text}, "api_app_id": {"A0OKRBOT"},
		"response_url": {s.ResponseURL()}, "trigger_id": {s.NewTrigger()},
	}
}

// Interaction returns the form Slack posts for an interaction payload.
func Interaction(payload any) url.Values {
	b, _ := json.Marshal(payload)
	return url.Values{"payload": {string(b)}}
}

// list answers conversations.list as Slack does: the workspace's public
// channels and the private ones okrbot is in, by id, a page of limit
// (default 100) at a time with a next_cursor.
func (s *Server) list(team string, v url.Values) obj {
	var ids []string
	for key, c := range s.channels {
		if strings.HasPrefix(key, team+"/") && (!c.Private || c.Member) {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	limit, _ := strconv.Atoi(v.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	from := 0
	if cur := v.Get("cursor"); cur != "" {
		from = sort.SearchStrings(ids, cur)
	}
	page := []obj{}
	next := ""
	for i := from; i < len(ids); i++ {
		if len(page) == limit {
			next = ids[i]
			break
		}
		c := s.channels[team+"/"+ids[i]]
		page = append(page, obj{"id": c.ID, "name": c.Name, "is_channel": !c.Private, "is_private": c.Private, "is_member": c.Member})
	}
	return obj{"ok": true, "channels": page, "response_metadata": obj{"next_cursor": next}}
}
