package fakeslack

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits as Slack documents them
// (docs.slack.dev/reference/block-kit). The fake rejects what Slack would.
const (
	limitHeader       = 150
	limitSectionText  = 3000
	limitFields       = 10
	limitFieldText    = 2000
	limitContextElems = 10
	limitTextObject   = 3000
	limitActionsElems = 25
	limitButtonText   = 75
	limitButtonValue  = 2000
	limitActionID     = 255
	limitBlockID      = 255
	limitLabel        = 2000
	limitHint         = 2000
	limitPlaceholder  = 150
	limitTextInputMax = 3000
	limitOptions      = 100
	limitOptionText   = 75
	limitOptionValue  = 150
	limitModalTitle   = 24
	limitMetadata     = 3000
)

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type         string          `json:"type"`
	ActionID     string          `json:"action_id"`
	Text         *textObj        `json:"text"`
	Value        string          `json:"value"`
	Placeholder  *textObj        `json:"placeholder"`
	MaxLength    int             `json:"max_length"`
	InitialValue string          `json:"initial_value"`
	Options      []option        `json:"options"`
	Elements     json.RawMessage `json:"elements"`
}

type option struct {
	Text  textObj `json:"text"`
	Value string  `json:"value"`
}

type block struct {
	Type     string            `json:"type"`
	BlockID  string            `json:"block_id"`
	Text     *textObj          `json:"text"`
	Fields   []textObj         `json:"fields"`
	Elements []json.RawMessage `json:"elements"`
	Label    *textObj          `json:"label"`
	Hint     *textObj          `json:"hint"`
	Element  *element          `json:"element"`
	Optional bool              `json:"optional"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// CheckBlocks reports the first way a list of blocks breaks Slack's limits,
// with at most max blocks (50 in a message, 100 in a modal or App Home).
func CheckBlocks(raw json.RawMessage, max int) error {
	var bs []block
	if err := json.Unmarshal(raw, &bs); err != nil {
		return fmt.Errorf("blocks are not a JSON array of blocks: %v", err)
	}
	if len(bs) > max {
		return fmt.Errorf("%d blocks, more than %d", len(bs), max)
	}
	ids := map[string]bool{}
	for i, b := range bs {
		if err := checkBlock(b); err != nil {
			return fmt.Errorf("block %d (%s): %v", i, b.Type, err)
		}
		if b.BlockID != "" {
			if ids[b.BlockID] {
				return fmt.Errorf("block %d: duplicate block_id %q", i, b.BlockID)
			}
			ids[b.BlockID] = true
		}
	}
	return nil
}

func checkBlock(b block) error {
	if runes(b.BlockID) > limitBlockID {
		return fmt.Errorf("block_id longer than %d", limitBlockID)
	}
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || b.Text.Text == "" || runes(b.Text.Text) > limitHeader {
			return fmt.Errorf("header text must be plain_text of 1 to %d characters", limitHeader)
		}
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return fmt.Errorf("section without text or fields")
		}
		if b.Text != nil && (b.Text.Text == "" || runes(b.Text.Text) > limitSectionText) {
			return fmt.Errorf("section text must be 1 to %d characters", limitSectionText)
		}
		if len(b.Fields) > limitFields {
			return fmt.Errorf("more than %d fields", limitFields)
		}
		for _, f := range b.Fields {
			if runes(f.Text) > limitFieldText {
				return fmt.Errorf("field longer than %d", limitFieldText)
			}
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > limitContextElems {
			return fmt.Errorf("context needs 1 to %d elements, has %d", limitContextElems, len(b.Elements))
		}
		for _, raw := range b.Elements {
			var t textObj
			json.Unmarshal(raw, &t)
			if (t.Type == "plain_text" || t.Type == "mrkdwn") && (t.Text == "" || runes(t.Text) > limitTextObject) {
				return fmt.Errorf("context text must be 1 to %d characters", limitTextObject)
			}
		}
	case "actions":
		if len(b.Elements) == 0 || len(b.Elements) > limitActionsElems {
			return fmt.Errorf("actions needs 1 to %d elements", limitActionsElems)
		}
		seen := map[string]bool{}
		for _, raw := range b.Elements {
			var e element
			json.Unmarshal(raw, &e)
			if err := checkElement(e); err != nil {
				return err
			}
			if e.ActionID != "" && seen[e.ActionID] {
				return fmt.Errorf("duplicate action_id %q in one block", e.ActionID)
			}
			seen[e.ActionID] = true
		}
	case "rich_text":
		if len(b.Elements) == 0 {
			return fmt.Errorf("rich_text without elements")
		}
		for _, raw := range b.Elements {
			var sec struct {
				Type     string `json:"type"`
				Elements []struct {
					Type   string `json:"type"`
					Text   string `json:"text"`
					UserID string `json:"user_id"`
				} `json:"elements"`
			}
			json.Unmarshal(raw, &sec)
			if len(sec.Elements) == 0 {
				return fmt.Errorf("rich_text_section without elements")
			}
			total := 0
			for _, e := range sec.Elements {
				if e.Type == "text" && e.Text == "" {
					return fmt.Errorf("empty rich text element")
				}
				if e.Type == "user" && e.UserID == "" {
					return fmt.Errorf("user element without user_id")
				}
				total += runes(e.Text)
			}
			if total > 4000 {
				return fmt.Errorf("rich text section of %d characters", total)
			}
		}
	case "input":
		if b.Label == nil || b.Label.Text == "" || runes(b.Label.Text) > limitLabel {
			return fmt.Errorf("input label must be 1 to %d characters", limitLabel)
		}
		if b.Hint != nil && runes(b.Hint.Text) > limitHint {
			return fmt.Errorf("hint longer than %d", limitHint)
		}
		if b.Element == nil {
			return fmt.Errorf("input without element")
		}
		return checkElement(*b.Element)
	case "divider", "image":
	default:
		return fmt.Errorf("unknown block type %q", b.Type)
	}
	return nil
}

func checkElement(e element) error {
	if runes(e.ActionID) > limitActionID {
		return fmt.Errorf("action_id longer than %d", limitActionID)
	}
	if e.Placeholder != nil && runes(e.Placeholder.Text) > limitPlaceholder {
		return fmt.Errorf("placeholder longer than %d", limitPlaceholder)
	}
	switch e.Type {
	case "button":
		if e.Text == nil || e.Text.Text == "" || runes(e.Text.Text) > limitButtonText {
			return fmt.Errorf("button text must be 1 to %d characters", limitButtonText)
		}
		if runes(e.Value) > limitButtonValue {
			return fmt.Errorf("button value longer than %d", limitButtonValue)
		}
	case "plain_text_input":
		if e.MaxLength > limitTextInputMax {
			return fmt.Errorf("max_length over %d", limitTextInputMax)
		}
		if e.MaxLength > 0 && runes(e.InitialValue) > e.MaxLength {
			return fmt.Errorf("initial_value longer than max_length")
		}
	case "static_select":
		if len(e.Options) == 0 || len(e.Options) > limitOptions {
			return fmt.Errorf("static_select needs 1 to %d options", limitOptions)
		}
		for _, o := range e.Options {
			if o.Text.Text == "" || runes(o.Text.Text) > limitOptionText || runes(o.Value) > limitOptionValue {
				return fmt.Errorf("option text 1 to %d, value up to %d characters", limitOptionText, limitOptionValue)
			}
		}
	case "number_input":
	case "users_select", "channels_select", "conversations_select":
		// Pickers of Slack's own users and channels: no options to check.
	default:
		return fmt.Errorf("unknown element type %q", e.Type)
	}
	return nil
}

// CheckView reports the first way a modal or home view breaks Slack's limits.
func CheckView(raw json.RawMessage) error {
	if s := checkView(raw, 100); s != "" {
		return fmt.Errorf("%s", s)
	}
	return nil
}

func checkView(raw json.RawMessage, max int) string {
	var v struct {
		Type            string          `json:"type"`
		Title           *textObj        `json:"title"`
		Submit          *textObj        `json:"submit"`
		Close           *textObj        `json:"close"`
		Blocks          json.RawMessage `json:"blocks"`
		PrivateMetadata string          `json:"private_metadata"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "view is not JSON"
	}
	if err := CheckBlocks(v.Blocks, max); err != nil {
		return err.Error()
	}
	if v.Type == "modal" {
		if v.Title == nil || v.Title.Text == "" || runes(v.Title.Text) > limitModalTitle {
			return fmt.Sprintf("modal title must be 1 to %d characters", limitModalTitle)
		}
		for _, t := range []*textObj{v.Submit, v.Close} {
			if t != nil && runes(t.Text) > limitModalTitle {
				return fmt.Sprintf("submit and close must be at most %d characters", limitModalTitle)
			}
		}
		var bs []block
		json.Unmarshal(v.Blocks, &bs)
		for _, b := range bs {
			if b.Type == "input" && v.Submit == nil {
				return "a modal with inputs needs a submit button"
			}
		}
	} else if v.Type != "home" {
		return "view type must be modal or home"
	}
	if len(v.PrivateMetadata) > limitMetadata {
		return fmt.Sprintf("private_metadata longer than %d", limitMetadata)
	}
	return ""
}
