package domain

import "time"

// ObjectiveFilter narrows a search for objectives. Zero fields do not filter.
type ObjectiveFilter struct {
	Cycle    Cycle
	Person   string // owns the objective or one of its key results
	KROwner  string // owns one of its key results
	Team     string
	KPI      string // has a key result linked to this KPI
	Statuses []ObjectiveStatus
	Refs     []string
}

// CheckInFilter narrows a search for check-ins. Zero fields do not filter.
type CheckInFilter struct {
	User  string
	Weeks []Week
	KRs   []string
	Team  string // check-ins of the key results of the team's objectives (a channel id)
	Since time.Time
}
