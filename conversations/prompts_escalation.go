package conversations

import (
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Kind of delivery the lead of a person who misses check-ins gets (see domain).
const KindEscalation = domain.KindEscalation

// EscalationNotice is what a team lead is told of a person's missed
// check-ins: who, which weeks since when, their key results, and why this
// lead.
type EscalationNotice struct {
	Person, PersonName string
	// Team is the channel of the person's team ("" for objectives of no
	// team), TeamName its name when known.
	Team, TeamName string
	// Missed are the weeks missed in a row, oldest first (weeks away in
	// between are not among them), and Since is when the first of them was
	// asked for.
	Missed []domain.Week
	Since  time.Time
	// LastCheckIn is the week of the person's last check-in this cycle
	// ("" for none).
	LastCheckIn domain.Week
	KRs         []domain.KeyResult
	// Lead is who gets it and why; Objective is the objective they own,
	// when that is why.
	Lead      domain.Lead
	Objective domain.Objective
}

// EscalationMessage is the DM a team lead gets when a person of the team has
// missed check-ins in a row. It names the person without notifying them
// (it is not their conversation), and offers what a lead can do next
// without leaving chat: see the person's key results (the command names
// them by id, which every front end reads as typed), or change when such
// messages come. It has no button: in Slack a button's answer replaces the
// message it is in, and the lead would lose what the message said.
func EscalationMessage(ws domain.Workspace, n EscalationNotice) *Message {
	c := "/okr"
	if ws.Platform == domain.Teams {
		c = "okr"
	}
	name := clip(n.PersonName, 60)
	if name == "" {
		name = n.Person
	}
	title := fmt.Sprintf("%s has missed %d check-ins in a row", name, len(n.Missed))
	sec := Section{Lines: []Text{
		Text{}.AddUser(n.Person, name).Add(fmt.Sprintf(" has not checked in for week%s %s (since %s).",
			plural(len(n.Missed)), weekList(n.Missed), n.Since.Format("Monday 2 January"))),
	}}
	if n.LastCheckIn != "" {
		sec.Lines = append(sec.Lines, T("Their last check-in was for week "+weekShort(n.LastCheckIn)+"."))
	} else {
		sec.Lines = append(sec.Lines, T("No check-in from them yet this cycle."))
	}
	for i, kr := range n.KRs {
		if i == 10 {
			sec.Lines = append(sec.Lines, T(fmt.Sprintf("…and %d more", len(n.KRs)-10)))
			break
		}
		line := Text{}.AddCode(kr.Ref).Add(" " + clip(kr.Title, 80) + " · " + describeKR(kr))
		if kr.Confidence > 0 {
			line = line.Add(fmt.Sprintf(" · last confidence %d/10", kr.Confidence))
		}
		sec.Lines = append(sec.Lines, line)
	}
	why := T("You get this as the lead of ").AddChannel(n.Team, n.TeamName).Add(".")
	if n.Lead.Objective != "" {
		why = T("You get this as the owner of ").AddCode(n.Objective.Ref).Add(" " + clip(n.Objective.Title, 60) + ", which holds their key results.")
	}
	sec.Lines = append(sec.Lines, why)
	sec.Note = T("A word from you usually works better than another reminder. Their key results: ").
		AddCode(c + " list @" + n.Person).Add(" · fewer of these: ").AddCode(c + " settings escalate after 3").Add(" or ").AddCode("escalate off")
	if n.Team != "" {
		sec.Note = sec.Note.Add(" in the team's channel")
	}
	return &Message{Summary: title, Title: title, Sections: []Section{sec}}
}

// weekList names weeks as people read them: "45", "45 and 46", "44, 45 and 47".
func weekList(ws []domain.Week) string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = weekShort(w)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
