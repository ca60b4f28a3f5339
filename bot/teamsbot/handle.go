package teamsbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// handle acts on one authenticated activity. Failures are logged; the Bot
// Connector is answered 200 whatever happens, since retrying would not help,
// except for an invoke, whose answer is the returned response (nil for
// other activities).
func (b *Bot) handle(ctx context.Context, in *incoming) *invokeResponse {
	if in.ChannelID != teamsChannel {
		b.log.Info("teams: ignoring an activity from another channel", "channel", in.ChannelID)
		if in.Type == schema.Invoke {
			return notImplemented
		}
		return nil
	}
	if in.tenant() == "" {
		b.log.Warn("teams: ignoring an activity without a tenant", "type", in.Type)
		if in.Type == schema.Invoke {
			return badInvoke("BadRequest", "No tenant")
		}
		return nil
	}
	switch in.Type {
	case schema.Invoke:
		b.saveRef(ctx, in)
		return b.onInvoke(ctx, in)
	case schema.Message:
		b.saveRef(ctx, in)
		if kind, _ := in.Value[dataKind].(string); kind != "" {
			b.onSubmit(ctx, in, kind)
			return nil
		}
		b.onMessage(ctx, in)
	case schema.ConversationUpdate:
		b.onConversationUpdate(ctx, in)
	case schema.InstallationUpdate:
		switch in.Action {
		case string(schema.InstallActionAdd), "add-upgrade":
			b.saveRef(ctx, in)
		case string(schema.InstallActionRemove), "remove-upgrade":
			b.forgetRefs(ctx, in)
		}
	}
	return nil
}

// saveRef stores the activity's conversation reference, unless this
// process already saved the same one.
func (b *Bot) saveRef(ctx context.Context, in *incoming) {
	r := in.ref()
	if r.Conversation == "" || r.ServiceURL == "" {
		return
	}
	key := r.WorkspaceID + "\x00" + r.Conversation
	fp := strings.Join([]string{r.Type, r.User, r.UserName, r.TeamID, r.ServiceURL, r.BotID, r.BotName}, "\x00")
	if v, ok := b.seen.Load(key); ok && v == fp {
		return
	}
	if err := b.store.SaveConversationRef(ctx, r); err != nil {
		b.log.Error("teams: saving a conversation reference", "workspace", r.WorkspaceID, "err", err)
		return
	}
	if _, known := b.seen.Swap(key, fp); !known {
		// The ids operators need for okrbot console --platform teams.
		b.log.Info("teams conversation", "tenant", in.tenant(), "type", r.Type, "user", r.User, "name", r.UserName)
	}
}

// forgetRefs deletes the references of a conversation okrbot was removed
// from; for a team, those of all the team's channels.
func (b *Bot) forgetRefs(ctx context.Context, in *incoming) {
	r := in.ref()
	b.forget(ctx, r.WorkspaceID, r.Conversation)
	if r.TeamID != "" {
		b.forgetTeam(ctx, r.WorkspaceID, r.TeamID, r.Conversation)
	}
}

// forgetTeam deletes the references of every channel of a team except skip.
func (b *Bot) forgetTeam(ctx context.Context, workspace, team, skip string) {
	if team == "" {
		return
	}
	refs, err := b.store.ConversationRefs(ctx, workspace)
	if err != nil {
		b.log.Error("teams: listing conversation references", "workspace", workspace, "err", err)
		return
	}
	for _, x := range refs {
		if x.TeamID == team && x.Conversation != skip {
			b.forget(ctx, workspace, x.Conversation)
		}
	}
}

// forget deletes one conversation's reference: okrbot can no longer post there.
func (b *Bot) forget(ctx context.Context, workspace, conversation string) {
	if conversation == "" {
		return
	}
	b.seen.Delete(workspace + "\x00" + conversation)
	if err := b.store.DeleteConversationRef(ctx, workspace, conversation); err != nil {
		b.log.Error("teams: deleting a conversation reference", "workspace", workspace, "err", err)
	}
}

func (b *Bot) onConversationUpdate(ctx context.Context, in *incoming) {
	switch in.channelData.EventType {
	case "channelDeleted":
		// The deleted channel is in channelData; the activity's
		// conversation is the team's general channel.
		if ch := in.channelData.Channel.ID; ch != "" {
			b.forget(ctx, in.workspaceID(), ch)
		}
		return
	case "teamDeleted", "teamHardDeleted":
		b.forgetTeam(ctx, in.workspaceID(), in.channelData.Team.ID, "")
		return
	}
	added := false
	for _, m := range in.MembersAdded {
		added = added || in.isBot(m.ID, b.conn.AppID())
	}
	removed := false
	for _, m := range in.MembersRemoved {
		removed = removed || in.isBot(m.ID, b.conn.AppID())
	}
	switch {
	case removed:
		b.forgetRefs(ctx, in)
	case added:
		b.saveRef(ctx, in)
		b.send(ctx, in, welcome(in.isPersonal()))
	case len(in.MembersAdded) > 0 || in.channelData.EventType != "":
		b.saveRef(ctx, in)
	}
}

func welcome(personal bool) *conversations.Message {
	m := &conversations.Message{Summary: "Hi, I'm okrbot", Title: "Hi, I'm okrbot"}
	m.Sections = []conversations.Section{{Lines: []conversations.Text{
		conversations.T("I run your team's OKRs and KPIs here in Teams: weekly check-ins, a digest of progress against pace, and KPI alerts."),
		conversations.T("Type ").AddCode("okr help").Add(" for every command, or ").AddCode("okr create Grow the European market").Add(" to begin."),
	}}}
	if !personal {
		m.Sections[0].Lines = append(m.Sections[0].Lines,
			conversations.T("In a channel, mention me first: ").AddCode("@okrbot okr list #this-channel").Add("; ").
				AddCode("okr digest subscribe").Add(" sends the weekly digest here."))
	}
	return m
}

func hint() *conversations.Message {
	return conversations.Lines("okrbot understands okr and kpi commands",
		conversations.T("I understand ").AddCode("okr …").Add(" and ").AddCode("kpi …").Add(" commands. Try ").
			AddCode("okr help").Add(" for the list, ").AddCode("okr list").Add(" for your objectives, or ").AddCode("okr checkin").Add("."))
}

// onMessage runs a typed command.
func (b *Bot) onMessage(ctx context.Context, in *incoming) {
	text, people := in.commandText(b.conn.AppID())
	cmd, args, ok := conversations.SplitCommand(text)
	if !ok {
		b.reply(ctx, in, messageActivity(hint(), true))
		return
	}
	if !b.firstDelivery(ctx, in) {
		return
	}
	for _, p := range people {
		if p.name == "" {
			continue
		}
		if err := b.store.SaveUser(ctx, domain.User{WorkspaceID: in.workspaceID(), ID: p.id, Name: p.name}); err != nil {
			b.log.Warn("teams: saving a mentioned person's name", "err", err)
		}
	}
	b.deliver(ctx, in, b.svc.Command(ctx, b.actor(in), cmd, args))
}

// firstDelivery reports whether the activity is seen for the first time:
// the Bot Connector redelivers an activity whose answer was slow.
func (b *Bot) firstDelivery(ctx context.Context, in *incoming) bool {
	if in.ID == "" {
		return true
	}
	// Activity ids are unique within a conversation only.
	first, err := b.store.Remember(ctx, "teams/"+in.tenant()+"/"+in.baseConversation()+"/"+in.ID)
	if err != nil {
		b.log.Warn("teams: remembering an activity", "err", err)
		return true
	}
	return first
}

// onSubmit handles Action.Submit from one of okrbot's cards: a button
// (kind "action") or a form (kind "form").
func (b *Bot) onSubmit(ctx context.Context, in *incoming, kind string) {
	a := b.actor(in)
	switch kind {
	case "action":
		if !b.firstDelivery(ctx, in) {
			return
		}
		name, _ := in.Value[dataAction].(string)
		b.deliver(ctx, in, b.svc.Action(ctx, a, name, valueString(in.Value[dataValue])))
	case "form":
		sub := formSubmission(in, in.Value)
		r := b.svc.Submit(ctx, a, sub)
		if len(r.Errors) > 0 {
			b.resendForm(ctx, in, sub, r.Errors)
			return
		}
		b.deliver(ctx, in, r)
	default:
		b.reply(ctx, in, messageActivity(hint(), true))
	}
}

// formSubmission reads a submitted form from its card's data: the form id,
// its state, and the inputs' values. Teams unescapes nothing: values are
// as typed.
func formSubmission(in *incoming, data map[string]any) conversations.Submission {
	form, _ := data[dataForm].(string)
	state, _ := data[dataState].(string)
	values := map[string]string{}
	for k, v := range data {
		if k != dataKind && k != dataForm && k != dataState {
			values[k] = valueString(v)
		}
	}
	return conversations.Submission{Form: form, State: state, Values: values, Key: submissionKey(in, values)}
}

// submissionKey identifies a form submission so that pressing the button
// twice (two activities) has one effect: the person, the card's activity id
// and the values submitted. The same card submitted with other values, or
// by someone else in a group chat, is a new submission.
func submissionKey(in *incoming, values map[string]string) string {
	where := in.baseConversation() + "/"
	if in.ReplyToID == "" {
		return where + in.ID
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", in.From.ID)
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, values[k])
	}
	return where + in.ReplyToID + "/" + hex.EncodeToString(h.Sum(nil))[:32]
}

// valueString turns a submitted value into the string conversations expect.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resendForm sends the form again, filled in as submitted, with the errors
// under the inputs they concern.
func (b *Bot) resendForm(ctx context.Context, in *incoming, sub conversations.Submission, errs map[string]string) {
	f := b.formFor(ctx, in, sub)
	if f == nil {
		lines := make([]conversations.Text, 0, len(errs))
		for _, msg := range sortedValues(errs) {
			lines = append(lines, conversations.T(msg))
		}
		b.reply(ctx, in, messageActivity(conversations.Lines("That form could not be saved", lines...), true))
		return
	}
	b.reply(ctx, in, cardActivity(formCard(f, sub.Values, errs), "Please correct the form"))
}

// formFor rebuilds the form a submission came from, with its state; nil
// when it cannot be.
func (b *Bot) formFor(ctx context.Context, in *incoming, sub conversations.Submission) *conversations.Form {
	a := b.actor(in)
	var f *conversations.Form
	switch sub.Form {
	case conversations.FormCheckIn:
		var err error
		if f, err = b.svc.CheckInForm(ctx, a); err != nil {
			b.log.Error("teams: check-in form", "err", err)
		}
		if f != nil && sub.State != "" {
			f.State = sub.State
		}
	case conversations.FormCreate:
		f = b.svc.Action(ctx, a, conversations.ActionCreate, "").Form
		if f != nil {
			f.State = sub.State
		}
	default:
		// The edit forms, rebuilt from their state.
		var err error
		if f, err = b.svc.Form(ctx, a, sub.Form, sub.State); err != nil {
			b.log.Warn("teams: form to re-send", "form", sub.Form, "err", err)
		}
	}
	return f
}

// sortedValues returns a map's values in order.
func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// deliver posts a reply. In a personal chat everything is answered there.
// In a channel or group chat Teams has no message only one person sees:
// the answer goes into the thread of the command, forms go to the person's
// personal chat (with a pointer in the thread), and an announcement is
// posted only when there was no answer in the thread already saying it.
func (b *Bot) deliver(ctx context.Context, in *incoming, r conversations.Reply) {
	if r.Message != nil && r.File != nil {
		b.offerFile(ctx, in, r.File, r.Message)
	} else if r.Message != nil {
		b.reply(ctx, in, messageActivity(r.Message, true))
	}
	if r.Form != nil {
		act := cardActivity(formCard(r.Form, nil, nil), r.Form.Title)
		if in.isPersonal() || !b.sendPrivately(ctx, in, act) {
			b.reply(ctx, in, act)
		} else {
			b.reply(ctx, in, messageActivity(conversations.Lines(r.Form.Title,
				conversations.T(r.Form.Title+": I sent you the form in our personal chat.")), true))
		}
	}
	if r.Announce != nil && r.Message == nil && !in.isPersonal() {
		b.reply(ctx, in, messageActivity(r.Announce, true))
	}
}

// sendPrivately sends act to the sender's personal chat with the bot,
// creating it if needed; false when that is not possible.
func (b *Bot) sendPrivately(ctx context.Context, in *incoming, act *Activity) bool {
	ref, err := b.sender.personal(ctx, in.workspaceID(), in.tenant(), in.From.ID, in.ServiceURL)
	if err == nil {
		_, err = b.conn.SendToConversation(ctx, in.tenant(), ref.ServiceURL, ref.Conversation, act)
	}
	b.count("reply", err)
	if err != nil {
		b.log.Warn("teams: personal chat unavailable; answering in the conversation", "err", err)
		return false
	}
	return true
}

// reply answers the activity (in a channel, in its thread). A message Teams
// refuses as too large is sent again without its image.
func (b *Bot) reply(ctx context.Context, in *incoming, act *Activity) {
	_, err := b.conn.ReplyToActivity(ctx, in.tenant(), in.ServiceURL, in.Conversation.ID, in.ID, act)
	if tooLarge(err) && act.retry != nil {
		_, err = b.conn.ReplyToActivity(ctx, in.tenant(), in.ServiceURL, in.Conversation.ID, in.ID, act.retry)
	}
	b.count("reply", err)
	if err != nil {
		b.log.Error("teams: reply", "workspace", in.workspaceID(), "err", err)
	}
}

// send posts a new message to the activity's conversation (welcome messages).
func (b *Bot) send(ctx context.Context, in *incoming, m *conversations.Message) {
	_, err := b.conn.SendToConversation(ctx, in.tenant(), in.ServiceURL, in.baseConversation(), messageActivity(m, true))
	b.count("reply", err)
	if err != nil {
		b.log.Warn("teams: welcome message", "workspace", in.workspaceID(), "err", err)
	}
}

func (b *Bot) count(kind string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	b.metrics.sends.WithLabelValues(kind, outcome).Inc()
}
