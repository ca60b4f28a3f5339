package slackbot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/conversations"
)

// inputActionID is the action_id of every input element; the block_id is
// the conversations Input.ID, so submissions come back keyed by it.
const inputActionID = "value"

// callbackPrefix marks okrbot's modals in view_submission payloads.
const callbackPrefix = "okrbot:"

// formMeta is what a modal carries in private_metadata and gets back on
// submission: the form, its opaque state, and where it was opened.
type formMeta struct {
	Form        string `json:"f"`
	State       string `json:"s,omitempty"`
	Channel     string `json:"c,omitempty"`
	ResponseURL string `json:"r,omitempty"`
}

func (m formMeta) encode() (string, error) {
	b, _ := json.Marshal(m)
	if len(b) > maxMetadata && m.ResponseURL != "" {
		m.ResponseURL = ""
		b, _ = json.Marshal(m)
	}
	if len(b) > maxMetadata {
		return "", errors.New("slackbot: form state too long for private_metadata")
	}
	return string(b), nil
}

func decodeMeta(s string) (formMeta, error) {
	var m formMeta
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}

// renderModal turns a form into a modal view with one input block per input.
func renderModal(f *conversations.Form, meta formMeta) (slack.ModalViewRequest, error) {
	meta.Form, meta.State = f.ID, f.State
	md, err := meta.encode()
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	submit := f.Submit
	if submit == "" {
		submit = "Submit"
	}
	var blocks []slack.Block
	if len(f.Intro) > 0 {
		rb := &richBuilder{}
		rb.line(f.Intro, false)
		rb.flush()
		blocks = append(blocks, rb.blocks...)
	}
	seen := map[string]bool{}
	for _, s := range f.Sections {
		if len(s.Heading) > 0 || len(s.Note) > 0 {
			// Heading and note share one block: four blocks a key result keep
			// a 20-row check-in under the modal's 100.
			rb := &richBuilder{}
			rb.line(s.Heading, true)
			if len(s.Note) > 0 {
				rb.newline()
				note := make(conversations.Text, len(s.Note))
				for i, sp := range s.Note {
					if sp.Style == conversations.Plain {
						sp.Style = conversations.Italic
					}
					note[i] = sp
				}
				rb.line(note, false)
			}
			rb.flush()
			blocks = append(blocks, rb.blocks...)
		}
		for _, in := range s.Inputs {
			if in.ID == "" || len(in.ID) > maxBlockID || seen[in.ID] {
				return slack.ModalViewRequest{}, errors.New("slackbot: form input without a unique id: " + clip(in.ID, 40))
			}
			seen[in.ID] = true
			blocks = append(blocks, inputBlock(in))
		}
	}
	if len(blocks) > maxViewBlocks {
		return slack.ModalViewRequest{}, errors.New("slackbot: form has more than 100 blocks")
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(f.Title, maxModalTitle),
		Submit:          plain(submit, maxModalTitle),
		Close:           plain("Cancel", maxModalTitle),
		Blocks:          slack.Blocks{BlockSet: blocks},
		PrivateMetadata: md,
		CallbackID:      callbackPrefix + f.ID,
	}, nil
}

func inputBlock(in conversations.Input) *slack.InputBlock {
	var el slack.BlockElement
	var ph *slack.TextBlockObject
	if in.Placeholder != "" {
		ph = plain(in.Placeholder, maxPlaceholder)
	}
	maxLen := in.MaxLength
	if maxLen <= 0 || maxLen > maxTextInputLen {
		maxLen = maxTextInputLen
	}
	textInput := func(multiline bool) slack.BlockElement {
		t := slack.NewPlainTextInputBlockElement(ph, inputActionID)
		t.Multiline = multiline
		t.MaxLength = maxLen
		t.InitialValue = clip(in.Initial, maxLen)
		return t
	}
	switch in.Kind {
	case conversations.TextArea:
		el = textInput(true)
	case conversations.NumberInput:
		n := slack.NewNumberInputBlockElement(ph, inputActionID, true)
		if _, err := strconv.ParseFloat(strings.TrimSpace(in.Initial), 64); err == nil {
			n.InitialValue = strings.TrimSpace(in.Initial)
		}
		el = n
	case conversations.UserSelect:
		u := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, ph, inputActionID)
		u.InitialUser = in.Initial
		el = u
	case conversations.ChannelSelect:
		c := slack.NewOptionsSelectBlockElement(slack.OptTypeChannels, ph, inputActionID)
		c.InitialChannel = in.Initial
		el = c
	case conversations.Select:
		if len(in.Options) == 0 {
			el = textInput(false)
			break
		}
		opts := in.Options
		if len(opts) > maxOptions {
			opts = opts[:maxOptions]
		}
		var os []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for _, o := range opts {
			ob := slack.NewOptionBlockObject(clip(o.Value, maxOptionValue), plain(o.Label, maxOptionText), nil)
			if o.Value == in.Initial && initial == nil {
				initial = ob
			}
			os = append(os, ob)
		}
		s := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, ph, inputActionID, os...)
		s.InitialOption = initial
		el = s
	default:
		el = textInput(false)
	}
	var hint *slack.TextBlockObject
	if in.Hint != "" {
		hint = plain(in.Hint, maxInputHint)
	}
	b := slack.NewInputBlock(in.ID, plain(in.Label, maxInputLabel), hint, el)
	b.Optional = in.Optional
	return b
}

// messageModal shows a message in a modal (the answer to something that was
// expected to open a form, such as "nothing to check in on").
func messageModal(m *conversations.Message) slack.ModalViewRequest {
	title := "okrbot"
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(title, maxModalTitle),
		Close:  plain("Close", maxModalTitle),
		Blocks: slack.Blocks{BlockSet: renderBlocks(m, maxViewBlocks)},
	}
}

// loadingModal is opened at once with a fresh trigger_id (valid for three
// seconds) and replaced by the real form when it is ready.
func loadingModal() slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain("okrbot", maxModalTitle),
		Close:  plain("Close", maxModalTitle),
		Blocks: slack.Blocks{BlockSet: []slack.Block{richLine(conversations.T("Loading…"))}},
	}
}

// submittedValues reads a view's state: input block id -> value.
func submittedValues(st *slack.ViewState) map[string]string {
	out := map[string]string{}
	if st == nil {
		return out
	}
	for blockID, acts := range st.Values {
		for _, a := range acts {
			// Typed values come escaped as all text from Slack does; option
			// values are okrbot's own, and ids are Slack's.
			v := unescape(a.Value)
			switch {
			case a.SelectedOption.Value != "":
				v = a.SelectedOption.Value
			case a.SelectedUser != "":
				v = a.SelectedUser
			case a.SelectedChannel != "":
				v = a.SelectedChannel
			case a.SelectedConversation != "":
				v = a.SelectedConversation
			}
			out[blockID] = v
		}
	}
	return out
}

// submissionKey identifies one submission: the view and what was in it. A
// double click sends the same view with the same values: the same key, one
// effect. A corrected resubmission of the same view has a new key.
func submissionKey(viewID string, values map[string]string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(values[k]))
		h.Write([]byte{0})
	}
	return viewID + "/" + hex.EncodeToString(h.Sum(nil))[:32]
}

// formErrors maps conversations' per-input errors onto the view's input
// blocks; an error for an input the view does not show goes to the first one.
func formErrors(view slack.View, errs map[string]string) map[string]string {
	ids := map[string]bool{}
	first := ""
	for _, b := range view.Blocks.BlockSet {
		if ib, ok := b.(*slack.InputBlock); ok {
			ids[ib.BlockID] = true
			if first == "" {
				first = ib.BlockID
			}
		}
	}
	out := map[string]string{}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msg := clip(errs[k], 500)
		target := k
		if !ids[k] {
			target = first
		}
		if target == "" {
			continue
		}
		if prev := out[target]; prev != "" {
			msg = clip(prev+" "+msg, 1000)
		}
		out[target] = msg
	}
	return out
}
