package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/conversations"
)

// triggerLife is how long a trigger_id can open a modal (Slack: 3 s), less
// a margin for the call itself.
const triggerLife = 2500 * time.Millisecond

// request is one verified request from Slack, whichever way it came (HTTP
// or Socket Mode), reduced to what the handlers need.
type request struct {
	team, user, channel string
	channelName         string // the channel's name, when Slack gives it
	responseURL         string
	triggerID           string
	at                  time.Time // when it arrived: trigger_ids expire 3 s later
}

// answer is the body of a reply to a command or button: the JSON Slack
// accepts in an HTTP response and at a response_url.
type answer struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
	DeleteOriginal  bool          `json:"delete_original,omitempty"`
}

func messageAnswer(m *conversations.Message, public bool) answer {
	a := answer{ResponseType: "ephemeral", Text: fallbackText(m), Blocks: renderBlocks(m, maxMessageBlocks)}
	if public {
		a.ResponseType = "in_channel"
	}
	return a
}

// serveCommand answers POST /slack/commands: /okr and /kpi. The command runs
// in its own goroutine; its answer goes in the HTTP response when it is
// ready within InlineWait, else the request is acknowledged with an empty
// 200 and the answer follows through response_url. Either way Slack has its
// answer well within 3 s.
func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, _ []byte) {
	sc, err := slack.SlashCommandParse(r)
	if err != nil || sc.TeamID == "" || sc.UserID == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if no := b.check(r.Context(), r.URL.Path, r.RemoteAddr, sc.TeamID, sc.EnterpriseID, notInstalledAnswer()); no != nil {
		no.write(w)
		return
	}
	body := b.command(r.Context(), sc, b.now())
	writeAck(w, body)
}

// notInstalledAnswer is the answer to a command from a workspace okrbot has
// no installation in. It is encoded once: every command names it, in case.
var notInstalledAnswer = sync.OnceValue(func() []byte {
	body, _ := json.Marshal(messageAnswer(conversations.Lines("Not installed",
		conversations.T("okrbot is not installed in this workspace. Ask a workspace admin to install it.")), false))
	return body
})

// command runs a slash command and returns what to answer at once (nil for
// an empty acknowledgement). It is the path HTTP and Socket Mode share; the
// workspace has been admitted (check).
func (b *Bot) command(ctx context.Context, sc slack.SlashCommand, at time.Time) []byte {
	req := request{team: sc.TeamID, user: sc.UserID, channel: sc.ChannelID, channelName: sc.ChannelName, responseURL: sc.ResponseURL, triggerID: sc.TriggerID, at: at}
	cmd := strings.TrimPrefix(strings.ToLower(sc.Command), "/")
	b.learnChannel(sc.TeamID, sc.ChannelID, sc.ChannelName)
	text := unescape(sc.Text)
	inline := make(chan []byte)
	gaveUp := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer b.recoverPanic("slash command")
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.CommandTimeout)
		defer cancel()
		tryInline := func(body []byte) bool {
			select {
			case inline <- body:
				return true
			case <-gaveUp:
				return false
			}
		}
		b.runCommand(ctx, req, cmd, text, tryInline)
	}()
	t := time.NewTimer(b.cfg.InlineWait)
	defer t.Stop()
	select {
	case body := <-inline:
		return body
	case <-done:
		return nil
	case <-t.C:
		close(gaveUp)
		return nil
	}
}

func writeAck(w http.ResponseWriter, body []byte) {
	if len(body) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(body)
}

// formCommand reports whether a command opens a form (see
// conversations.OpensForm). Those open a "Loading…" modal at once, while
// the trigger_id is fresh, and fill it in when the form is ready.
func formCommand(cmd, text string) bool {
	return conversations.OpensForm(cmd, text)
}

func (b *Bot) runCommand(ctx context.Context, req request, cmd, text string, inline func([]byte) bool) {
	c, err := b.client(ctx, req.team)
	if err != nil {
		b.log.Warn("slack command from a workspace okrbot cannot answer", "team", req.team, "err", safeErr(err))
		b.respond(ctx, nil, req, messageAnswer(conversations.Lines("Not installed",
			conversations.T("okrbot is not installed in this workspace any more. Ask an admin to install it again.")), false), inline)
		return
	}
	var viewID string
	if formCommand(cmd, text) && req.triggerID != "" {
		viewID = b.preopen(ctx, c, req)
	}
	a := b.actor(ctx, c, req.team, req.user, req.channel)
	if a.Channel != "" && req.channelName != "directmessage" && req.channelName != "privategroup" {
		a.ChannelName = req.channelName // names the team in digests and charts
	}
	rep := b.svc.Command(ctx, a, cmd, text)
	b.deliver(ctx, c, req, a, rep, viewID, inline)
}

// preopen opens the "Loading…" modal and returns its view id ("" on failure).
func (b *Bot) preopen(ctx context.Context, c *slack.Client, req request) string {
	vctx, cancel := context.WithTimeout(ctx, triggerLife-b.now().Sub(req.at))
	defer cancel()
	v, err := c.OpenViewContext(vctx, req.triggerID, loadingModal())
	if err != nil {
		b.log.Warn("slack views.open failed", "team", req.team, "err", safeErr(err))
		return ""
	}
	return v.ID
}

// deliver carries out a reply: the form into its modal, the message to the
// person (inline, response_url or Web API), the announcement to the channel.
func (b *Bot) deliver(ctx context.Context, c *slack.Client, req request, a conversations.Actor, rep conversations.Reply, viewID string, inline func([]byte) bool) {
	switch {
	case rep.Form != nil:
		b.openForm(ctx, c, req, a, rep.Form, viewID, inline)
	case viewID != "" && rep.Message != nil:
		// The modal was opened for a form that turned out to be a message
		// ("nothing to check in on"): show it there.
		if _, err := c.UpdateViewContext(ctx, messageModal(rep.Message), "", "", viewID); err != nil {
			b.log.Warn("slack views.update failed", "team", req.team, "err", safeErr(err))
			b.respond(ctx, c, req, messageAnswer(rep.Message, false), inline)
		}
	case rep.Message != nil && rep.Shared && rep.File == nil:
		ans, body := b.shared.answer(rep.Message, rep.Public)
		b.respondEncoded(ctx, c, req, ans, body, inline)
	case rep.Message != nil:
		m := rep.Message
		if rep.File != nil {
			m = b.sendFile(ctx, c, req, rep.File, m)
		}
		b.respond(ctx, c, req, messageAnswer(m, rep.Public), inline)
	}
	if rep.Announce != nil && a.Channel != "" {
		b.announce(ctx, c, req, a.Channel, rep.Announce, inline)
	}
}

// openForm shows a form: in the preopened modal, else in a new one while the
// trigger is fresh, else as a message with a button that opens it.
func (b *Bot) openForm(ctx context.Context, c *slack.Client, req request, a conversations.Actor, f *conversations.Form, viewID string, inline func([]byte) bool) {
	meta := formMeta{Channel: a.Channel}
	if b.responseURLAllowed(req.responseURL) {
		meta.ResponseURL = req.responseURL
	}
	view, err := renderModal(f, meta)
	if err != nil {
		b.log.Error("slack form does not render", "form", f.ID, "err", err)
		b.respond(ctx, c, req, messageAnswer(conversations.Lines("Something went wrong",
			conversations.T("Something went wrong on okrbot's side; nothing was changed.")), false), inline)
		return
	}
	switch {
	case viewID != "":
		if _, err = c.UpdateViewContext(ctx, view, "", "", viewID); err == nil {
			return
		}
		b.log.Warn("slack views.update failed", "team", req.team, "err", safeErr(err))
	case req.triggerID != "" && b.now().Sub(req.at) < triggerLife:
		vctx, cancel := context.WithTimeout(ctx, triggerLife-b.now().Sub(req.at))
		_, err = c.OpenViewContext(vctx, req.triggerID, view)
		cancel()
		if err == nil {
			return
		}
		b.log.Warn("slack views.open failed", "team", req.team, "err", safeErr(err))
	}
	// Too late for the trigger: a button gets a fresh one.
	action, value := f.OpenAction, f.OpenValue
	if action == "" {
		action = conversations.ActionCheckIn
		if f.ID == conversations.FormCreate {
			action = conversations.ActionCreate
		}
	}
	m := &conversations.Message{Summary: f.Title, Sections: []conversations.Section{{
		Lines:   []conversations.Text{conversations.T(f.Title + ": press the button to open the form.")},
		Buttons: []conversations.Button{{Label: "Open " + strings.ToLower(f.Title), Action: action, Value: value, Style: conversations.Primary}},
	}}}
	b.respond(ctx, c, req, messageAnswer(m, false), inline)
}

// announce posts a message to the channel a command came from. When okrbot
// is not in that channel, the person is told how to invite it.
func (b *Bot) announce(ctx context.Context, c *slack.Client, req request, channel string, m *conversations.Message, inline func([]byte) bool) {
	_, err := b.post(ctx, c, req.team, channel, m)
	if err == nil {
		return
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "not_in_channel" || se.Err == "channel_not_found" || se.Err == "is_archived") {
		b.respond(ctx, c, req, messageAnswer(conversations.Lines("Not in this channel",
			conversations.T("Done, but okrbot could not announce it in this channel because it is not a member. Invite it with ").
				AddCode("/invite @okrbot").Add(" to share updates here.")), false), nil)
		return
	}
	b.log.Warn("slack announcement failed", "team", req.team, "channel", channel, "err", safeErr(err))
}

// post sends a message to a channel (or a user id, for a DM) at the
// channel's pace.
func (b *Bot) post(ctx context.Context, c *slack.Client, team, channel string, m *conversations.Message, extra ...slack.MsgOption) (string, error) {
	if err := b.pace.Wait(ctx, b.paceTeam(team), perChannel+"/"+channel); err != nil {
		return "", err
	}
	opts := append([]slack.MsgOption{
		slack.MsgOptionText(fallbackText(m), false),
		slack.MsgOptionBlocks(renderBlocks(m, maxMessageBlocks)...),
		slack.MsgOptionDisableMarkdown(),
		slack.MsgOptionDisableLinkUnfurl(),
	}, extra...)
	ch, ts, err := c.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", err
	}
	return ch + "/" + ts, nil
}

// respond answers the person: inline when the HTTP response is still open,
// else at the response_url (only Slack's), else with the Web API.
func (b *Bot) respond(ctx context.Context, c *slack.Client, req request, ans answer, inline func([]byte) bool) {
	body, err := json.Marshal(ans)
	if err != nil {
		b.log.Error("slack answer does not encode", "err", err)
		return
	}
	b.respondEncoded(ctx, c, req, ans, body, inline)
}

// respondEncoded is respond with the answer already encoded.
func (b *Bot) respondEncoded(ctx context.Context, c *slack.Client, req request, ans answer, body []byte, inline func([]byte) bool) {
	if body == nil {
		b.log.Error("slack answer does not encode")
		return
	}
	if inline != nil && inline(body) {
		return
	}
	if req.responseURL != "" {
		if !b.responseURLAllowed(req.responseURL) {
			b.log.Warn("slack response_url is not Slack's; not calling it", "host", hostOf(req.responseURL), "team", req.team)
		} else if err := b.postResponseURL(ctx, req.responseURL, body); err == nil {
			return
		} else {
			b.log.Warn("slack response_url failed", "team", req.team, "err", safeErr(err))
		}
	}
	if c == nil {
		return
	}
	b.webAnswer(ctx, c, req, ans)
}

// webAnswer sends an answer with the Web API: ephemeral in the channel, or
// a DM when that fails (okrbot not in the channel) or there is no channel.
func (b *Bot) webAnswer(ctx context.Context, c *slack.Client, req request, ans answer) {
	opts := []slack.MsgOption{slack.MsgOptionText(ans.Text, false), slack.MsgOptionBlocks(ans.Blocks...), slack.MsgOptionDisableMarkdown()}
	if req.channel != "" && ans.ResponseType != "in_channel" {
		if _, err := c.PostEphemeralContext(ctx, req.channel, req.user, opts...); err == nil {
			return
		}
	}
	target := req.user
	if ans.ResponseType == "in_channel" && req.channel != "" {
		target = req.channel
	}
	if err := b.pace.Wait(ctx, req.team, perChannel+"/"+target); err != nil {
		return
	}
	if _, _, err := c.PostMessageContext(ctx, target, opts...); err != nil {
		b.log.Warn("slack answer could not be delivered", "team", req.team, "user", req.user, "err", safeErr(err))
	}
}

// responseURLAllowed reports whether okrbot may post to a response_url.
func (b *Bot) responseURLAllowed(s string) bool {
	_, ok := b.responseURL(s)
	return ok
}

// responseURL normalises a response_url and checks it: https on
// hooks.slack.com or another slack.com host, or the host of the configured
// Web API (a test server; http only when that API URL is http, so https is
// the only scheme against the real Slack). Anything else could be a request
// forger's server collecting what okrbot says. The path must already be
// clean (no "." or ".." segments, plain or percent-encoded, no empty
// segments, no backslashes), so that it cannot reach another endpoint of
// an allowed host; userinfo, fragments and opaque URLs are refused. The
// normalised URL is the one to call.
func (b *Bot) responseURL(s string) (string, bool) {
	if s == "" || len(s) > 2048 || strings.ContainsAny(s, "\\\x00\r\n\t ") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || u.Fragment != "" || strings.Contains(s, "#") {
		return "", false
	}
	raw := u.EscapedPath()
	if low := strings.ToLower(raw); strings.Contains(low, "%2e") || strings.Contains(low, "%2f") || strings.Contains(low, "%5c") {
		return "", false
	}
	if raw == "" || raw[0] != '/' || path.Clean(u.Path) != u.Path || strings.HasSuffix(u.Path, "/") {
		return "", false
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	host, port := u.Hostname(), u.Port()
	slackHost := host == "slack.com" || strings.HasSuffix(host, ".slack.com")
	switch {
	case u.Scheme == "https" && slackHost && (port == "" || port == "443"):
	case u.Scheme == b.apiHost.Scheme && u.Host == strings.ToLower(b.apiHost.Host) && (u.Scheme == "https" || u.Scheme == "http"):
	default:
		return "", false
	}
	return u.String(), true
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Host
}

// postResponseURL posts an answer to a response_url, normalised and
// checked again here, and never follows a redirect: a 307 would re-post the
// answer to wherever it points. A redirect is a failure (the answer then
// goes by the Web API).
func (b *Bot) postResponseURL(ctx context.Context, raw string, body []byte) error {
	u, ok := b.responseURL(raw)
	if !ok {
		return errors.New("response_url is not Slack's")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := b.hooks.Do(req)
	if err != nil {
		b.metrics.call("response_url", "network_error")
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		b.metrics.call("response_url", "redirect_refused")
		return fmt.Errorf("response_url answered %s; redirects are not followed", resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		b.metrics.call("response_url", "api_error")
		return fmt.Errorf("response_url answered %s", resp.Status)
	}
	b.metrics.call("response_url", "ok")
	return nil
}

// sharedAnswers keeps the rendered answers to the messages the
// conversations give many requests (Reply.Shared: /okr help), so that each
// is rendered and encoded once rather than for every request. The cache
// holds the messages themselves, so a pointer is never reused while kept.
type sharedAnswers struct {
	mu sync.Mutex
	m  map[sharedKey]sharedAnswer
}

type sharedKey struct {
	m      *conversations.Message
	public bool
}

type sharedAnswer struct {
	ans  answer
	body []byte
}

// maxSharedAnswers bounds the cache (help: a few dates and time zones).
const maxSharedAnswers = 16

func (sa *sharedAnswers) answer(m *conversations.Message, public bool) (answer, []byte) {
	k := sharedKey{m, public}
	sa.mu.Lock()
	e, ok := sa.m[k]
	sa.mu.Unlock()
	if ok {
		return e.ans, e.body
	}
	ans := messageAnswer(m, public)
	body, err := json.Marshal(ans)
	if err != nil {
		return ans, nil
	}
	sa.mu.Lock()
	if sa.m == nil || len(sa.m) >= maxSharedAnswers {
		sa.m = map[sharedKey]sharedAnswer{}
	}
	sa.m[k] = sharedAnswer{ans, body}
	sa.mu.Unlock()
	return ans, body
}

// sendFile uploads a reply's file into the person's direct messages with
// okrbot (files v2: files.getUploadURLExternal, the upload, then
// files.completeUploadExternal with the DM channel), and returns the
// answer to show: m, saying where the file went, or why it did not.
func (b *Bot) sendFile(ctx context.Context, c *slack.Client, req request, f *conversations.File, m *conversations.Message) *conversations.Message {
	dm, err := b.dmChannel(ctx, c, req.team, req.user)
	if err == nil {
		_, err = c.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(f.Data), FileSize: len(f.Data), Filename: f.Name, Title: clip(f.Title, 250), Channel: dm,
		})
	}
	if err != nil {
		b.log.Warn("slack file upload failed", "team", req.team, "file", f.Name, "err", safeErr(err))
		return conversations.Lines("The file could not be sent",
			conversations.T("Slack did not take "+f.Name+" ("+safeErr(err)+"). Nothing was changed; try again, or ask the person who runs okrbot for ").
				AddCode("okrbot export").Add(" on the server."))
	}
	out := *m
	out.Sections = append(append([]conversations.Section(nil), m.Sections...), conversations.Section{
		Lines: []conversations.Text{conversations.T("Sent to our direct messages: ").AddCode(f.Name)},
	})
	return &out
}
