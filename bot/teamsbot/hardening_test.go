package teamsbot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// postBody sends an activity with a good token and returns the status and body.
func (h *harness) postBody(a map[string]any) (int, string) {
	h.t.Helper()
	body, _ := json.Marshal(a)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+signed(h.t, "teams", 0, claims(h.conn.serviceURL())))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const (
	growthChannel = "19:growth0123@thread.tacv2"
	teamID        = "19:team@thread.tacv2"
	boss          = "29:1boss-ADMIN"
)

// inChannel makes an activity a message typed in a channel by user.
func inChannel(channel, user, name string) func(a map[string]any) {
	return func(a map[string]any) {
		a["from"] = map[string]any{"id": user, "name": name}
		a["conversation"] = map[string]any{"conversationType": "channel", "tenantId": testTenant, "isGroup": true,
			"id": channel + ";messageid=1700000000111"}
		a["channelData"] = map[string]any{"tenant": map[string]any{"id": testTenant},
			"team": map[string]any{"id": teamID}, "channel": map[string]any{"id": channel, "name": "Growth"}}
	}
}

// TestTeamsDigestSubscriptionsNeedRights: in a Teams channel a plain member
// can neither unsubscribe nor subscribe it; the refusal says who may and
// nothing changes; a channel okrbot holds no reference for is not
// subscribed but okrbot says how to bring it there.
func TestTeamsDigestSubscriptionsNeedRights(t *testing.T) {
	st := storagetest.Open(t, now)
	svc := conversations.New(st, conversations.Options{Now: now, Admins: []string{boss}})
	h := newHarnessWith(t, svc, st)
	ws := "teams:" + testTenant
	say := func(user, name, text string) string {
		t.Helper()
		before := len(h.conn.calls())
		h.post(h.activity("message", func(a map[string]any) {
			inChannel(growthChannel, user, name)(a)
			a["text"] = text
		}))
		calls := h.conn.calls()
		if len(calls) != before+1 {
			t.Fatalf("%s: %d replies", text, len(calls)-before)
		}
		return cardText(calls[len(calls)-1])
	}
	if text := say(boss, "Boss", "okr digest subscribe --company"); !strings.Contains(text, "will get the weekly digest") {
		t.Fatalf("admin subscribe: %s", text)
	}
	subs := func() string {
		s, err := st.Subscriptions(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v", s)
	}
	before := subs()
	for _, line := range []string{"okr digest unsubscribe", "okr digest subscribe"} {
		text := say(testUser, "Ada Lovelace", line)
		if !strings.Contains(text, "Only a workspace admin") || !strings.Contains(text, "nothing was changed") {
			t.Errorf("%s by a member: %s", line, text)
		}
		if after := subs(); after != before {
			t.Errorf("%s by a member changed the subscriptions: %s", line, after)
		}
	}
	// A channel okrbot has never been in: not subscribed, and told how.
	text := say(boss, "Boss", "okr digest subscribe <#19:sales@thread.tacv2>")
	if !strings.Contains(text, "is not a member of") || !strings.Contains(text, "mention it there once") {
		t.Errorf("subscribe where okrbot is not: %s", text)
	}
	if after := subs(); after != before {
		t.Errorf("a channel without a reference was subscribed: %s", after)
	}
	if strings.Contains(text, "19:") {
		t.Errorf("a Teams channel id is shown: %s", text)
	}
}

// TestInvokeIsAnsweredInTheResponse: an Adaptive Card Action.Execute
// (invoke adaptiveCard/action) is answered in the HTTP response with an
// AdaptiveCardInvokeResponse carrying a card; other invokes get 501 as in
// botbuilder, a malformed one 400 with an error; a form with errors comes
// back with them and saves nothing.
func TestInvokeIsAnsweredInTheResponse(t *testing.T) {
	h := newHarness(t)
	a := actorAda()
	for _, line := range []string{"create Grow the European market", "kr add O-1 Increase web leads from 22 to 35 per day"} {
		if r := h.svc.Command(ctx, a, "okr", line); r.Failed() {
			t.Fatalf("okr %s: %s", line, conversations.PlainText(r.Message))
		}
	}
	invoke := func(name string, value map[string]any) (int, map[string]any) {
		t.Helper()
		code, body := h.postBody(h.activity("invoke", func(a map[string]any) {
			a["name"] = name
			if value != nil {
				a["value"] = value
			}
		}))
		var out map[string]any
		if body != "" {
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatalf("%s: body %q", name, body)
			}
		}
		return code, out
	}
	execute := func(data map[string]any) map[string]any {
		return map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": "okrbot", "data": data}, "trigger": "manual"}
	}
	// The check-in button: the form comes back as the card.
	code, resp := invoke("adaptiveCard/action", execute(map[string]any{dataKind: "action", dataAction: conversations.ActionCheckIn}))
	if code != 200 || resp["statusCode"] != float64(200) || resp["type"] != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("Action.Execute: %d %v", code, resp)
	}
	card, _ := json.Marshal(resp["value"])
	validateCard(t, "invoke response", card)
	if !strings.Contains(string(card), "value/KR-1") {
		t.Errorf("the check-in form is not the response card: %s", card)
	}
	// A form with a bad value: the form again, with its error; nothing saved.
	form := map[string]any{dataKind: "form", dataForm: conversations.FormCheckIn, dataState: "2026-W47", "value/KR-1": "lots", "confidence/KR-1": "7"}
	code, resp = invoke("adaptiveCard/action", execute(form))
	if card, _ := json.Marshal(resp["value"]); code != 200 || !strings.Contains(string(card), "value/KR-1") || !strings.Contains(strings.ToLower(string(card)), "number") {
		t.Errorf("form with errors: %d %s", code, card)
	}
	if cs, _ := h.store.CheckIns(ctx, "teams:"+testTenant, domain.CheckInFilter{}); len(cs) != 0 {
		t.Errorf("a refused form saved %d check-ins", len(cs))
	}
	form["value/KR-1"] = "28"
	code, resp = invoke("adaptiveCard/action", execute(form))
	if card, _ := json.Marshal(resp["value"]); code != 200 || !strings.Contains(string(card), "KR-1") {
		t.Errorf("good form: %d %s", code, card)
	}
	if cs, _ := h.store.CheckIns(ctx, "teams:"+testTenant, domain.CheckInFilter{}); len(cs) != 1 || cs[0].Value != 28 {
		t.Errorf("check-ins after the form: %+v", cs)
	}
	// Not handled: 501 without a body; malformed: 400 with an error body.
	if code, resp := invoke("composeExtension/query", map[string]any{"commandId": "x"}); code != http.StatusNotImplemented || resp != nil {
		t.Errorf("unknown invoke: %d %v", code, resp)
	}
	if code, resp := invoke("adaptiveCard/action", nil); code != http.StatusBadRequest || resp["type"] != "application/vnd.microsoft.error" {
		t.Errorf("invoke without a value: %d %v", code, resp)
	}
	if code, resp := invoke("adaptiveCard/action", map[string]any{"action": map[string]any{"type": "Action.Submit"}}); code != http.StatusBadRequest || resp["type"] != "application/vnd.microsoft.error" {
		t.Errorf("invoke of Action.Submit: %d %v", code, resp)
	}
	// None of these posted a message: the answer was the response.
	if calls := h.conn.calls(); len(calls) != 0 {
		t.Errorf("invokes made %d Bot Connector calls", len(calls))
	}
}

// TestDeletionsForgetConversations: a deleted channel, a deleted team and
// an uninstall on upgrade (remove-upgrade) delete the references okrbot
// posts with; a personal chat stays.
func TestDeletionsForgetConversations(t *testing.T) {
	st := newMemStore()
	h := newHarnessWith(t, &countingConversations{}, st)
	ws := "teams:" + testTenant
	const general, sales = "19:general@thread.tacv2", "19:sales@thread.tacv2"
	save := func(conv, team string) {
		st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: ws, Conversation: conv, Type: "channel", TeamID: team, ServiceURL: h.conn.serviceURL()})
	}
	st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: ws, Conversation: "a:1personal-ada", Type: "personal", User: testUser, ServiceURL: h.conn.serviceURL()})
	exists := func(conv string) bool { _, err := st.ConversationRef(ctx, ws, conv); return err == nil }
	update := func(eventType string, channel string) map[string]any {
		return h.activity("conversationUpdate", func(a map[string]any) {
			a["conversation"] = map[string]any{"conversationType": "channel", "tenantId": testTenant, "isGroup": true, "id": general}
			cd := map[string]any{"tenant": map[string]any{"id": testTenant}, "team": map[string]any{"id": general}, "eventType": eventType}
			if channel != "" {
				cd["channel"] = map[string]any{"id": channel, "name": "Sales"}
			}
			a["channelData"] = cd
		})
	}

	save(general, general)
	save(sales, general)
	h.post(update("channelDeleted", sales))
	if exists(sales) || !exists(general) {
		t.Errorf("channelDeleted: sales kept %v, general kept %v", exists(sales), exists(general))
	}

	save(sales, general)
	h.post(update("teamDeleted", ""))
	if exists(sales) || exists(general) {
		t.Error("teamDeleted left the team's channels")
	}

	save(general, general)
	save(sales, general)
	h.post(h.activity("installationUpdate", func(a map[string]any) {
		a["conversation"] = map[string]any{"conversationType": "channel", "tenantId": testTenant, "isGroup": true, "id": general}
		a["channelData"] = map[string]any{"tenant": map[string]any{"id": testTenant}, "team": map[string]any{"id": general}}
		a["action"] = "remove-upgrade"
	}))
	if exists(sales) || exists(general) {
		t.Error("installationUpdate remove-upgrade left the team's channels")
	}
	if !exists("a:1personal-ada") {
		t.Error("a personal chat was forgotten")
	}
}
