package domain

// Escalation: when a person misses check-ins week after week, their team
// lead hears of it, once per streak.

// KindEscalation is the DM a team lead gets when a person of the team has
// missed check-ins in a row. It is decided when a week closes (the
// person's check-in moment, in their time zone), with the other kinds in
// schedule.go.
const KindEscalation = "escalation"

// Escalation thresholds: the default number of missed check-ins in a row
// that reaches the lead, and the most that can be set (a quarter's weeks).
const (
	DefaultEscalateAfter = 2
	MaxEscalateAfter     = 13
)

// Escalation is when a person's missed check-ins reach their team lead: after
// After in a row (the default when 0), unless Off. Set tells a setting someone
// gave from none, in a team's override (as Schedule.Set).
type Escalation struct {
	After int
	Off   bool
	Set   bool
}

// Threshold returns how many missed check-ins in a row escalate.
func (e Escalation) Threshold() int {
	if e.After <= 0 {
		return DefaultEscalateAfter
	}
	return e.After
}

// EscalationRun returns the weeks to escalate at the end of a person's weeks,
// as CheckInStates judged them: the streak of missed check-ins at the end
// (MissedRun: weeks away neither break nor extend it) when it holds at least
// after weeks and only the week still open follows its last one. A streak
// followed by an absence is left alone: the person went away right after it
// and their lead hears only if they miss again on their return, when the
// streak, still the same one, goes on.
func EscalationRun(weeks []Week, states []CheckInState, after int) []Week {
	idx := missedRun(states)
	if len(idx) == 0 || len(idx) < after {
		return nil
	}
	for _, st := range states[idx[len(idx)-1]+1:] {
		if st != Pending {
			return nil
		}
	}
	return MissedRun(weeks, states)
}

// Lead is who hears of a person's missed check-ins, and why them.
type Lead struct {
	User string
	// Objective is the ref of the objective they own that holds the
	// person's key results; "" when the team named them its lead
	// (`/okr settings lead @user`).
	Objective string
}

// TeamLead finds the lead of person in team (a channel id, "" for objectives
// with no team): the lead the team configured, else the owner of the oldest
// of objectives (as the store lists them: oldest first) that is the team's
// and holds a key result of the person. It never guesses further and never
// names the person themself: with no lead, or with the person as their own
// lead, User is "" and why says so, for the log.
func TeamLead(person, team, configured string, objectives []Objective) (lead Lead, why string) {
	if configured != "" {
		if configured == person {
			return Lead{}, "they are their team's lead (/okr settings lead)"
		}
		return Lead{User: configured}, ""
	}
	for _, o := range objectives {
		if o.Team != team || !ownsKR(o, person) {
			continue
		}
		if o.Owner == person {
			return Lead{}, "they own " + o.Ref + ", the team's objective that holds their key results, and the team names no lead (/okr settings lead)"
		}
		return Lead{User: o.Owner, Objective: o.Ref}, ""
	}
	return Lead{}, "no objective of their team holds their key results"
}

func ownsKR(o Objective, person string) bool {
	for _, kr := range o.KeyResults {
		if kr.Owner == person {
			return true
		}
	}
	return false
}
