package domain

import (
	"time"
)

// The struct tags name the fields as they are stored. They are plain strings:
// the domain does not import the driver, the storage package reads them.

// Platform is the chat platform a workspace lives on.
type Platform string

// Platforms.
const (
	Slack Platform = "slack"
	Teams Platform = "teams"
)

// WorkspaceID returns the store's id for a platform's workspace (Slack team id,
// Teams tenant id): "slack:T024BE7LD".
func WorkspaceID(p Platform, external string) string { return string(p) + ":" + external }

// Workspace is one Slack workspace or one Teams tenant. Every stored thing
// belongs to exactly one.
type Workspace struct {
	ID         string    `bson:"_id"`
	Platform   Platform  `bson:"platform"`
	ExternalID string    `bson:"external_id"`
	Name       string    `bson:"name,omitempty"`
	Settings   Settings  `bson:"settings"`
	Admins     []string  `bson:"admins,omitempty"`
	CreatedAt  time.Time `bson:"created_at"`
}

// IsAdmin reports whether user was named an admin of the workspace (the installer).
func (w Workspace) IsAdmin(user string) bool {
	for _, a := range w.Admins {
		if a == user {
			return true
		}
	}
	return false
}

// Schedule is a weekly moment: a weekday and a local wall-clock time. Set
// tells a schedule someone gave (Sunday 00:00 included) from none, in a
// team's override.
type Schedule struct {
	Weekday time.Weekday `bson:"weekday"`
	Minute  int          `bson:"minute"` // minutes after local midnight
	Off     bool         `bson:"off,omitempty"`
	Set     bool         `bson:"set,omitempty"`
}

// Settings are the rhythm of a workspace or, as an override, of one team.
// A zero Schedule in a team override means "as the workspace".
type Settings struct {
	CheckIn  Schedule `bson:"checkin"`
	Reminder Schedule `bson:"reminder"`
	Digest   Schedule `bson:"digest"`
	TimeZone string   `bson:"timezone,omitempty"`
}

// DefaultSettings returns the product's default rhythm in tz: check-in prompt
// Friday 15:00, reminder Monday 10:00, digest Monday 09:00.
func DefaultSettings(tz string) Settings {
	if tz == "" {
		tz = "UTC"
	}
	return Settings{
		CheckIn:  Schedule{Weekday: time.Friday, Minute: 15 * 60, Set: true},
		Reminder: Schedule{Weekday: time.Monday, Minute: 10 * 60, Set: true},
		Digest:   Schedule{Weekday: time.Monday, Minute: 9 * 60, Set: true},
		TimeZone: tz,
	}
}

// TeamSettings overrides a workspace's settings for one team channel.
type TeamSettings struct {
	WorkspaceID string   `bson:"workspace"`
	Channel     string   `bson:"channel"`
	Settings    Settings `bson:"settings"`
}

// User is a person in a workspace, as okrbot last saw them.
type User struct {
	WorkspaceID string    `bson:"workspace"`
	ID          string    `bson:"user"`
	Name        string    `bson:"name,omitempty"`
	TimeZone    string    `bson:"timezone,omitempty"`
	AwayUntil   time.Time `bson:"away_until,omitempty"`
	UpdatedAt   time.Time `bson:"updated_at"`
}

// Away reports whether the user has paused prompts at t.
func (u User) Away(t time.Time) bool { return !u.AwayUntil.IsZero() && t.Before(u.AwayUntil) }

// Commitment says what success means for an objective.
type Commitment string

// Commitments. Committed objectives are expected to reach 1.0, aspirational ones 0.7.
const (
	Committed    Commitment = "committed"
	Aspirational Commitment = "aspirational"
)

// Expected returns the grade that counts as success for the commitment.
func (c Commitment) Expected() float64 {
	if c == Aspirational {
		return 0.7
	}
	return 1.0
}

// ObjectiveStatus is the life-cycle state of an objective.
type ObjectiveStatus string

// Objective states.
const (
	Draft  ObjectiveStatus = "draft"
	Active ObjectiveStatus = "active"
	Closed ObjectiveStatus = "closed"
)

// Objective is a qualitative goal for a cycle with its key results. The key
// results live inside the objective so that every change is one atomic write.
type Objective struct {
	WorkspaceID string          `bson:"workspace"`
	Ref         string          `bson:"ref"` // "O-12"
	Title       string          `bson:"title"`
	Owner       string          `bson:"owner"`
	Team        string          `bson:"team,omitempty"` // channel id
	Cycle       Cycle           `bson:"cycle"`
	Commitment  Commitment      `bson:"commitment"`
	Parent      string          `bson:"parent,omitempty"` // "O-3" or "KR-7"
	Status      ObjectiveStatus `bson:"status"`
	Grade       *float64        `bson:"grade,omitempty"`
	GradeNote   string          `bson:"grade_note,omitempty"`
	KeyResults  []KeyResult     `bson:"key_results"`
	// History records every edit of the objective and its key results,
	// oldest first (see Change).
	History   []Change  `bson:"history,omitempty"`
	CreatedBy string    `bson:"created_by"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedAt time.Time `bson:"updated_at"`
	Version   int       `bson:"version"` // optimistic concurrency
}

// KeyResult finds a key result of o by ref.
func (o *Objective) KeyResult(ref string) *KeyResult {
	for i := range o.KeyResults {
		if o.KeyResults[i].Ref == ref {
			return &o.KeyResults[i]
		}
	}
	return nil
}

// Kind is how a key result measures progress.
type Kind string

// Key result kinds.
const (
	Increase  Kind = "increase"
	Decrease  Kind = "decrease"
	Reach     Kind = "reach"
	StayAbove Kind = "stay-above"
	StayBelow Kind = "stay-below"
	Milestone Kind = "milestone"
)

// KeyResult is a measurable result of an objective.
type KeyResult struct {
	Ref        string    `bson:"ref"` // "KR-31"
	Title      string    `bson:"title"`
	Kind       Kind      `bson:"kind"`
	Start      float64   `bson:"start"`
	Target     float64   `bson:"target"`
	Current    float64   `bson:"current"`
	Measured   bool      `bson:"measured"` // Current holds a real value
	Done       bool      `bson:"done,omitempty"`
	Unit       string    `bson:"unit,omitempty"`
	Weight     float64   `bson:"weight"`
	Owner      string    `bson:"owner"`
	KPI        string    `bson:"kpi,omitempty"` // slug; Current follows the KPI's latest value
	Confidence int       `bson:"confidence,omitempty"`
	UpdatedAt  time.Time `bson:"updated_at"`
	// CreatedAt is when the key result was added; its pace and projection
	// start there when it came after the cycle began. Zero for key results
	// stored before it was recorded (the objective's creation stands in).
	CreatedAt time.Time `bson:"created_at,omitempty"`
	// Initiatives are the work planned to move it.
	Initiatives []Initiative `bson:"initiatives,omitempty"`
}

// Initiative is a piece of work planned to move a key result ("run a
// webinar series"). It lives inside its key result, so that it is written,
// and deleted, with its objective in one atomic write.
type Initiative struct {
	Ref       string    `bson:"ref"` // "I-4"
	Title     string    `bson:"title"`
	Done      bool      `bson:"done,omitempty"`
	CreatedBy string    `bson:"created_by"`
	CreatedAt time.Time `bson:"created_at"`
	DoneAt    time.Time `bson:"done_at,omitempty"`
}

// InitiativesDone counts the key result's initiatives that are done.
func (kr KeyResult) InitiativesDone() int {
	n := 0
	for _, in := range kr.Initiatives {
		if in.Done {
			n++
		}
	}
	return n
}

// Initiative finds an initiative of the objective by ref, with its key result.
func (o *Objective) Initiative(ref string) (*KeyResult, *Initiative) {
	for i := range o.KeyResults {
		kr := &o.KeyResults[i]
		for j := range kr.Initiatives {
			if kr.Initiatives[j].Ref == ref {
				return kr, &kr.Initiatives[j]
			}
		}
	}
	return nil, nil
}

// CheckIn is one person's weekly answer for one key result.
type CheckIn struct {
	WorkspaceID string    `bson:"workspace"`
	UserID      string    `bson:"user"`
	KR          string    `bson:"kr"`
	Objective   string    `bson:"objective"`
	Week        Week      `bson:"week"`
	Value       float64   `bson:"value"`
	Done        bool      `bson:"done,omitempty"`
	Confidence  int       `bson:"confidence"`
	Note        string    `bson:"note,omitempty"`
	At          time.Time `bson:"at"` // the latest answer for the week
	// FirstAt is the week's first answer (zero for check-ins stored before
	// it was recorded): on time or late is judged by it.
	FirstAt time.Time `bson:"first_at,omitempty"`
	// By is who typed it when that is not UserID, the key result's owner
	// (an admin or the objective's owner checking in for them).
	By string `bson:"by,omitempty"`
}

// Answered returns when the check-in was first given.
func (c CheckIn) Answered() time.Time {
	if c.FirstAt.IsZero() {
		return c.At
	}
	return c.FirstAt
}

// WeekNote is a person's overall note for a week's check-in: wins,
// blockers and help needed, each optional. Note is the single free-text
// note of check-ins made before the form asked for the three apart; the
// digest shows it as it was written.
type WeekNote struct {
	WorkspaceID string    `bson:"workspace"`
	UserID      string    `bson:"user"`
	Week        Week      `bson:"week"`
	Note        string    `bson:"note,omitempty"`
	Wins        string    `bson:"wins,omitempty"`
	Blockers    string    `bson:"blockers,omitempty"`
	Help        string    `bson:"help,omitempty"`
	At          time.Time `bson:"at"`
}

// Empty reports whether the note says nothing.
func (n WeekNote) Empty() bool {
	return n.Note == "" && n.Wins == "" && n.Blockers == "" && n.Help == ""
}

// Direction says which way is good for a KPI.
type Direction string

// KPI directions.
const (
	HigherIsBetter Direction = "higher"
	LowerIsBetter  Direction = "lower"
)

// Cadence is how often a KPI is expected to be measured.
type Cadence string

// KPI cadences.
const (
	Daily   Cadence = "day"
	Weekly  Cadence = "week"
	Monthly Cadence = "month"
)

// Period returns the nominal length of the cadence.
func (c Cadence) Period() time.Duration {
	switch c {
	case Daily:
		return 24 * time.Hour
	case Monthly:
		return 30 * 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// KPI is a health metric of the running business.
type KPI struct {
	WorkspaceID string    `bson:"workspace"`
	Slug        string    `bson:"slug"`
	Name        string    `bson:"name"`
	Unit        string    `bson:"unit,omitempty"`
	Direction   Direction `bson:"direction"`
	Target      *float64  `bson:"target,omitempty"`
	Warn        *float64  `bson:"warn,omitempty"`
	Alert       *float64  `bson:"alert,omitempty"`
	Cadence     Cadence   `bson:"cadence"`
	Owner       string    `bson:"owner"`
	Team        string    `bson:"team,omitempty"`
	Latest      *KPIValue `bson:"latest,omitempty"`
	// Health is the last state alerted on; the alert job compares it with the
	// state computed now and alerts once per change.
	Health      Health    `bson:"health,omitempty"`
	HealthSince time.Time `bson:"health_since,omitempty"`
	CreatedAt   time.Time `bson:"created_at"`
	// Archived KPIs keep their values and history but take no new values,
	// send no alerts and leave lists and digests.
	Archived bool `bson:"archived,omitempty"`
	// History records every edit, oldest first.
	History []Change `bson:"history,omitempty"`
}

// KPIValue is one measurement of a KPI.
type KPIValue struct {
	WorkspaceID string    `bson:"workspace"`
	Slug        string    `bson:"slug"`
	Value       float64   `bson:"value"`
	At          time.Time `bson:"at"`
	Note        string    `bson:"note,omitempty"`
	By          string    `bson:"by"`
}

// Subscription makes a channel receive the weekly digest.
type Subscription struct {
	WorkspaceID string    `bson:"workspace"`
	Channel     string    `bson:"channel"`
	Name        string    `bson:"name,omitempty"` // the channel's name, when known ("growth")
	Company     bool      `bson:"company"`        // the company roll-up instead of the team's digest
	By          string    `bson:"by"`
	At          time.Time `bson:"at"`
}
