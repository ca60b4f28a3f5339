package domain

import "time"

// OutboxState is where a delivery stands.
type OutboxState string

// Outbox states. A delivery is written pending before anything is sent,
// sending while a process holds its lease, and ends sent, skipped (nothing
// to say any more: the person checked in meanwhile), dead (the platform
// refused it for good: channel gone, bot removed) or expired (given up:
// too many failed attempts, or too late to be worth sending). failed is
// waiting for a retry at NextAt.
const (
	OutboxPending OutboxState = "pending"
	OutboxSending OutboxState = "sending"
	OutboxFailed  OutboxState = "failed"
	OutboxSent    OutboxState = "sent"
	OutboxSkipped OutboxState = "skipped"
	OutboxDead    OutboxState = "dead"
	OutboxExpired OutboxState = "expired"
)

// Finished reports whether a delivery in state s is over: sent, skipped,
// dead or expired.
func (s OutboxState) Finished() bool {
	switch s {
	case OutboxSent, OutboxSkipped, OutboxDead, OutboxExpired:
		return true
	}
	return false
}

// OutboxEntry is one delivery: one per (workspace, recipient, kind,
// period), which is also its _id, so it is sent once.
type OutboxEntry struct {
	ID          string
	WorkspaceID string
	Recipient   string
	Direct      bool
	Kind        string
	Period      string
	Subject     string // what it is about: a KPI slug, "company" for a roll-up
	// At is the moment the delivery speaks of: every date in its message
	// is as of At (the run that planned it), whenever it is sent.
	At time.Time
	// ExpiresAt is when sending it stops being worth it (a prompt once the
	// reminder is out); zero: the outbox's default age limit.
	ExpiresAt  time.Time
	State      OutboxState
	Attempts   int
	NextAt     time.Time
	LeaseUntil time.Time
	Holder     string
	// Unsure says the last attempt may have reached the platform (a 5xx, a
	// timeout, a process that died while sending): the next attempt asks
	// the platform before sending again.
	Unsure    bool
	MessageID string
	LastError string
	CreatedAt time.Time
	DoneAt    time.Time
}

// OutboxQuery scopes a search of the outbox. Empty fields do not filter.
type OutboxQuery struct {
	Kinds      []string
	Workspaces []string
}

// OutboxID is the key of a delivery.
func OutboxID(workspace, recipient, kind, period string) string {
	return workspace + "/" + recipient + "/" + kind + "/" + period
}

// Lease is the right, for a while, to run a job. Generation grows with
// every new holder.
type Lease struct {
	Name       string
	Holder     string
	Generation int
	Until      time.Time
}

// LearnedPace is what okrbot learned of the pace a chat platform allows for
// one API method in one workspace, kept across runs: the pace it got to,
// the pace at which the platform last refused a call (0: never), and the
// end of the platform's last Retry-After window, which a process started
// meanwhile must wait out too.
type LearnedPace struct {
	Rate, Ceiling float64
	BlockedUntil  time.Time
}
