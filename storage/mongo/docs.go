package mongo

// The documents as stored. The field names are the ones okrbot has always
// written (they were the domain types' bson tags), so a database written by
// an earlier okrbot reads the same. domain stays free of storage tags: only
// these structs know the stored shape.

import (
	"time"

	"github.com/okrbot/okrbot/domain"
)

type scheduleDoc struct {
	Weekday int  `bson:"weekday"`
	Minute  int  `bson:"minute"`
	Off     bool `bson:"off,omitempty"`
	Set     bool `bson:"set,omitempty"`
}

type settingsDoc struct {
	CheckIn  scheduleDoc `bson:"checkin"`
	Reminder scheduleDoc `bson:"reminder"`
	Digest   scheduleDoc `bson:"digest"`
	TimeZone string      `bson:"timezone,omitempty"`
	// Escalate is absent from settings stored before escalations: the
	// default.
	Escalate escalateDoc `bson:"escalate,omitempty"`
}

type escalateDoc struct {
	After int  `bson:"after,omitempty"`
	Off   bool `bson:"off,omitempty"`
	Set   bool `bson:"set,omitempty"`
}

func toSchedule(s scheduleDoc) domain.Schedule {
	return domain.Schedule{Weekday: time.Weekday(s.Weekday), Minute: s.Minute, Off: s.Off, Set: s.Set}
}

func fromSchedule(s domain.Schedule) scheduleDoc {
	return scheduleDoc{Weekday: int(s.Weekday), Minute: s.Minute, Off: s.Off, Set: s.Set}
}

func (d settingsDoc) domain() domain.Settings {
	return domain.Settings{CheckIn: toSchedule(d.CheckIn), Reminder: toSchedule(d.Reminder), Digest: toSchedule(d.Digest), TimeZone: d.TimeZone,
		Escalate: domain.Escalation{After: d.Escalate.After, Off: d.Escalate.Off, Set: d.Escalate.Set}}
}

func fromSettings(s domain.Settings) settingsDoc {
	e := s.Escalate
	return settingsDoc{CheckIn: fromSchedule(s.CheckIn), Reminder: fromSchedule(s.Reminder), Digest: fromSchedule(s.Digest), TimeZone: s.TimeZone,
		Escalate: escalateDoc{After: e.After, Off: e.Off, Set: e.Set}}
}

type workspaceDoc struct {
	ID         string      `bson:"_id"`
	Platform   string      `bson:"platform"`
	ExternalID string      `bson:"external_id"`
	Name       string      `bson:"name,omitempty"`
	Settings   settingsDoc `bson:"settings"`
	Admins     []string    `bson:"admins,omitempty"`
	CreatedAt  time.Time   `bson:"created_at"`
}

func (d workspaceDoc) domain() domain.Workspace {
	return domain.Workspace{ID: d.ID, Platform: domain.Platform(d.Platform), ExternalID: d.ExternalID, Name: d.Name,
		Settings: d.Settings.domain(), Admins: d.Admins, CreatedAt: d.CreatedAt}
}

type teamSettingsDoc struct {
	Workspace string      `bson:"workspace"`
	Channel   string      `bson:"channel"`
	Settings  settingsDoc `bson:"settings"`
	Lead      string      `bson:"lead,omitempty"`
}

type userDoc struct {
	Workspace string    `bson:"workspace"`
	User      string    `bson:"user"`
	Name      string    `bson:"name,omitempty"`
	Email     string    `bson:"email,omitempty"`
	TimeZone  string    `bson:"timezone,omitempty"`
	AwayUntil time.Time `bson:"away_until,omitempty"`
	UpdatedAt time.Time `bson:"updated_at"`
	// AwayLog is the person's away history, one entry per `/okr away` or
	// `/okr back`, pushed by the update that sets away_until.
	AwayLog []awayChangeDoc `bson:"away_log,omitempty"`
}

type awayChangeDoc struct {
	At    time.Time `bson:"at"`
	Until time.Time `bson:"until,omitempty"`
}

func (d userDoc) domain() domain.User {
	return domain.User{WorkspaceID: d.Workspace, ID: d.User, Name: d.Name, Email: d.Email, TimeZone: d.TimeZone, AwayUntil: d.AwayUntil, UpdatedAt: d.UpdatedAt}
}

type keyResultDoc struct {
	Ref        string    `bson:"ref"`
	Title      string    `bson:"title"`
	Kind       string    `bson:"kind"`
	Start      float64   `bson:"start"`
	Target     float64   `bson:"target"`
	Current    float64   `bson:"current"`
	Measured   bool      `bson:"measured"`
	Done       bool      `bson:"done,omitempty"`
	Unit       string    `bson:"unit,omitempty"`
	Weight     float64   `bson:"weight"`
	Owner      string    `bson:"owner"`
	KPI        string    `bson:"kpi,omitempty"`
	Confidence int       `bson:"confidence,omitempty"`
	UpdatedAt  time.Time `bson:"updated_at"`
	// CreatedAt is absent on key results stored before it was recorded.
	CreatedAt   time.Time       `bson:"created_at,omitempty"`
	Initiatives []initiativeDoc `bson:"initiatives,omitempty"`
}

type initiativeDoc struct {
	Ref       string    `bson:"ref"`
	Title     string    `bson:"title"`
	Done      bool      `bson:"done,omitempty"`
	CreatedBy string    `bson:"created_by"`
	CreatedAt time.Time `bson:"created_at"`
	DoneAt    time.Time `bson:"done_at,omitempty"`
}

// changeDoc is one entry of an objective's or a KPI's history.
type changeDoc struct {
	At    time.Time `bson:"at"`
	By    string    `bson:"by"`
	Ref   string    `bson:"ref"`
	Field string    `bson:"field"`
	From  string    `bson:"from"`
	To    string    `bson:"to"`
}

func toChanges(ds []changeDoc) []domain.Change {
	var out []domain.Change
	for _, d := range ds {
		out = append(out, domain.Change{At: d.At, By: d.By, Ref: d.Ref, Field: d.Field, From: d.From, To: d.To})
	}
	return out
}

func fromChanges(cs []domain.Change) []changeDoc {
	var out []changeDoc
	for _, c := range cs {
		out = append(out, changeDoc{At: c.At, By: c.By, Ref: c.Ref, Field: c.Field, From: c.From, To: c.To})
	}
	return out
}

type objectiveDoc struct {
	ID         string         `bson:"_id"`
	Workspace  string         `bson:"workspace"`
	Ref        string         `bson:"ref"`
	Title      string         `bson:"title"`
	Owner      string         `bson:"owner"`
	Team       string         `bson:"team,omitempty"`
	Cycle      string         `bson:"cycle"`
	Commitment string         `bson:"commitment"`
	Parent     string         `bson:"parent,omitempty"`
	Status     string         `bson:"status"`
	Grade      *float64       `bson:"grade,omitempty"`
	GradeNote  string         `bson:"grade_note,omitempty"`
	KeyResults []keyResultDoc `bson:"key_results"`
	History    []changeDoc    `bson:"history,omitempty"`
	CreatedBy  string         `bson:"created_by"`
	CreatedAt  time.Time      `bson:"created_at"`
	UpdatedAt  time.Time      `bson:"updated_at"`
	Version    int            `bson:"version"`
}

func (d objectiveDoc) domain() domain.Objective {
	o := domain.Objective{WorkspaceID: d.Workspace, Ref: d.Ref, Title: d.Title, Owner: d.Owner, Team: d.Team, Cycle: domain.Cycle(d.Cycle),
		Commitment: domain.Commitment(d.Commitment), Parent: d.Parent, Status: domain.ObjectiveStatus(d.Status), Grade: d.Grade,
		GradeNote: d.GradeNote, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version,
		KeyResults: make([]domain.KeyResult, len(d.KeyResults)), History: toChanges(d.History)}
	for i, k := range d.KeyResults {
		kr := domain.KeyResult{Ref: k.Ref, Title: k.Title, Kind: domain.Kind(k.Kind), Start: k.Start, Target: k.Target,
			Current: k.Current, Measured: k.Measured, Done: k.Done, Unit: k.Unit, Weight: k.Weight, Owner: k.Owner, KPI: k.KPI,
			Confidence: k.Confidence, UpdatedAt: k.UpdatedAt, CreatedAt: k.CreatedAt}
		for _, in := range k.Initiatives {
			kr.Initiatives = append(kr.Initiatives, domain.Initiative{Ref: in.Ref, Title: in.Title, Done: in.Done, CreatedBy: in.CreatedBy,
				CreatedAt: in.CreatedAt, DoneAt: in.DoneAt})
		}
		o.KeyResults[i] = kr
	}
	return o
}

func fromObjective(o domain.Objective) objectiveDoc {
	d := objectiveDoc{ID: key(o.WorkspaceID, o.Ref), Workspace: o.WorkspaceID, Ref: o.Ref, Title: o.Title, Owner: o.Owner, Team: o.Team,
		Cycle: string(o.Cycle), Commitment: string(o.Commitment), Parent: o.Parent, Status: string(o.Status), Grade: o.Grade,
		GradeNote: o.GradeNote, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Version: o.Version,
		KeyResults: make([]keyResultDoc, len(o.KeyResults)), History: fromChanges(o.History)}
	for i, k := range o.KeyResults {
		kd := keyResultDoc{Ref: k.Ref, Title: k.Title, Kind: string(k.Kind), Start: k.Start, Target: k.Target,
			Current: k.Current, Measured: k.Measured, Done: k.Done, Unit: k.Unit, Weight: k.Weight, Owner: k.Owner, KPI: k.KPI,
			Confidence: k.Confidence, UpdatedAt: k.UpdatedAt, CreatedAt: k.CreatedAt}
		for _, in := range k.Initiatives {
			kd.Initiatives = append(kd.Initiatives, initiativeDoc{Ref: in.Ref, Title: in.Title, Done: in.Done, CreatedBy: in.CreatedBy,
				CreatedAt: in.CreatedAt, DoneAt: in.DoneAt})
		}
		d.KeyResults[i] = kd
	}
	return d
}

type checkInDoc struct {
	Workspace  string    `bson:"workspace"`
	User       string    `bson:"user"`
	KR         string    `bson:"kr"`
	Objective  string    `bson:"objective"`
	Week       string    `bson:"week"`
	Value      float64   `bson:"value"`
	Done       bool      `bson:"done,omitempty"`
	Confidence int       `bson:"confidence"`
	Note       string    `bson:"note,omitempty"`
	At         time.Time `bson:"at"`
	FirstAt    time.Time `bson:"first_at,omitempty"` // absent on check-ins stored before it was recorded
	By         string    `bson:"by,omitempty"`
}

func (d checkInDoc) domain() domain.CheckIn {
	return domain.CheckIn{WorkspaceID: d.Workspace, UserID: d.User, KR: d.KR, Objective: d.Objective, Week: domain.Week(d.Week),
		Value: d.Value, Done: d.Done, Confidence: d.Confidence, Note: d.Note, At: d.At, FirstAt: d.FirstAt, By: d.By}
}

type weekNoteDoc struct {
	Workspace string    `bson:"workspace"`
	User      string    `bson:"user"`
	Week      string    `bson:"week"`
	Note      string    `bson:"note,omitempty"`
	Wins      string    `bson:"wins,omitempty"`
	Blockers  string    `bson:"blockers,omitempty"`
	Help      string    `bson:"help,omitempty"`
	At        time.Time `bson:"at"`
}

type kpiValueDoc struct {
	Workspace string    `bson:"workspace"`
	Slug      string    `bson:"slug"`
	Value     float64   `bson:"value"`
	At        time.Time `bson:"at"`
	Note      string    `bson:"note,omitempty"`
	By        string    `bson:"by"`
	Key       string    `bson:"key,omitempty"`
}

func (d kpiValueDoc) domain() domain.KPIValue {
	return domain.KPIValue{WorkspaceID: d.Workspace, Slug: d.Slug, Value: d.Value, At: d.At, Note: d.Note, By: d.By, Key: d.Key}
}

func fromKPIValue(v domain.KPIValue) kpiValueDoc {
	return kpiValueDoc{Workspace: v.WorkspaceID, Slug: v.Slug, Value: v.Value, At: v.At, Note: v.Note, By: v.By, Key: v.Key}
}

// keyedValueDoc is a value recorded with a key: its _id is the KPI and
// the key, so the unique _id records it once. Values without a key get
// the server's ObjectID, as they always have (kpiValueDoc does not read
// _id, which holds either).
type keyedValueDoc struct {
	ID    string      `bson:"_id"`
	Value kpiValueDoc `bson:",inline"`
}

// sourceDoc is a KPI's source with the state of its last fetch.
type sourceDoc struct {
	Kind  string    `bson:"kind"`
	URL   string    `bson:"url"`
	Path  string    `bson:"path,omitempty"`
	Query string    `bson:"query,omitempty"`
	SetBy string    `bson:"set_by"`
	SetAt time.Time `bson:"set_at"`
	State stateDoc  `bson:"state"`
}

type stateDoc struct {
	Period       string    `bson:"period,omitempty"`
	LastFetch    time.Time `bson:"last_fetch,omitempty"`
	LastValue    *float64  `bson:"last_value,omitempty"`
	LastError    string    `bson:"last_error,omitempty"`
	FailingSince time.Time `bson:"failing_since,omitempty"`
	Failures     int       `bson:"failures,omitempty"`
	NextAt       time.Time `bson:"next_at,omitempty"`
}

func fromState(st domain.SourceState) stateDoc {
	return stateDoc{Period: st.Period, LastFetch: st.LastFetch, LastValue: st.LastValue, LastError: st.LastError,
		FailingSince: st.FailingSince, Failures: st.Failures, NextAt: st.NextAt}
}

func fromSource(src *domain.KPISource) *sourceDoc {
	if src == nil {
		return nil
	}
	return &sourceDoc{Kind: string(src.Kind), URL: src.URL, Path: src.Path, Query: src.Query, SetBy: src.SetBy, SetAt: src.SetAt, State: fromState(src.State)}
}

func (d *sourceDoc) domain() *domain.KPISource {
	if d == nil {
		return nil
	}
	st := d.State
	return &domain.KPISource{Kind: domain.SourceKind(d.Kind), URL: d.URL, Path: d.Path, Query: d.Query, SetBy: d.SetBy, SetAt: d.SetAt,
		State: domain.SourceState{Period: st.Period, LastFetch: st.LastFetch, LastValue: st.LastValue, LastError: st.LastError,
			FailingSince: st.FailingSince, Failures: st.Failures, NextAt: st.NextAt}}
}

type kpiDoc struct {
	ID          string       `bson:"_id"`
	Workspace   string       `bson:"workspace"`
	Slug        string       `bson:"slug"`
	Name        string       `bson:"name"`
	Unit        string       `bson:"unit,omitempty"`
	Direction   string       `bson:"direction"`
	Target      *float64     `bson:"target,omitempty"`
	Warn        *float64     `bson:"warn,omitempty"`
	Alert       *float64     `bson:"alert,omitempty"`
	Cadence     string       `bson:"cadence"`
	Owner       string       `bson:"owner"`
	Team        string       `bson:"team,omitempty"`
	Latest      *kpiValueDoc `bson:"latest,omitempty"`
	Health      string       `bson:"health,omitempty"`
	HealthSince time.Time    `bson:"health_since,omitempty"`
	CreatedAt   time.Time    `bson:"created_at"`
	Archived    bool         `bson:"archived,omitempty"`
	History     []changeDoc  `bson:"history,omitempty"`
	Source      *sourceDoc   `bson:"source,omitempty"`
}

func (d kpiDoc) domain() domain.KPI {
	k := domain.KPI{WorkspaceID: d.Workspace, Slug: d.Slug, Name: d.Name, Unit: d.Unit, Direction: domain.Direction(d.Direction),
		Target: d.Target, Warn: d.Warn, Alert: d.Alert, Cadence: domain.Cadence(d.Cadence), Owner: d.Owner, Team: d.Team,
		Health: domain.Health(d.Health), HealthSince: d.HealthSince, CreatedAt: d.CreatedAt, Archived: d.Archived, History: toChanges(d.History),
		Source: d.Source.domain()}
	if k.Health == "" {
		k.Health = domain.HealthUnknown
	}
	if d.Latest != nil {
		v := d.Latest.domain()
		k.Latest = &v
	}
	return k
}

type subscriptionDoc struct {
	Workspace string    `bson:"workspace"`
	Channel   string    `bson:"channel"`
	Name      string    `bson:"name,omitempty"`
	Company   bool      `bson:"company"`
	By        string    `bson:"by"`
	At        time.Time `bson:"at"`
}

type outboxDoc struct {
	ID         string    `bson:"_id"`
	Workspace  string    `bson:"workspace"`
	Recipient  string    `bson:"recipient"`
	Direct     bool      `bson:"direct"`
	Kind       string    `bson:"kind"`
	Period     string    `bson:"period"`
	Subject    string    `bson:"subject,omitempty"`
	At         time.Time `bson:"at,omitempty"`
	ExpiresAt  time.Time `bson:"expires_at,omitempty"`
	State      string    `bson:"state"`
	Attempts   int       `bson:"attempts"`
	NextAt     time.Time `bson:"next_at"`
	LeaseUntil time.Time `bson:"lease_until,omitempty"`
	Holder     string    `bson:"holder,omitempty"`
	Unsure     bool      `bson:"unsure,omitempty"`
	MessageID  string    `bson:"message_id,omitempty"`
	LastError  string    `bson:"last_error,omitempty"`
	CreatedAt  time.Time `bson:"created_at"`
	DoneAt     time.Time `bson:"done_at,omitempty"`
}

func (d outboxDoc) domain() domain.OutboxEntry {
	return domain.OutboxEntry{ID: d.ID, WorkspaceID: d.Workspace, Recipient: d.Recipient, Direct: d.Direct, Kind: d.Kind, Period: d.Period,
		Subject: d.Subject, At: d.At, ExpiresAt: d.ExpiresAt, State: domain.OutboxState(d.State), Attempts: d.Attempts, NextAt: d.NextAt,
		LeaseUntil: d.LeaseUntil, Holder: d.Holder, Unsure: d.Unsure, MessageID: d.MessageID, LastError: d.LastError,
		CreatedAt: d.CreatedAt, DoneAt: d.DoneAt}
}

func fromOutbox(e domain.OutboxEntry) outboxDoc {
	return outboxDoc{ID: e.ID, Workspace: e.WorkspaceID, Recipient: e.Recipient, Direct: e.Direct, Kind: e.Kind, Period: e.Period,
		Subject: e.Subject, At: e.At, ExpiresAt: e.ExpiresAt, State: string(e.State), Attempts: e.Attempts, NextAt: e.NextAt,
		LeaseUntil: e.LeaseUntil, Holder: e.Holder, Unsure: e.Unsure, MessageID: e.MessageID, LastError: e.LastError,
		CreatedAt: e.CreatedAt, DoneAt: e.DoneAt}
}

// nextDueDoc is the next-due index of one workspace and kind of delivery.
type nextDueDoc struct {
	ID        string    `bson:"_id"` // workspace/kind
	Workspace string    `bson:"workspace"`
	Kind      string    `bson:"kind"`
	NextAt    time.Time `bson:"next_at"`
}

// paceDoc is the pace learned for one platform, workspace and method.
type paceDoc struct {
	ID           string    `bson:"_id"`
	Rate         float64   `bson:"rate"`
	Ceiling      float64   `bson:"ceiling,omitempty"`
	BlockedUntil time.Time `bson:"blocked_until,omitempty"`
	At           time.Time `bson:"at"`
}

type leaseDoc struct {
	Name       string    `bson:"_id"`
	Holder     string    `bson:"holder"`
	Generation int       `bson:"generation"`
	Until      time.Time `bson:"until"`
}

func (d leaseDoc) domain() domain.Lease {
	return domain.Lease{Name: d.Name, Holder: d.Holder, Generation: d.Generation, Until: d.Until}
}

type installationDoc struct {
	WorkspaceID  string    `bson:"_id"`
	TeamID       string    `bson:"team_id"`
	TeamName     string    `bson:"team_name,omitempty"`
	EnterpriseID string    `bson:"enterprise_id,omitempty"`
	BotToken     string    `bson:"bot_token"`
	BotUserID    string    `bson:"bot_user_id,omitempty"`
	AppID        string    `bson:"app_id,omitempty"`
	Scope        string    `bson:"scope,omitempty"`
	InstalledBy  string    `bson:"installed_by,omitempty"`
	InstalledAt  time.Time `bson:"installed_at"`
}

type conversationDoc struct {
	Workspace    string    `bson:"workspace"`
	Conversation string    `bson:"conversation"`
	Type         string    `bson:"type,omitempty"`
	User         string    `bson:"user,omitempty"`
	AADObjectID  string    `bson:"aad_object_id,omitempty"`
	UserName     string    `bson:"user_name,omitempty"`
	TeamID       string    `bson:"team_id,omitempty"`
	ServiceURL   string    `bson:"service_url"`
	BotID        string    `bson:"bot_id,omitempty"`
	BotName      string    `bson:"bot_name,omitempty"`
	UpdatedAt    time.Time `bson:"updated_at"`
}

func (d conversationDoc) domain() domain.ConversationRef {
	return domain.ConversationRef{WorkspaceID: d.Workspace, Conversation: d.Conversation, Type: d.Type, User: d.User,
		AADObjectID: d.AADObjectID, UserName: d.UserName, TeamID: d.TeamID, ServiceURL: d.ServiceURL, BotID: d.BotID,
		BotName: d.BotName, UpdatedAt: d.UpdatedAt}
}

func fromConversation(r domain.ConversationRef) conversationDoc {
	return conversationDoc{Workspace: r.WorkspaceID, Conversation: r.Conversation, Type: r.Type, User: r.User,
		AADObjectID: r.AADObjectID, UserName: r.UserName, TeamID: r.TeamID, ServiceURL: r.ServiceURL, BotID: r.BotID,
		BotName: r.BotName, UpdatedAt: r.UpdatedAt}
}

// mapDocs turns decoded documents into domain values.
func mapDocs[D interface{ domain() T }, T any](ds []D) []T {
	out := make([]T, len(ds))
	for i, d := range ds {
		out[i] = d.domain()
	}
	return out
}

type apiTokenDoc struct {
	ID        string `bson:"_id"` // the hash of the secret
	Workspace string `bson:"workspace"`
	Name      string `bson:"name"`
	// Live is workspace/name while the token is live and revoked/<hash>
	// once revoked: its unique index allows one live token per name.
	Live       string    `bson:"live"`
	Hint       string    `bson:"hint"`
	CreatedBy  string    `bson:"created_by"`
	CreatedAt  time.Time `bson:"created_at"`
	LastUsedAt time.Time `bson:"last_used_at,omitempty"`
	RevokedAt  time.Time `bson:"revoked_at,omitempty"`
}

func (d apiTokenDoc) domain() domain.APIToken {
	return domain.APIToken{ID: d.ID, WorkspaceID: d.Workspace, Name: d.Name, Hint: d.Hint, CreatedBy: d.CreatedBy,
		CreatedAt: d.CreatedAt, LastUsedAt: d.LastUsedAt, RevokedAt: d.RevokedAt}
}

type idempotencyDoc struct {
	ID          string    `bson:"_id"`
	Workspace   string    `bson:"workspace"`
	Key         string    `bson:"key"`
	Fingerprint string    `bson:"fingerprint"`
	Done        bool      `bson:"done"`
	Status      int       `bson:"status,omitempty"`
	Body        []byte    `bson:"body,omitempty"`
	CreatedAt   time.Time `bson:"created_at"`
}

func (d idempotencyDoc) domain() domain.IdempotencyRecord {
	return domain.IdempotencyRecord{ID: d.ID, WorkspaceID: d.Workspace, Key: d.Key, Fingerprint: d.Fingerprint, Done: d.Done,
		Status: d.Status, Body: d.Body, CreatedAt: d.CreatedAt}
}
