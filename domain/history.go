package domain

import "time"

// Change is one edit: who changed which field of what, from what to what,
// and when. Values are kept as people read them ("4h", "O-3", "none"), and
// a person as their user id (Field "owner").
type Change struct {
	At    time.Time
	By    string
	Ref   string // "O-3", "KR-7" or a KPI slug
	Field string // "title", "target", "status", …
	From  string
	To    string
}

// MaxHistory bounds the changes kept with one objective or KPI, so that a
// document stays small however often it is edited; the oldest go first.
const MaxHistory = 500

// Record appends changes to a history, keeping at most MaxHistory.
func Record(history []Change, changes ...Change) []Change {
	history = append(history, changes...)
	if n := len(history) - MaxHistory; n > 0 {
		history = append(history[:0:0], history[n:]...)
	}
	return history
}
