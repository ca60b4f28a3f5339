package slackbot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/conversations"
)

// Block Kit limits, from Slack's reference. The renderer never produces a
// payload beyond them: long text is clipped with "…", long lists are cut
// with "and N more".
const (
	maxMessageBlocks = 50   // blocks in a message
	maxViewBlocks    = 100  // blocks in a modal or the App Home tab
	maxSectionText   = 3000 // characters of text in one section / rich_text block (our own bound)
	maxContextText   = 2000 // characters in one context element
	maxContextElems  = 10   // elements in a context block
	maxHeaderText    = 150  // characters in a header block
	maxButtonText    = 75   // characters of a button's label
	maxButtonValue   = 2000 // characters of a button's value
	maxActionID      = 255  // characters of an action_id
	maxBlockID       = 255  // characters of a block_id
	maxActionsElems  = 25   // elements in an actions block
	maxModalTitle    = 24   // characters of a modal's title, submit and close
	maxMetadata      = 3000 // characters of a view's private_metadata
	maxInputLabel    = 2000 // characters of an input's label
	maxInputHint     = 2000 // characters of an input's hint
	maxPlaceholder   = 150  // characters of a placeholder
	maxTextInputLen  = 3000 // plain_text_input max_length
	maxOptions       = 100  // options of a static_select
	maxOptionText    = 75   // characters of an option's text
	maxOptionValue   = 150  // characters of an option's value
	maxFallbackText  = 3000 // the message's notification text (Slack truncates at 40,000; we keep it short)
	maxRichElements  = 100  // elements in one rich_text_section (our own bound)
)

// clip shortens s to at most n characters (runes), ending with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:n])
	}
	return string([]rune(s)[:n-1]) + "…"
}

// plain returns a plain_text object. plain_text is literal: Slack neither
// parses mentions nor formatting in it. Emoji shortcodes stay as typed.
func plain(s string, n int) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	f := false
	return &slack.TextBlockObject{Type: slack.PlainTextType, Text: clip(s, n), Emoji: &f}
}

// escapeMrkdwn escapes the three characters Slack's mrkdwn treats as control
// characters, so that "<!channel>" or "<@U123>" typed by a person is shown
// as typed and never becomes a mention or a link.
func escapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// mrkdwnEscaper is built once: building a Replacer costs more than using it.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// fallbackText is a message's notification text. Slack shows it in
// notifications and on clients without Block Kit; it is sent with mrkdwn
// disabled and escaped, so nothing in it is parsed.
func fallbackText(m *conversations.Message) string {
	if m == nil {
		return ""
	}
	s := m.Summary
	if s == "" {
		s = m.Title
	}
	if s == "" {
		s = strings.TrimSpace(conversations.PlainText(m))
	}
	return escapeMrkdwn(clip(s, maxFallbackText))
}

// richBuilder accumulates rich_text blocks of bounded size.
type richBuilder struct {
	blocks []slack.Block
	cur    []slack.RichTextSectionElement
	chars  int
}

func (rb *richBuilder) flush() {
	if len(rb.cur) == 0 {
		return
	}
	rb.blocks = append(rb.blocks, slack.NewRichTextBlock("", slack.NewRichTextSection(rb.cur...)))
	rb.cur, rb.chars = nil, 0
}

func (rb *richBuilder) add(e slack.RichTextSectionElement, chars int) {
	if rb.chars+chars > maxSectionText || len(rb.cur) >= maxRichElements {
		rb.flush()
	}
	rb.cur = append(rb.cur, e)
	rb.chars += chars
}

// text appends literal text with a style.
func (rb *richBuilder) text(s string, st *slack.RichTextSectionTextStyle) {
	if s == "" {
		return
	}
	s = clip(s, maxSectionText)
	rb.add(slack.NewRichTextSectionTextElement(s, st), utf8.RuneCountInString(s))
}

func (rb *richBuilder) newline() {
	if len(rb.cur) == 0 {
		return
	}
	rb.text("\n", nil)
}

func styleOf(s conversations.Style, bold bool) *slack.RichTextSectionTextStyle {
	st := &slack.RichTextSectionTextStyle{Bold: bold || s == conversations.Bold, Italic: s == conversations.Italic, Code: s == conversations.Code}
	if !st.Bold && !st.Italic && !st.Code {
		return nil
	}
	return st
}

// line appends one line of spans. Text elements of a rich_text block are
// literal: "<!channel>", "*bold*" or "<b>" typed by a person appear as typed.
// Only a Span.User with Notify becomes a user element (a mention that
// notifies); other people are shown by name.
func (rb *richBuilder) line(t conversations.Text, bold bool) {
	for _, sp := range t {
		switch {
		case sp.Bar != nil:
			rb.text(conversations.PaceBar(*sp.Bar, 10), styleOf(sp.Style, false))
		case sp.User != "" && sp.Notify && isUserID(sp.User):
			rb.add(slack.NewRichTextSectionUserElement(sp.User, styleOf(sp.Style, bold)), 20)
		case sp.User != "":
			rb.text("@"+sp.Text, styleOf(sp.Style, bold))
		case sp.Channel != "" && isChannelID(sp.Channel):
			rb.add(slack.NewRichTextSectionChannelElement(sp.Channel, styleOf(sp.Style, bold)), 20)
		case sp.Channel != "":
			rb.text("#"+sp.Text, styleOf(sp.Style, bold))
		default:
			rb.text(sp.Text, styleOf(sp.Style, bold))
		}
	}
}

// isChannelID reports whether s looks like a Slack conversation id (C…, G…),
// which a channel element can show; anything else is shown as text.
func isChannelID(s string) bool {
	if len(s) < 2 || len(s) > 40 || (s[0] != 'C' && s[0] != 'G') {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// contextBlock renders a small-print note. Text goes in plain_text elements
// (literal); a Span.User with Notify becomes a mrkdwn "<@U…>" element, and
// a channel without a known name a mrkdwn "<#C…>": the only mrkdwn we ever
// send, built from ids and not from typed text.
func contextBlock(t conversations.Text) *slack.ContextBlock {
	var elems []slack.MixedElement
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			elems = append(elems, plain(cur.String(), maxContextText))
			cur.Reset()
		}
	}
	for _, sp := range t {
		switch {
		case sp.Bar != nil:
			cur.WriteString(conversations.PaceBar(*sp.Bar, 10))
		case sp.User != "" && sp.Notify && isUserID(sp.User) && len(elems) < maxContextElems-2:
			flush()
			elems = append(elems, &slack.TextBlockObject{Type: slack.MarkdownType, Text: "<@" + sp.User + ">", Verbatim: true})
		case sp.User != "":
			cur.WriteString("@" + sp.Text)
		case sp.Channel != "" && sp.Text == sp.Channel && isChannelID(sp.Channel) && len(elems) < maxContextElems-2:
			// No name is known (a scheduled digest has nobody to ask for
			// it): Slack shows its own channel reference by name. Built
			// from an id, not typed text, and it notifies nobody.
			flush()
			elems = append(elems, &slack.TextBlockObject{Type: slack.MarkdownType, Text: "<#" + sp.Channel + ">", Verbatim: true})
		case sp.Channel != "":
			cur.WriteString("#" + sp.Text)
		default:
			cur.WriteString(sp.Text)
		}
	}
	flush()
	if len(elems) > maxContextElems {
		elems = elems[:maxContextElems]
	}
	if len(elems) == 0 {
		return nil
	}
	return slack.NewContextBlock("", elems...)
}

func isUserID(s string) bool {
	if len(s) < 2 || len(s) > 40 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// buttons renders a section's buttons as an actions block. action_id is the
// button's Action; a second button with the same Action in the block gets a
// "#n" suffix, which actionName removes again.
func buttons(bs []conversations.Button) *slack.ActionBlock {
	if len(bs) == 0 {
		return nil
	}
	if len(bs) > maxActionsElems {
		bs = bs[:maxActionsElems]
	}
	seen := map[string]int{}
	var elems []slack.BlockElement
	for _, b := range bs {
		id := clip(b.Action, maxActionID-4)
		if n := seen[id]; n > 0 {
			seen[id] = n + 1
			id = fmt.Sprintf("%s#%d", id, n)
		} else {
			seen[id] = 1
		}
		be := slack.NewButtonBlockElement(id, clip(b.Value, maxButtonValue), plain(b.Label, maxButtonText))
		switch b.Style {
		case conversations.Primary:
			be.Style = slack.StylePrimary
		case conversations.Danger:
			be.Style = slack.StyleDanger
		}
		elems = append(elems, be)
	}
	return slack.NewActionBlock("", elems...)
}

// actionName is the conversations action of a button's action_id.
func actionName(actionID string) string {
	if i := strings.LastIndexByte(actionID, '#'); i > 0 {
		return actionID[:i]
	}
	return actionID
}

// renderBlocks turns a neutral message into Block Kit blocks, at most max of
// them (50 for a message, 100 for a modal or the App Home). When a message
// would need more, the last block says how many were left out.
func renderBlocks(m *conversations.Message, max int) []slack.Block {
	if m == nil {
		return nil
	}
	var out []slack.Block
	if m.Title != "" {
		out = append(out, slack.NewHeaderBlock(plain(m.Title, maxHeaderText)))
	}
	for _, s := range m.Sections {
		rb := &richBuilder{}
		if len(s.Heading) > 0 {
			rb.line(s.Heading, true)
		}
		for _, l := range s.Lines {
			rb.newline()
			rb.line(l, false)
		}
		for _, f := range s.Fields {
			rb.newline()
			rb.text(f.Label+": ", &slack.RichTextSectionTextStyle{Bold: true})
			rb.line(f.Value, false)
		}
		rb.flush()
		out = append(out, rb.blocks...)
		if a := buttons(s.Buttons); a != nil {
			out = append(out, a)
		}
		if c := contextBlock(s.Note); c != nil {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = append(out, richLine(conversations.T(fallbackOf(m))))
	}
	return capBlocks(out, max)
}

func fallbackOf(m *conversations.Message) string {
	if m.Summary != "" {
		return m.Summary
	}
	return " "
}

// richLine is one rich_text block holding one line.
func richLine(t conversations.Text) slack.Block {
	rb := &richBuilder{}
	rb.line(t, false)
	rb.flush()
	if len(rb.blocks) == 0 {
		return slack.NewRichTextBlock("", slack.NewRichTextSection(slack.NewRichTextSectionTextElement(" ", nil)))
	}
	return rb.blocks[0]
}

// capBlocks keeps at most max blocks; when it cuts, the last one says how
// many parts were left out.
func capBlocks(bs []slack.Block, max int) []slack.Block {
	if len(bs) <= max {
		return bs
	}
	kept := bs[:max-1]
	more := len(bs) - len(kept)
	note := slack.NewContextBlock("", plain(fmt.Sprintf("…and %d more parts not shown here (Slack shows at most %d).", more, max), maxContextText))
	return append(kept, note)
}
