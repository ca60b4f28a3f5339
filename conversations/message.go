package conversations

import (
	"strings"
)

// The neutral message model. Every string in it is literal text: renderers
// escape it for their platform, so text a person typed ("<!channel>",
// "*bold*", "<b>") is shown as typed and never becomes a mention or markup.
// Formatting is structure (a bold span, a progress bar), not markup.

// Style is how a span of text is emphasised.
type Style int

// Styles.
const (
	Plain Style = iota
	Bold
	Italic
	Code
)

// Span is a run of text with one style, or a reference to a person, or a
// progress bar drawn in text.
type Span struct {
	Text  string
	Style Style
	// User, when set, is a platform user id; Text holds their display name.
	// Renderers show the name; they notify the person only when Notify is set.
	User   string
	Notify bool
	// Channel, when set, is a platform channel id; Text holds its name.
	Channel string
	// Bar, when set, draws a progress bar; Text is ignored.
	Bar *Bar
}

// Bar is a progress bar against the expected pace.
type Bar struct {
	Value float64 // 0..1
	Pace  float64 // expected progress 0..1; negative when there is no pace to show
}

// Text is a line of spans.
type Text []Span

// T returns plain text.
func T(s string) Text { return Text{{Text: s}} }

// B returns bold text.
func B(s string) Text { return Text{{Text: s, Style: Bold}} }

// Add appends plain text and returns the line.
func (t Text) Add(s string) Text { return append(t, Span{Text: s}) }

// AddB appends bold text.
func (t Text) AddB(s string) Text { return append(t, Span{Text: s, Style: Bold}) }

// AddI appends italic text.
func (t Text) AddI(s string) Text { return append(t, Span{Text: s, Style: Italic}) }

// AddCode appends code-styled text (refs, commands).
func (t Text) AddCode(s string) Text { return append(t, Span{Text: s, Style: Code}) }

// AddUser appends a reference to a person.
func (t Text) AddUser(id, name string) Text {
	if name == "" {
		name = id
	}
	return append(t, Span{Text: name, User: id})
}

// AddChannel appends a reference to a channel.
func (t Text) AddChannel(id, name string) Text {
	if name == "" {
		name = id
	}
	return append(t, Span{Text: name, Channel: id})
}

// AddBar appends a progress bar.
func (t Text) AddBar(value, pace float64) Text {
	return append(t, Span{Bar: &Bar{Value: value, Pace: pace}})
}

// String returns the text without styles, for logs, fallbacks and tests
// (as TextLine).
func (t Text) String() string { return TextLine(t) }

// BarString draws value (0..1) as a bar of width cells: "▓▓▓▓▓▓░░░░".
func BarString(value float64, width int) string {
	if value < 0 || value != value {
		value = 0
	}
	if value > 1 {
		value = 1
	}
	full := int(value*float64(width) + 0.5)
	return strings.Repeat("▓", full) + strings.Repeat("░", width-full)
}

// Field is a label and a value, shown side by side where the platform can.
type Field struct {
	Label string
	Value Text
}

// Section is a block of a message: a heading, lines, fields, buttons and a
// small print footnote. Every part is optional.
type Section struct {
	Heading Text
	Lines   []Text
	Fields  []Field
	Buttons []Button
	Note    Text // small, grey context
}

// ButtonStyle colours a button.
type ButtonStyle int

// Button styles.
const (
	Default ButtonStyle = iota
	Primary
	Danger
)

// Actions a button can carry. Adapters send them back to Service.Action.
const (
	ActionCheckIn       = "checkin.open"   // opens this week's check-in form
	ActionDeleteConfirm = "delete.confirm" // Value: the ref to delete
	ActionDeleteCancel  = "delete.cancel"
	ActionCreate        = "create.open" // opens the creation form
	// ActionEdit opens an edit form. Value: "O-3", "KR-7" or "kpi:<slug>".
	ActionEdit = "edit.open"
	// ActionConfirm runs a command that asked to be confirmed. Value: the
	// command's arguments as typed ("okr grade O-3 0.7 shipped"); the
	// command runs as if --yes had been added.
	ActionConfirm = "confirm"
	ActionCancel  = "cancel" // Value: what is kept, for the answer
)

// ActionOpensForm reports whether a button's action opens a form, so that
// an adapter can open a "Loading…" modal while the platform's trigger is fresh.
func ActionOpensForm(action string) bool {
	return action == ActionCheckIn || action == ActionCreate || action == ActionEdit
}

// Button is something a person can press. Command is the typed equivalent,
// for text-only surfaces such as the console.
type Button struct {
	Label   string
	Action  string
	Value   string
	Style   ButtonStyle
	Command string
}

// Image is a picture attached to a message (the digest's chart).
type Image struct {
	PNG   []byte
	Alt   string
	Title string
	Name  string // file name, e.g. "okr-digest-company-2026-W48.png"
}

// Message is what okrbot says. Summary is a plain one-line version for
// notifications and platforms' fallback text.
type Message struct {
	Summary  string
	Title    string
	Sections []Section
	Image    *Image
}

// Lines returns a message made of plain lines in one section.
func Lines(summary string, lines ...Text) *Message {
	return &Message{Summary: summary, Sections: []Section{{Lines: lines}}}
}

// InputKind is the kind of a form input.
type InputKind int

// Input kinds.
const (
	TextInput InputKind = iota
	TextArea
	NumberInput
	Select
	// UserSelect picks a person; its value is their platform user id.
	// Platforms without a people picker show a text input for the id.
	UserSelect
	// ChannelSelect picks a channel; its value is the channel id.
	ChannelSelect
)

// Option is a choice of a Select input.
type Option struct {
	Value string
	Label string
}

// Input is one field of a form. IDs are stable: submissions come back keyed by them.
type Input struct {
	ID          string
	Label       string
	Kind        InputKind
	Placeholder string
	Initial     string
	Options     []Option
	Optional    bool
	MaxLength   int
	Hint        string
	// Skip, when set, is the answer that leaves this input out ("skip"):
	// the input has no value to keep, so a text front end (the console)
	// asks for a value or this word rather than taking an empty answer.
	// On platforms an empty field means the same.
	Skip string
}

// FormSection groups inputs under a heading (one key result of the check-in).
type FormSection struct {
	Heading Text
	Note    Text
	Inputs  []Input
}

// Form identifiers.
const (
	FormCheckIn       = "checkin"
	FormCreate        = "create"
	FormEditObjective = "edit-objective" // State: "O-3@<version>"
	FormEditKR        = "edit-kr"        // State: "KR-7@<version of its objective>"
	FormEditKPI       = "edit-kpi"       // State: the slug
)

// Form is something to fill in: a Slack modal, a Teams Adaptive Card, the
// console's questions. State is opaque and must come back with the submission.
type Form struct {
	ID       string
	Title    string
	Submit   string
	State    string
	Intro    Text
	Sections []FormSection
	// OpenAction and OpenValue are the button that opens this form again,
	// for a platform that cannot open it right now (an expired trigger).
	OpenAction, OpenValue string
}

// Submission is a filled-in form. Key identifies this submission on the
// platform (a view id and hash, an activity id), so that a repeated
// delivery has one effect.
type Submission struct {
	Form   string
	State  string
	Values map[string]string
	Key    string
}

// Reply is the answer to a command, an action or a submission.
type Reply struct {
	// Message is the answer, shown only to the person unless Public.
	Message *Message
	Public  bool
	// Announce, when set, is also posted to the channel the command came from.
	Announce *Message
	// Form, when set, is opened for the person.
	Form *Form
	// Errors are per-input messages for a Submission; the form stays open.
	Errors map[string]string
	// Code is the domain error code (domain.EINVALID, …) when the reply
	// refuses or fails, and "" when it succeeded. Programs (tests, metrics)
	// act on it, never on the wording.
	Code string
	// Shared says Message is one answer given to many requests (/okr help
	// on a given day): it must not be changed, and an adapter may keep what
	// it renders from it for the next request that gets it.
	Shared bool
	// File, when set, is sent to the person who asked, privately (Slack:
	// into their direct messages with okrbot; Teams: offered in their
	// personal chat, to accept or decline). Message says what it is.
	File *File
}

// File is a file okrbot sends a person (an export).
type File struct {
	Name  string // okrbot-export-slack-T024BE7LD-2026-Q4.zip
	Title string
	Data  []byte
	// Ref makes the file again (Service.File): a platform that asks the
	// person first (Teams' file consent) keeps only it, and fetches the
	// file when the person accepts.
	Ref string
}

// Failed reports whether the reply refuses or fails what was asked.
func (r Reply) Failed() bool { return r.Code != "" }
