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
	ID         string
	Platform   Platform
	ExternalID string
	Name       string
	Settings   Settings
	Admins     []string
	CreatedAt  time.Time
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
	Weekday time.Weekday
	Minute  int // minutes after local midnight
	Off     bool
	Set     bool
}

// Settings are the rhythm of a workspace or, as an override, of one team.
// A zero Schedule in a team override means "as the workspace".
type Settings struct {
	CheckIn  Schedule
	Reminder Schedule
	Digest   Schedule
	TimeZone string
	// Escalate is when missed check-ins reach the person's team lead
	// (escalation.go); its zero value is the default.
	Escalate Escalation
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
	WorkspaceID string
	Channel     string
	Settings    Settings
	// Lead is the person the team's escalations go to; "" for the owner
	// of the team's objective (see TeamLead).
	Lead string
}

// User is a person in a workspace, as okrbot last saw them.
type User struct {
	WorkspaceID string
	ID          string
	Name        string
	Email       string // from an import; people are matched by it there
	TimeZone    string
	AwayUntil   time.Time
	UpdatedAt   time.Time
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
	WorkspaceID string
	Ref         string // "O-12"
	Title       string
	Owner       string
	Team        string // channel id
	Cycle       Cycle
	Commitment  Commitment
	Parent      string // "O-3" or "KR-7"
	Status      ObjectiveStatus
	Grade       *float64
	GradeNote   string
	KeyResults  []KeyResult
	// History records every edit of the objective and its key results,
	// oldest first (see Change).
	History   []Change
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int // optimistic concurrency
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
	Ref        string // "KR-31"
	Title      string
	Kind       Kind
	Start      float64
	Target     float64
	Current    float64
	Measured   bool // Current holds a real value
	Done       bool
	Unit       string
	Weight     float64
	Owner      string
	KPI        string // slug; Current follows the KPI's latest value
	Confidence int
	UpdatedAt  time.Time
	// CreatedAt is when the key result was added; its pace and projection
	// start there when it came after the cycle began. Zero for key results
	// stored before it was recorded (the objective's creation stands in).
	CreatedAt time.Time
	// Initiatives are the work planned to move it.
	Initiatives []Initiative
}

// Initiative is a piece of work planned to move a key result ("run a
// webinar series"). It lives inside its key result, so that it is written,
// and deleted, with its objective in one atomic write.
type Initiative struct {
	Ref       string // "I-4"
	Title     string
	Done      bool
	CreatedBy string
	CreatedAt time.Time
	DoneAt    time.Time
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

// Clone returns a copy of o that shares no key result, initiative or
// history entry with it: a change made to the copy (a store's
// ModifyObjective) never reaches what was read.
func (o Objective) Clone() Objective {
	o.KeyResults = append([]KeyResult(nil), o.KeyResults...)
	for i := range o.KeyResults {
		o.KeyResults[i].Initiatives = append([]Initiative(nil), o.KeyResults[i].Initiatives...)
	}
	o.History = append([]Change(nil), o.History...)
	return o
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
	WorkspaceID string
	UserID      string
	KR          string
	Objective   string
	Week        Week
	Value       float64
	Done        bool
	Confidence  int
	Note        string
	At          time.Time // the latest answer for the week
	// FirstAt is the week's first answer (zero for check-ins stored before
	// it was recorded): on time or late is judged by it.
	FirstAt time.Time
	// By is who typed it when that is not UserID, the key result's owner
	// (an admin or the objective's owner checking in for them).
	By string
}

// Apply moves the key result to what a check-in says: done and
// confidence, and the value unless the key result follows a KPI (whose
// latest value it reads instead). A store applies it in the same
// transaction that stores the check-in, so the two always agree.
func (kr *KeyResult) Apply(c CheckIn) {
	kr.Done, kr.Confidence, kr.UpdatedAt = c.Done, c.Confidence, c.At
	if kr.KPI == "" {
		kr.Current, kr.Measured = c.Value, true
	}
}

// ApplySkipped moves the key result to what a skipped answer says (no
// value this week, so no check-in): only its confidence, when one was given.
func (kr *KeyResult) ApplySkipped(c CheckIn) {
	if c.Confidence > 0 {
		kr.Confidence, kr.UpdatedAt = c.Confidence, c.At
	}
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
	WorkspaceID string
	UserID      string
	Week        Week
	Note        string
	Wins        string
	Blockers    string
	Help        string
	At          time.Time
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
	WorkspaceID string
	Slug        string
	Name        string
	Unit        string
	Direction   Direction
	Target      *float64
	Warn        *float64
	Alert       *float64
	Cadence     Cadence
	Owner       string
	Team        string
	Latest      *KPIValue
	// Health is the last state alerted on; the alert job compares it with the
	// state computed now and alerts once per change.
	Health      Health
	HealthSince time.Time
	// Source, when set, is where okrbot fetches the KPI's values itself.
	Source    *KPISource
	CreatedAt time.Time
	// Archived KPIs keep their values and history but take no new values,
	// send no alerts and leave lists and digests.
	Archived bool
	// History records every edit, oldest first.
	History []Change
}

// KPIValue is one measurement of a KPI.
type KPIValue struct {
	WorkspaceID string
	Slug        string
	Value       float64
	At          time.Time
	Note        string
	By          string
	// Key, when set, makes recording the value idempotent: a store records
	// one value per KPI and key, so a batch sent again after a failure (an
	// API request's Idempotency-Key, a source's period) never lands twice.
	Key string
}

// MaxValueKey is the longest KPIValue.Key.
const MaxValueKey = 200

// Subscription makes a channel receive the weekly digest.
type Subscription struct {
	WorkspaceID string
	Channel     string
	Name        string // the channel's name, when known ("growth")
	Company     bool   // the company roll-up instead of the team's digest
	By          string
	At          time.Time
}

// Scale is the range a KPI's values have run over as far as okrbot knows:
// its latest value and its target and thresholds; ok is false when it has
// none of them.
func (k KPI) Scale() (lo, hi float64, ok bool) {
	for _, v := range []*float64{k.Target, k.Warn, k.Alert} {
		if v != nil {
			lo, hi, ok = minMax(lo, hi, ok, *v)
		}
	}
	if k.Latest != nil {
		lo, hi, ok = minMax(lo, hi, ok, k.Latest.Value)
	}
	return lo, hi, ok
}

func minMax(lo, hi float64, ok bool, v float64) (float64, float64, bool) {
	if !ok {
		return v, v, true
	}
	return min(lo, v), max(hi, v), true
}

// OffScale reports whether v is so far from the KPI's scale that it is more
// likely a slip than a measurement, by KeyResult.OffScale's rule over the
// range of Scale; never when the KPI has no scale yet.
func (k KPI) OffScale(v float64) bool {
	lo, hi, ok := k.Scale()
	return ok && KeyResult{Kind: Increase, Start: lo, Target: hi, Unit: k.Unit}.OffScale(v)
}
