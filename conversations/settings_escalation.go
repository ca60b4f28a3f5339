package conversations

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

// The escalation settings of `/okr settings`: after how many missed
// check-ins in a row a person's team lead hears of it (`escalate after 3`,
// `escalate off`), and who the team's lead is (`lead @ada`, in the team's
// channel).

const (
	exEscalate = `/okr settings escalate after 3`
	exLead     = `/okr settings lead @ada`
)

// escalateWords may follow the number: "escalate after 3 weeks".
var escalateWords = map[string]bool{"week": true, "weeks": true, "missed": true, "misses": true, "check-ins": true, "checkins": true, "check-in": true}

// parseEscalate reads what follows "escalate": "after 3", "3", "after 3
// missed check-ins", "off" or "on". It returns the setting laid over cur
// and how many words it used.
func parseEscalate(w []token, cur domain.Escalation) (domain.Escalation, int, error) {
	if len(w) == 0 {
		return cur, 0, domain.Invalid(exEscalate, "Say after how many missed check-ins in a row the team lead hears of it, or off.")
	}
	switch strings.ToLower(w[0].s) {
	case "off", "never", "no", "none":
		return domain.Escalation{After: cur.After, Off: true, Set: true}, 1, nil
	case "on", "yes":
		return domain.Escalation{After: cur.After, Set: true}, 1, nil
	}
	used := 0
	if strings.EqualFold(w[0].s, "after") {
		used++
	}
	if used >= len(w) {
		return cur, used, domain.Invalid(exEscalate, "Give a number of missed check-ins after escalate after, from 1 to %d.", domain.MaxEscalateAfter)
	}
	n, err := strconv.Atoi(w[used].s)
	if err != nil || n < 1 || n > domain.MaxEscalateAfter {
		return cur, used, domain.Invalid(exEscalate, "%q is not a number of missed check-ins from 1 to %d (or off).", clip(w[used].s, 20), domain.MaxEscalateAfter)
	}
	used++
	for used < len(w) && escalateWords[strings.ToLower(w[used].s)] {
		used++
	}
	return domain.Escalation{After: n, Set: true}, used, nil
}

// parseLead reads what follows "lead": a person, or none. The caller
// checks the person with the platform once everything else is valid.
func parseLead(w []token) (string, error) {
	if len(w) == 0 {
		return "", domain.Invalid(exLead, "Name the team's lead with @, or none for the owner of the team's objective.")
	}
	switch strings.ToLower(w[0].s) {
	case "none", "off", "nobody", "default":
		return "", nil
	}
	id, _, ok := parseUser(w[0].s)
	if !ok {
		return "", domain.Invalid(exLead, "%q is not a person; use lead @name.", clip(w[0].s, 30))
	}
	return id, nil
}

// escalationString says when escalations go out under s.
func escalationString(e domain.Escalation) string {
	if e.Off {
		return "off"
	}
	n := e.Threshold()
	return fmt.Sprintf("after %d missed check-in%s in a row, a DM to the team lead", n, plural(n))
}

// escalationFields are the settings' lines about escalation: when, and for
// a team, to whom.
func (ss *session) escalationFields(s domain.Settings, team, lead string) []Field {
	fs := []Field{{"Escalation", T(escalationString(s.Escalate))}}
	if team == "" {
		return fs
	}
	who := T("the owner of the team's objective that holds the person's key results (")
	who = who.AddCode(ss.example(exLead)).Add(" names one)")
	if lead != "" {
		who = Text{}.AddUser(lead, ss.name(lead))
	}
	return append(fs, Field{"Team lead", who})
}
