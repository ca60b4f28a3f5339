package conversations

import (
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// PromptMessage is the Friday DM (or Monday's reminder, with kind
// KindReminder): the person's key results in the week with where they
// stand, and a button to check in.
func PromptMessage(ws domain.Workspace, kind string, week domain.Week, krs []domain.KeyResult) *Message {
	c := "/okr checkin"
	if ws.Platform == domain.Teams {
		c = "okr checkin"
	}
	title := fmt.Sprintf("Time for your weekly check-in (week %s)", weekShort(week))
	intro := "Two minutes: for each key result, where it stands and how confident you are."
	if kind == KindReminder {
		title = fmt.Sprintf("Reminder: your check-in for week %s is not in yet", weekShort(week))
		intro = "Your team's digest is better with your numbers in it."
	}
	sec := Section{Lines: []Text{T(intro)}}
	for i, kr := range krs {
		if i == 10 {
			sec.Lines = append(sec.Lines, T(fmt.Sprintf("…and %d more", len(krs)-10)))
			break
		}
		line := Text{}.AddCode(kr.Ref).Add(" " + clip(kr.Title, 80) + " · " + describeKR(kr))
		if kr.Confidence > 0 {
			line = line.Add(fmt.Sprintf(" · last confidence %d/10", kr.Confidence))
		}
		sec.Lines = append(sec.Lines, line)
	}
	sec.Buttons = []Button{{Label: "Check in", Action: ActionCheckIn, Style: Primary, Command: c}}
	// A date two weeks after the week's start: never one already past.
	away := week.Start(time.UTC).AddDate(0, 0, 14).Format(time.DateOnly)
	sec.Note = T("Away? ").AddCode(strings.TrimSuffix(c, "checkin") + "away until " + away).Add(" pauses these.")
	return &Message{Summary: title, Title: title, Sections: []Section{sec}}
}

// AlertMessage tells a KPI's owner and team that it changed state, to state.
func AlertMessage(ws domain.Workspace, k domain.KPI, state domain.Health) *Message {
	loc := loadLocation(ws.Settings.TimeZone)
	title := fmt.Sprintf("%s %s is %s", healthMark(state), k.Name, state)
	var line Text
	switch state {
	case domain.HealthStale:
		line = T(fmt.Sprintf("No value since %s; it is measured every %s.", latestString(k, loc), k.Cadence))
	default:
		line = T("Latest: " + latestString(k, loc) + " · " + describeKPI(k))
	}
	kc := "/kpi"
	if ws.Platform == domain.Teams {
		kc = "kpi"
	}
	return &Message{Summary: title, Title: title, Sections: []Section{{
		Lines: []Text{line},
		Note:  Text{}.Add("Details: ").AddCode(kc + " show " + k.Slug).Add(" · record a value: ").AddCode(kc + " set " + k.Slug + " 42"),
	}}}
}

// refusedWhy says, for the error code a platform refused a channel post
// with, what is wrong and how to fix it.
var refusedWhy = map[string]string{
	"not_in_channel":    "okrbot is not a member of the channel",
	"channel_not_found": "okrbot cannot see the channel (it is private and okrbot is not in it, or it was deleted)",
	"is_archived":       "the channel is archived",
	"restricted_action": "the workspace does not let okrbot post there",
}

// RefusedCode finds the platform's error code in a refusal ("send failed:
// chat.postMessage: not_in_channel" → "not_in_channel"); "" when none of
// those okrbot knows is in it.
func RefusedCode(reason string) string {
	for code := range refusedWhy {
		if strings.Contains(reason, code) {
			return code
		}
	}
	return ""
}

// DigestRefusedMessage is the DM to the person who subscribed a channel
// when the platform refuses the channel's digest for good: which channel,
// why (code is the platform's error code, "" when unknown) and the fix.
func DigestRefusedMessage(ws domain.Workspace, channel, name, code string) *Message {
	why := refusedWhy[code]
	if why == "" {
		why = "the platform refused the post"
	}
	if code != "" {
		why += " (" + code + ")"
	}
	fix := T("Invite it: type ").AddCode("/invite @okrbot").Add(" in ").AddChannel(channel, name).Add(", and the next digest will be posted there.")
	okr := "/okr"
	if ws.Platform == domain.Teams {
		fix = T("Add okrbot to that channel's team, then mention it there once (").AddCode("@okrbot okr help").Add(") so that it can post there.")
		okr = "okr"
	}
	switch code {
	case "is_archived":
		fix = T("Unarchive the channel, or subscribe another: ").AddCode(okr + " digest subscribe #channel")
	case "restricted_action":
		fix = T("Ask a workspace admin to allow okrbot to post in ").AddChannel(channel, name).Add(", or subscribe another channel.")
	}
	title := "The weekly digest could not be posted"
	return &Message{Summary: title + " in #" + orID(name, channel), Title: title, Sections: []Section{{
		Lines: []Text{Text{}.Add("okrbot could not post the weekly digest you subscribed ").AddChannel(channel, name).Add(" to: " + why + "."), fix},
		Note:  T("You are told once; to stop the digest there: ").AddCode(okr + " digest unsubscribe #" + orID(name, channel)),
	}}}
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}
