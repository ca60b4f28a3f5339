package teamsbot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/domain"
)

// formCardOf returns the first card of a call that has an Action.Submit
// carrying a form, and that action's data.
func formCardOf(t *testing.T, r request) (card map[string]any, data map[string]any) {
	t.Helper()
	atts, _ := r.Body["attachments"].([]any)
	for _, a := range atts {
		c, _ := a.(map[string]any)["content"].(map[string]any)
		for _, act := range c["actions"].([]any) {
			d, _ := act.(map[string]any)["data"].(map[string]any)
			if d["okrbot"] == "form" {
				return c, d
			}
		}
	}
	t.Fatalf("no form card in %+v", r.Body)
	return nil, nil
}

// inputIDs lists the ids of a card's inputs.
func inputIDs(v any) []string {
	var ids []string
	switch x := v.(type) {
	case map[string]any:
		if typ, _ := x["type"].(string); strings.HasPrefix(typ, "Input.") {
			ids = append(ids, x["id"].(string))
		}
		for _, e := range x {
			ids = append(ids, inputIDs(e)...)
		}
	case []any:
		for _, e := range x {
			ids = append(ids, inputIDs(e)...)
		}
	}
	return ids
}

func TestCheckInSubmittedTwiceIsStoredOnce(t *testing.T) {
	h := newHarness(t)
	a := actorAda()
	for _, line := range []string{"create Grow the European market", "kr add O-1 Increase web leads from 22 to 35 per day"} {
		if r := h.svc.Command(ctx, a, "okr", line); r.Message == nil || strings.Contains(r.Message.Summary, "Example") {
			t.Fatalf("okr %s: %+v", line, r.Message)
		}
	}

	// okr checkin opens the form as a card in the personal chat.
	h.post(h.message("okr checkin"))
	calls := h.conn.calls()
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	card, data := formCardOf(t, calls[0])
	if data["form"] != "checkin" || data["state"] != "2026-W47" {
		t.Fatalf("form data = %v", data)
	}
	ids := strings.Join(inputIDs(card["body"]), " ")
	for _, want := range []string{"value/KR-1", "confidence/KR-1", "note/KR-1", "blockers", "help", "wins"} {
		if !strings.Contains(" "+ids+" ", " "+want+" ") {
			t.Errorf("form inputs %q lack %s", ids, want)
		}
	}

	// Teams posts the submission as a message whose value merges the
	// action's data and the inputs, replying to the card's activity.
	submit := func(values map[string]any) {
		sub := h.activity("message", func(m map[string]any) {
			v := map[string]any{}
			for k, x := range data {
				v[k] = x
			}
			for k, x := range values {
				v[k] = x
			}
			m["value"] = v
			m["replyToId"] = "sent-1"
		})
		if got := h.post(sub); got != http.StatusOK {
			t.Fatalf("submission = %d", got)
		}
	}
	good := map[string]any{"value/KR-1": "28", "confidence/KR-1": "7", "note/KR-1": "two deals <!channel>", "note": ""}
	submit(good)
	submit(good) // a double click: another activity, same card, same values

	cs, err := h.store.CheckIns(ctx, "teams:"+testTenant, domain.CheckInFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d check-ins stored; want 1: %+v", len(cs), cs)
	}
	if c := cs[0]; c.KR != "KR-1" || c.Value != 28 || c.Confidence != 7 || c.Note != "two deals <!channel>" || c.UserID != testUser {
		t.Errorf("check-in = %+v", c)
	}
	calls = h.conn.calls()
	if len(calls) != 3 {
		t.Fatalf("calls = %d; want the form and two answers", len(calls))
	}
	if text := cardText(calls[1]); !strings.Contains(text, "Checked in on 1 key result") {
		t.Errorf("first answer:\n%s", text)
	}
	if text := cardText(calls[2]); !strings.Contains(text, "already recorded") {
		t.Errorf("second answer:\n%s", text)
	}

	// A bad value: the form comes back as typed, with the error under the input.
	submit(map[string]any{"value/KR-1": "lots", "confidence/KR-1": "7", "note/KR-1": "", "note": ""})
	calls = h.conn.calls()
	last := calls[len(calls)-1]
	text := cardText(last)
	if !strings.Contains(text, `"lots" is not a number`) {
		t.Errorf("re-sent form lacks the error:\n%s", text)
	}
	if !strings.Contains(text, "Attention") {
		t.Errorf("the error is not in the attention colour")
	}
	if cs, _ := h.store.CheckIns(ctx, "teams:"+testTenant, domain.CheckInFilter{}); len(cs) != 1 || cs[0].Value != 28 {
		t.Errorf("a rejected submission changed the check-ins: %+v", cs)
	}
	validateCalls(t, calls)
}

func TestButtonsRunActions(t *testing.T) {
	h := newHarness(t)
	a := actorAda()
	h.svc.Command(ctx, a, "okr", "create Grow the European market")
	h.post(h.message("okr delete O-1"))
	calls := h.conn.calls()
	if len(calls) != 1 || !strings.Contains(cardText(calls[0]), "Action.Submit") {
		t.Fatalf("okr delete did not ask to confirm with buttons: %+v", calls)
	}
	press := h.activity("message", func(m map[string]any) {
		m["value"] = map[string]any{"okrbot": "action", "action": "delete.confirm", "value": "O-1"}
		m["replyToId"] = "sent-1"
	})
	h.post(press)
	h.post(press) // the Bot Connector delivering the same activity again
	if _, err := h.store.Objective(ctx, "teams:"+testTenant, "O-1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("O-1 after confirming its deletion: %v", err)
	}
	if n := len(h.conn.calls()); n != 2 {
		t.Errorf("%d calls; want the question and one answer", n)
	}
}

func TestSubmissionKey(t *testing.T) {
	in := func(from, reply, id string) *incoming {
		x := &incoming{}
		x.From.ID, x.ReplyToID, x.ID, x.Conversation.ID = from, reply, id, "19:chat@thread.v2"
		return x
	}
	v := map[string]string{"value/KR-1": "28", "note": ""}
	a := submissionKey(in(testUser, "card-1", "act-1"), v)
	if b := submissionKey(in(testUser, "card-1", "act-2"), v); a != b {
		t.Errorf("a double click gives two keys: %s, %s", a, b)
	}
	if b := submissionKey(in("29:1grace", "card-1", "act-2"), v); a == b {
		t.Errorf("two people submitting the same card share a key")
	}
	if b := submissionKey(in(testUser, "card-1", "act-2"), map[string]string{"value/KR-1": "29", "note": ""}); a == b {
		t.Errorf("new values share the old key")
	}
	if b := submissionKey(in(testUser, "card-2", "act-2"), v); a == b {
		t.Errorf("another card shares the key")
	}
}
