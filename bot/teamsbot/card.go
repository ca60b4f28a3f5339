package teamsbot

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/okrbot/okrbot/conversations"
)

// Adaptive Cards 1.5, as Teams renders them.
//
// Every piece of text that may hold what a person typed is a TextRun inside
// a RichTextBlock: unlike TextBlock and FactSet, TextRuns are not processed
// as Markdown, and Teams' Markdown escaping differs between its desktop and
// mobile clients. So "<!channel>", "*bold*" and "<b>" show as typed. FactSet
// is used for fields only when no label or value holds a Markdown character.

// Card limits. Teams refuses messages over about 28 KB of card JSON (base64
// images aside); the card body is kept under cardBudget and the rest is
// summarised. Images over maxImageBytes are left out with a note.
const (
	cardBudget    = 24 << 10
	maxImageBytes = 96 << 10
	cardVersion   = "1.5"
	cardSchema    = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardType      = "application/vnd.microsoft.card.adaptive"
)

// Keys of the data that buttons and forms carry back in Action.Submit.
const (
	dataKind   = "okrbot" // "action" or "form"
	dataAction = "action"
	dataValue  = "value"
	dataForm   = "form"
	dataState  = "state"
)

// card is an AdaptiveCard.
type card struct {
	Type    string    `json:"type"`
	Schema  string    `json:"$schema"`
	Version string    `json:"version"`
	Body    []element `json:"body"`
	Actions []action  `json:"actions,omitempty"`
}

// element is any card element; the fields a type does not use stay empty
// and are omitted.
type element struct {
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	Spacing   string `json:"spacing,omitempty"`
	Separator bool   `json:"separator,omitempty"`
	Style     string `json:"style,omitempty"`
	// RichTextBlock
	Inlines []textRun `json:"inlines,omitempty"`
	// Container, Column
	Items []element `json:"items,omitempty"`
	Width string    `json:"width,omitempty"`
	// ColumnSet
	Columns []element `json:"columns,omitempty"`
	// FactSet
	Facts []fact `json:"facts,omitempty"`
	// ActionSet
	Actions []action `json:"actions,omitempty"`
	// Image
	URL     string `json:"url,omitempty"`
	AltText string `json:"altText,omitempty"`
	// Inputs
	Label        string   `json:"label,omitempty"`
	Placeholder  string   `json:"placeholder,omitempty"`
	Value        any      `json:"value,omitempty"`
	IsMultiline  bool     `json:"isMultiline,omitempty"`
	MaxLength    int      `json:"maxLength,omitempty"`
	IsRequired   bool     `json:"isRequired,omitempty"`
	ErrorMessage string   `json:"errorMessage,omitempty"`
	Choices      []choice `json:"choices,omitempty"`
}

type textRun struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Color    string `json:"color,omitempty"`
	Italic   bool   `json:"italic,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	FontType string `json:"fontType,omitempty"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type choice struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type action struct {
	Type  string         `json:"type"`
	Title string         `json:"title"`
	Style string         `json:"style,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
}

func newCard() *card {
	return &card{Type: "AdaptiveCard", Schema: cardSchema, Version: cardVersion}
}

// attachment wraps a card for an activity.
func (c *card) attachment() Attachment {
	return Attachment{ContentType: cardType, Content: c}
}

// runs turns a line of spans into TextRuns, with base applied to each.
func runs(t conversations.Text, base textRun) []textRun {
	var out []textRun
	for _, s := range t {
		r := base
		r.Type = "TextRun"
		switch {
		case s.Bar != nil:
			r.Text = conversations.PaceBar(*s.Bar, 10)
			r.FontType = "Monospace"
		case s.User != "":
			r.Text = s.Text
			r.Weight = "Bolder"
		case s.Channel != "":
			r.Text = "#" + channelName(s)
		default:
			r.Text = s.Text
			switch s.Style {
			case conversations.Bold:
				r.Weight = "Bolder"
			case conversations.Italic:
				r.Italic = true
			case conversations.Code:
				r.FontType = "Monospace"
			}
		}
		if r.Text == "" {
			continue
		}
		out = append(out, r)
	}
	return out
}

// channelName is a channel span's name; Teams channel ids
// ("19:…@thread.tacv2") are not shown.
func channelName(s conversations.Span) string {
	if s.Text != "" && s.Text != s.Channel {
		return s.Text
	}
	if strings.HasPrefix(s.Channel, "19:") {
		return "channel"
	}
	return s.Channel
}

// plainText is a line as runs shows it, without styles.
func plainText(t conversations.Text) string {
	var b strings.Builder
	for _, r := range runs(t, textRun{}) {
		b.WriteString(r.Text)
	}
	return b.String()
}

// rich returns a RichTextBlock, or false when the line is empty.
func rich(t conversations.Text, base textRun) (element, bool) {
	rs := runs(t, base)
	if len(rs) == 0 {
		return element{}, false
	}
	return element{Type: "RichTextBlock", Inlines: rs}, true
}

func plainRich(s string, base textRun) element {
	e, _ := rich(conversations.T(s), base)
	return e
}

func title(s string) element {
	e := plainRich(s, textRun{Size: "Large", Weight: "Bolder"})
	e.Spacing = "None"
	return e
}

func subtle(t conversations.Text) (element, bool) {
	return rich(t, textRun{IsSubtle: true, Size: "Small"})
}

func attention(s string) element {
	e := plainRich(s, textRun{Color: "Attention", Size: "Small"})
	e.Spacing = "None"
	return e
}

// markdownFree reports whether s shows the same as plain text and as
// Adaptive Card Markdown (FactSet values are Markdown).
func markdownFree(s string) bool {
	if strings.ContainsAny(s, "*_[]`~<>&\\|\n\r") {
		return false
	}
	t := strings.TrimLeft(s, " ")
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "#") {
		return false
	}
	if i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && t[i] == '.' {
		return false
	}
	return true
}

// fields renders label/value pairs: a FactSet when every text is free of
// Markdown, else one two-column row per field with literal TextRuns.
func fields(fs []conversations.Field) []element {
	facts := make([]fact, 0, len(fs))
	for _, f := range fs {
		v := plainText(f.Value)
		if !markdownFree(f.Label) || !markdownFree(v) {
			facts = nil
			break
		}
		facts = append(facts, fact{Title: f.Label, Value: v})
	}
	if facts != nil {
		return []element{{Type: "FactSet", Facts: facts}}
	}
	var out []element
	for _, f := range fs {
		value, ok := rich(f.Value, textRun{})
		if !ok {
			value = plainRich("—", textRun{IsSubtle: true})
		}
		out = append(out, element{Type: "ColumnSet", Spacing: "None", Columns: []element{
			{Type: "Column", Width: "auto", Items: []element{plainRich(f.Label+":", textRun{Weight: "Bolder"})}},
			{Type: "Column", Width: "stretch", Items: []element{value}},
		}})
	}
	return out
}

func buttonStyle(s conversations.ButtonStyle) string {
	switch s {
	case conversations.Primary:
		return "positive"
	case conversations.Danger:
		return "destructive"
	}
	return ""
}

func buttons(bs []conversations.Button) element {
	acts := make([]action, 0, len(bs))
	for _, b := range bs {
		acts = append(acts, action{Type: "Action.Submit", Title: b.Label, Style: buttonStyle(b.Style),
			Data: map[string]any{dataKind: "action", dataAction: b.Action, dataValue: b.Value}})
	}
	return element{Type: "ActionSet", Actions: acts}
}

// section renders one section of a message as the elements of a Container.
func section(s conversations.Section) []element {
	var items []element
	if e, ok := rich(s.Heading, textRun{Weight: "Bolder"}); ok {
		items = append(items, e)
	}
	for _, l := range s.Lines {
		if e, ok := rich(l, textRun{}); ok {
			e.Spacing = "Small"
			items = append(items, e)
		}
	}
	if len(s.Fields) > 0 {
		items = append(items, fields(s.Fields)...)
	}
	if len(s.Buttons) > 0 {
		items = append(items, buttons(s.Buttons))
	}
	if e, ok := subtle(s.Note); ok {
		items = append(items, e)
	}
	return items
}

// budget tracks the size of a card's JSON as elements are added.
type budget struct {
	left int
}

func size(v any) int {
	b, _ := json.Marshal(v)
	return len(b) + 1
}

// take reports whether e fits, and if so counts it.
func (b *budget) take(e element) bool {
	n := size(e)
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

// messageCard renders a message as an Adaptive Card. Sections that do not
// fit in Teams' message size are summarised in a closing note; the image is
// a data: URI PNG, left out with a note when withImage is false or it is
// too large.
func messageCard(m *conversations.Message, withImage bool) *card {
	c := newCard()
	if m == nil {
		return c
	}
	b := &budget{left: cardBudget - size(c) - 512} // room for the closing note
	if m.Title != "" {
		t := title(m.Title)
		b.take(t)
		c.Body = append(c.Body, t)
	}
	for i, s := range m.Sections {
		items := section(s)
		if len(items) == 0 {
			continue
		}
		box := element{Type: "Container", Items: items, Separator: i > 0 && len(s.Heading) > 0}
		if b.take(box) {
			c.Body = append(c.Body, box)
			continue
		}
		// Partly: as many of its elements as fit, then say how much is left.
		var part []element
		for _, it := range items {
			if !b.take(it) {
				break
			}
			part = append(part, it)
		}
		if len(part) > 0 {
			c.Body = append(c.Body, element{Type: "Container", Items: part})
		}
		rest := len(m.Sections) - i - 1
		note := fmt.Sprintf("…and more not shown: %d of %d lines here", len(items)-len(part), len(items))
		if rest > 0 {
			note += fmt.Sprintf(", and %d more section%s", rest, plural(rest))
		}
		note += " (too long for one Teams message)."
		e, _ := subtle(conversations.T(note))
		c.Body = append(c.Body, e)
		break
	}
	if img := m.Image; img != nil && len(img.PNG) > 0 {
		switch {
		case !withImage:
			e, _ := subtle(conversations.T("(The chart is left out: Teams refused the message with it.)"))
			c.Body = append(c.Body, e)
		case len(img.PNG) > maxImageBytes:
			e, _ := subtle(conversations.T(fmt.Sprintf("(The chart is left out: at %d KB it is too large for a Teams message.)", len(img.PNG)>>10)))
			c.Body = append(c.Body, e)
		default:
			alt := img.Alt
			if alt == "" {
				alt = img.Title
			}
			c.Body = append(c.Body, element{Type: "Image", URL: "data:image/png;base64," + base64.StdEncoding.EncodeToString(img.PNG), AltText: alt})
		}
	}
	if len(c.Body) == 0 {
		c.Body = append(c.Body, plainRich(m.Summary, textRun{}))
	}
	return c
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// formCard renders a form as an Adaptive Card: one Container per form
// section (a key result row of the check-in), inputs labelled, and one
// Action.Submit that carries the form id and state back. values, when set,
// fill the inputs (a re-sent form keeps what was typed); errs are shown in
// the attention colour under the inputs they name.
func formCard(f *conversations.Form, values, errs map[string]string) *card {
	c := newCard()
	c.Body = append(c.Body, title(f.Title))
	ids := map[string]bool{}
	for _, s := range f.Sections {
		for _, in := range s.Inputs {
			ids[in.ID] = true
		}
	}
	// Errors that name no input (a stale form) go first.
	var loose []string
	for id, msg := range errs {
		if !ids[id] {
			loose = append(loose, msg)
		}
	}
	sort.Strings(loose)
	for _, msg := range loose {
		c.Body = append(c.Body, attention(msg))
	}
	if e, ok := rich(f.Intro, textRun{}); ok {
		c.Body = append(c.Body, e)
	}
	for _, s := range f.Sections {
		var items []element
		if e, ok := rich(s.Heading, textRun{}); ok {
			items = append(items, e)
		}
		if e, ok := subtle(s.Note); ok {
			e.Spacing = "None"
			items = append(items, e)
		}
		for _, in := range s.Inputs {
			v, typed := values[in.ID]
			if !typed {
				v = in.Initial
			}
			items = append(items, input(in, v))
			if in.Hint != "" {
				e, _ := subtle(conversations.T(in.Hint))
				e.Spacing = "None"
				items = append(items, e)
			}
			if msg := errs[in.ID]; msg != "" {
				items = append(items, attention(msg))
			}
		}
		if len(items) > 0 {
			c.Body = append(c.Body, element{Type: "Container", Items: items, Separator: true, Spacing: "Medium"})
		}
	}
	submit := f.Submit
	if submit == "" {
		submit = "Submit"
	}
	c.Actions = []action{{Type: "Action.Submit", Title: submit, Style: "positive",
		Data: map[string]any{dataKind: "form", dataForm: f.ID, dataState: f.State}}}
	return c
}

// input renders one form input with its current value v.
func input(in conversations.Input, v string) element {
	e := element{ID: in.ID, Label: in.Label, Placeholder: in.Placeholder, IsRequired: !in.Optional}
	if e.IsRequired {
		e.ErrorMessage = in.Label + " is required."
	}
	switch in.Kind {
	case conversations.NumberInput:
		e.Type = "Input.Number"
		if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			e.Value = x
		}
	case conversations.Select:
		e.Type = "Input.ChoiceSet"
		e.Style = "compact"
		for _, o := range in.Options {
			label := o.Label
			if label == "" {
				label = o.Value
			}
			e.Choices = append(e.Choices, choice{Title: label, Value: o.Value})
		}
		if v != "" {
			e.Value = v
		}
	default:
		e.Type = "Input.Text"
		e.IsMultiline = in.Kind == conversations.TextArea
		e.MaxLength = in.MaxLength
		if v != "" {
			e.Value = v
		}
	}
	return e
}
