package slackbot_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
)

// viewSubmission builds the payload Slack posts when a person submits a
// modal the fake Slack holds, with values per input block.
func viewSubmission(t *testing.T, v fakeslack.View, user string, values map[string]string) url.Values {
	t.Helper()
	var view map[string]any
	if err := json.Unmarshal(v.JSON, &view); err != nil {
		t.Fatal(err)
	}
	state := map[string]any{}
	for _, b := range view["blocks"].([]any) {
		blk := b.(map[string]any)
		if blk["type"] != "input" {
			continue
		}
		id := blk["block_id"].(string)
		el := blk["element"].(map[string]any)
		val, ok := values[id]
		act := map[string]any{"type": el["type"]}
		switch el["type"] {
		case "static_select":
			if ok {
				act["selected_option"] = map[string]any{"value": val, "text": map[string]any{"type": "plain_text", "text": val}}
			} else if io, has := el["initial_option"]; has {
				act["selected_option"] = io
			} else {
				act["selected_option"] = nil
			}
		default:
			if ok {
				act["value"] = val
			} else if iv, has := el["initial_value"]; has {
				act["value"] = iv
			} else {
				act["value"] = nil
			}
		}
		state[id] = map[string]any{el["action_id"].(string): act}
	}
	view["id"] = v.ID
	view["team_id"] = team
	view["state"] = map[string]any{"values": state}
	view["hash"] = "1712345678.abcd"
	return fakeslack.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": team, "domain": "acme"},
		"user": map[string]any{"id": user, "team_id": team}, "api_app_id": "A0OKRBOT", "view": view,
	})
}

// TestCommandsFormsAndCheckIn is the whole path of a Slack user against the
// fake Slack and the embedded store: create, list, open the check-in form,
// submit it twice.
func TestCommandsFormsAndCheckIn(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()

	start := time.Now()
	code, body := e.command("U0ADA", "C0GROWTH", "/okr create Grow the <!channel> *market* --aspirational")
	if took := time.Since(start); code != 200 || took > 3*time.Second {
		t.Fatalf("/okr create = %d after %v: %s", code, took, body)
	}
	o, err := e.st.Objective(ctx, ws, "O-1")
	if err != nil || o.Title != "Grow the <!channel> *market*" || o.Owner != "U0ADA" {
		t.Fatalf("objective not stored as typed: %+v %v", o, err)
	}
	if !strings.Contains(answerText(t, body), "Grow the <!channel> *market*") || !strings.Contains(body, `"response_type":"ephemeral"`) {
		t.Errorf("answer: %s", body)
	}
	// The announcement goes to the channel, literal.
	eventually(t, "announcement", func() bool { return len(e.fake.Messages("C0GROWTH")) == 1 })
	ann := e.fake.Messages("C0GROWTH")[0]
	var annBlocks []json.RawMessage
	json.Unmarshal(ann.Blocks, &annBlocks)
	if !strings.Contains(blocksText(annBlocks), `Grow the <!channel> *market*`) || strings.Contains(ann.Text, "<!channel>") || ann.Mrkdwn != "false" {
		t.Errorf("announcement: text %q mrkdwn %q blocks %s", ann.Text, ann.Mrkdwn, ann.Blocks)
	}

	if code, body = e.command("U0ADA", "C0GROWTH", "/okr kr add O-1 Increase web leads from 22 to 35 per day"); code != 200 || !strings.Contains(body, "KR-1") {
		t.Fatalf("kr add = %d %s", code, body)
	}
	code, body = e.command("U0ADA", "C0GROWTH", "/okr list")
	if txt := answerText(t, body); code != 200 || !strings.Contains(txt, "O-1") || !strings.Contains(txt, "Grow the <!channel> *market*") {
		t.Fatalf("/okr list = %d %s", code, body)
	}

	// /okr checkin opens a modal at once, then fills in the form.
	if code, body = e.command("U0ADA", "D0ADA", "/okr checkin"); code != 200 {
		t.Fatalf("/okr checkin = %d %s", code, body)
	}
	var form fakeslack.View
	eventually(t, "check-in form", func() bool {
		for _, v := range e.fake.Views() {
			if v.Updates > 0 && strings.Contains(string(v.JSON), "value/KR-1") {
				form = v
				return true
			}
		}
		return false
	})
	if err := fakeslack.CheckView(form.JSON); err != nil {
		t.Fatalf("check-in modal breaks Slack's limits: %v", err)
	}

	// A value that is not a number: the error shows on its field.
	sub := viewSubmission(t, form, "U0ADA", map[string]string{"value/KR-1": "lots", "confidence/KR-1": "7"})
	code, body = e.post(slackbot.PathInteractions, sub)
	if code != 200 || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"value/KR-1"`) {
		t.Fatalf("invalid submission = %d %s", code, body)
	}

	sub = viewSubmission(t, form, "U0ADA", map[string]string{"value/KR-1": "28", "confidence/KR-1": "7", "note/KR-1": "two big deals"})
	// A double click: two requests, signed at different moments (the same
	// bytes signed at the same moment are a replay; see TestReplays).
	for i := range 2 {
		code, body = e.do(fakeslack.SignedRequestAt(secret, e.srv.URL+slackbot.PathInteractions, fakeslack.Form, []byte(sub.Encode()), time.Now().Add(-time.Duration(i)*time.Second)))
		if code != 200 || !strings.Contains(body, `"response_action":"clear"`) {
			t.Fatalf("submission %d = %d %s", i+1, code, body)
		}
	}
	cs, err := e.st.CheckIns(ctx, ws, domain.CheckInFilter{User: "U0ADA"})
	if err != nil || len(cs) != 1 || cs[0].Value != 28 || cs[0].Confidence != 7 || cs[0].Note != "two big deals" {
		t.Fatalf("check-ins after two identical submissions: %+v %v", cs, err)
	}
	// The person hears about it: once "checked in", once "already recorded".
	eventually(t, "confirmations", func() bool {
		n := 0
		for _, r := range e.fake.Responses() {
			if s := string(r.Body); strings.Contains(s, "Checked in") || strings.Contains(s, "already recorded") {
				n++
			}
		}
		return n == 2
	})
}

// TestButtonsAndCreateForm: /okr create with no title opens the creation
// form; the "Check in" button (block_actions) opens the check-in form; a
// delete confirmation replaces its own message.
func TestButtonsAndCreateForm(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if code, _ := e.command("U0ADA", "C0GROWTH", "/okr create"); code != 200 {
		t.Fatal(code)
	}
	var form fakeslack.View
	eventually(t, "creation form", func() bool {
		for _, v := range e.fake.Views() {
			if strings.Contains(string(v.JSON), `"block_id":"title"`) {
				form = v
				return true
			}
		}
		return false
	})
	sub := viewSubmission(t, form, "U0ADA", map[string]string{"title": "Delight customers", "krs": "Reach NPS 60 --start 40\nHire a VP of sales for Europe"})
	if code, body := e.post(slackbot.PathInteractions, sub); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("create submission = %d %s", code, body)
	}
	o, err := e.st.Objective(ctx, ws, "O-1")
	if err != nil || o.Title != "Delight customers" || len(o.KeyResults) != 2 || o.Team != "C0GROWTH" {
		t.Fatalf("created from the form: %+v %v", o, err)
	}

	press := func(action, value, responseURL string) {
		t.Helper()
		p := map[string]any{
			"type": "block_actions", "team": map[string]any{"id": team}, "user": map[string]any{"id": "U0ADA", "team_id": team},
			"trigger_id": e.fake.NewTrigger(), "response_url": responseURL,
			"container": map[string]any{"type": "message", "channel_id": "D0ADA", "is_ephemeral": true},
			"channel":   map[string]any{"id": "D0ADA"},
			"actions":   []any{map[string]any{"action_id": action, "block_id": "b", "type": "button", "value": value}},
		}
		if code, body := e.post(slackbot.PathInteractions, fakeslack.Interaction(p)); code != 200 || body != "" {
			t.Fatalf("block_actions = %d %q", code, body)
		}
	}
	before := len(e.fake.Views())
	press("checkin.open", "", e.fake.ResponseURL())
	eventually(t, "check-in form from the button", func() bool {
		for _, v := range e.fake.Views()[before:] {
			if v.Updates > 0 && strings.Contains(string(v.JSON), "confidence/KR-") {
				return true
			}
		}
		return false
	})

	ru := e.fake.ResponseURL()
	press("delete.confirm", "O-1", ru)
	eventually(t, "deletion", func() bool {
		_, err := e.st.Objective(ctx, ws, "O-1")
		return domain.ErrorCode(err) == domain.ENOTFOUND
	})
	eventually(t, "answer replacing the confirmation", func() bool {
		for _, r := range e.fake.Responses() {
			if strings.HasSuffix(ru, r.Path) && strings.Contains(string(r.Body), `"replace_original":true`) && strings.Contains(string(r.Body), "Deleted") {
				return true
			}
		}
		return false
	})
}
