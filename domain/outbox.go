package domain

import "time"

// OutboxState is where a delivery stands.
type OutboxState string

// Outbox states. A delivery is written pending before anything is sent,
// sending while a process holds its lease, and ends sent, skipped (nothing
// to say any more: the person checked in meanwhile) or dead (the platform
// refused it for good: channel gone, bot removed). failed is waiting for a
// retry at NextAt.
const (
	OutboxPending OutboxState = "pending"
	OutboxSending OutboxState = "sending"
	OutboxFailed  OutboxState = "failed"
	OutboxSent    OutboxState = "sent"
	OutboxSkipped OutboxState = "skipped"
	OutboxDead    OutboxState = "dead"
)

// OutboxEntry is one delivery of the weekly rhythm: one per (workspace,
// recipient, kind, period), which is also its _id, so it is sent once.
type OutboxEntry struct {
	ID          string
	WorkspaceID string
	Recipient   string
	Direct      bool
	Kind        string
	Period      string
	Subject     string // what it is about: a KPI slug, "company" for a roll-up
	State       OutboxState
	Attempts    int
	NextAt      time.Time
	LeaseUntil  time.Time
	Holder      string
	MessageID   string
	LastError   string
	CreatedAt   time.Time
	DoneAt      time.Time
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
