package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/conversations"
)

// serveInteraction answers POST /slack/interactions: buttons
// (block_actions) and form submissions (view_submission).
func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, _ []byte) {
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if no := b.check(r.Context(), r.URL.Path, r.RemoteAddr, teamOf(ic), ic.Enterprise.ID, nil); no != nil {
		no.write(w)
		return
	}
	writeAck(w, b.interaction(r.Context(), ic, b.now()))
}

func teamOf(ic slack.InteractionCallback) string {
	switch {
	case ic.Team.ID != "":
		return ic.Team.ID
	case ic.View.TeamID != "":
		return ic.View.TeamID
	}
	return ic.User.TeamID
}

// interaction handles a verified, admitted interaction and returns what to
// answer at once (nil: an empty 200). It is the path HTTP and Socket Mode
// share.
func (b *Bot) interaction(ctx context.Context, ic slack.InteractionCallback, at time.Time) []byte {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		if len(ic.ActionCallback.BlockActions) == 0 {
			return nil
		}
		go b.blockAction(context.WithoutCancel(ctx), ic, at)
		return nil
	case slack.InteractionTypeViewSubmission:
		return b.viewSubmission(ctx, ic, at)
	}
	return nil
}

// blockAction runs a button press after the acknowledgement. Buttons that
// open a form open a "Loading…" modal first, while the trigger is fresh.
func (b *Bot) blockAction(ctx context.Context, ic slack.InteractionCallback, at time.Time) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.CommandTimeout)
	defer cancel()
	act := ic.ActionCallback.BlockActions[0]
	action := actionName(act.ActionID)
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	req := request{team: teamOf(ic), user: ic.User.ID, channel: channel, responseURL: ic.ResponseURL, triggerID: ic.TriggerID, at: at}
	c, err := b.client(ctx, req.team)
	if err != nil {
		b.log.Warn("slack button from a workspace okrbot cannot answer", "team", req.team, "err", safeErr(err))
		return
	}
	opensForm := conversations.ActionOpensForm(action)
	var viewID string
	if opensForm && req.triggerID != "" {
		viewID = b.preopen(ctx, c, req)
	}
	a := b.actor(ctx, c, req.team, req.user, channel)
	rep := b.svc.Action(ctx, a, action, act.Value)
	if rep.Message != nil && !opensForm && ic.Container.Type == "message" && req.responseURL != "" {
		// The answer replaces the message with the button (a delete
		// confirmation becomes "Deleted O-3").
		b.respondReplacing(ctx, c, req, messageAnswer(rep.Message, false))
		rep.Message = nil
	}
	b.deliver(ctx, c, req, a, rep, viewID, nil)
}

func (b *Bot) respondReplacing(ctx context.Context, c *slack.Client, req request, ans answer) {
	ans.ReplaceOriginal = true
	b.respond(ctx, c, req, ans, nil)
}

// viewSubmission handles a submitted form. Slack waits 3 s for the answer:
// validation errors are shown on their fields (response_action errors),
// success closes the modal and the confirmation follows as a message. A
// submission that takes longer than SubmitWait is acknowledged (the modal
// closes) and its outcome, errors included, follows as a message.
func (b *Bot) viewSubmission(ctx context.Context, ic slack.InteractionCallback, at time.Time) []byte {
	if !strings.HasPrefix(ic.View.CallbackID, callbackPrefix) {
		return nil
	}
	meta, err := decodeMeta(ic.View.PrivateMetadata)
	if err != nil || meta.Form == "" {
		return nil
	}
	values := submittedValues(ic.View.State)
	sub := conversations.Submission{Form: meta.Form, State: meta.State, Values: values, Key: submissionKey(ic.View.ID, values)}
	req := request{team: teamOf(ic), user: ic.User.ID, channel: meta.Channel, responseURL: meta.ResponseURL, at: at}
	got := make(chan conversations.Reply)
	gaveUp := make(chan struct{})
	go func() {
		defer b.recoverPanic("form submission")
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.CommandTimeout)
		defer cancel()
		c, err := b.client(ctx, req.team)
		if err != nil {
			b.log.Warn("slack form from a workspace okrbot cannot answer", "team", req.team, "err", safeErr(err))
			return
		}
		a := b.actor(ctx, c, req.team, req.user, meta.Channel)
		a.Channel = meta.Channel
		rep := b.svc.Submit(ctx, a, sub)
		answered := false
		select {
		case got <- rep:
			answered = true
		case <-gaveUp:
		}
		if len(rep.Errors) > 0 {
			if !answered {
				b.respond(ctx, c, req, messageAnswer(errorsMessage(rep.Errors), false), nil)
			}
			return
		}
		b.deliver(ctx, c, req, a, rep, "", nil)
	}()
	t := time.NewTimer(b.cfg.SubmitWait)
	defer t.Stop()
	select {
	case rep := <-got:
		if len(rep.Errors) > 0 {
			body, _ := json.Marshal(slack.NewErrorsViewSubmissionResponse(formErrors(ic.View, rep.Errors)))
			return body
		}
		body, _ := json.Marshal(slack.NewClearViewSubmissionResponse())
		return body
	case <-t.C:
		close(gaveUp)
		return nil
	}
}

// errorsMessage tells a person why a form that closed before its
// validation finished was not saved.
func errorsMessage(errs map[string]string) *conversations.Message {
	m := &conversations.Message{Summary: "Not saved", Sections: []conversations.Section{{
		Lines: []conversations.Text{conversations.T("That form was not saved:")},
	}}}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.Sections[0].Lines = append(m.Sections[0].Lines, conversations.T("• "+k+": "+errs[k]))
	}
	return m
}
