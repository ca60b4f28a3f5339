package conversations

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
)

// What the HTTP API (package api) asks of the conversations. The API is
// one more front end: it reads and records through the same code as the
// chat commands, so a value recorded through it raises the same alert and
// moves the same key results as /kpi set.

// MaxBatch is the most values one request may record.
const MaxBatch = 1000

// Caller is who calls the API: an API token, which acts as an admin of its
// one workspace for what the API offers (recording values and check-ins,
// reading KPIs and objectives), and sees no other workspace.
type Caller struct {
	Workspace string // the store's workspace id
	TokenID   string
	TokenName string
}

// user is how the caller appears where a person would (KPIValue.By).
func (c Caller) user() string { return "api:" + c.TokenName }

// apiSession begins a session acting for an API token. Unlike a chat
// session it creates nothing: the workspace must exist (a token is made
// for one that does), and no person is saved for the token.
func (s *Service) apiSession(ctx context.Context, c Caller, user string) (*session, error) {
	if c.Workspace == "" {
		return nil, fmt.Errorf("conversations: API caller without a workspace")
	}
	ws, err := s.store.Workspace(ctx, c.Workspace)
	if err != nil {
		return nil, err
	}
	if user == "" {
		user = c.user()
	}
	a := Actor{Platform: ws.Platform, Workspace: ws.ExternalID, User: user, Admin: true}
	ss := &session{Service: s, ctx: ctx, actor: a, ws: ws, now: s.opt.Now()}
	ss.wsLoc = loadLocation(ws.Settings.TimeZone)
	ss.loc = ss.wsLoc
	return ss, nil
}

// ValueInput is one value to record. A zero At is now; a date without a
// time (Day set) is read in the workspace's time zone as /kpi set reads
// "on 2026-11-20".
type ValueInput struct {
	Value float64
	At    time.Time
	Day   bool
	Note  string
	// Key, when set, records the value once per KPI and key
	// (domain.KPIValue.Key): the API derives it from the request's
	// Idempotency-Key, so a batch retried after a crash lands once.
	Key string
}

// KPIState is a KPI with its health now and, when asked for, its values
// (newest first).
type KPIState struct {
	KPI    domain.KPI
	Health domain.Health
	Values []domain.KPIValue
}

// Recorded is the outcome of recording values.
type Recorded struct {
	KPI      KPIState
	Values   []domain.KPIValue // as stored, in the order given
	Previous domain.Health     // health before
	Linked   int               // key results that follow the KPI and moved with it
}

const exAPIValues = `{"values": [{"value": 28, "at": "2026-11-20", "note": "campaign paused"}]}`

// RecordKPIValues records values of a KPI for an API caller, through the
// same code as /kpi set. Every value is checked before any is written.
func (s *Service) RecordKPIValues(ctx context.Context, c Caller, slug string, in []ValueInput) (Recorded, error) {
	ss, err := s.apiSession(ctx, c, "")
	if err != nil {
		return Recorded{}, err
	}
	if err := domain.ValidateSlug(slug); err != nil {
		return Recorded{}, err
	}
	if len(in) == 0 {
		return Recorded{}, domain.Invalid(exAPIValues, "Give at least one value.")
	}
	if len(in) > MaxBatch {
		return Recorded{}, domain.Invalid(exAPIValues, "%d values in one request; the limit is %d.", len(in), MaxBatch)
	}
	k, err := ss.store.KPI(ctx, ss.ws.ID, slug)
	if err != nil {
		return Recorded{}, err
	}
	if err := ss.mayRecord(k); err != nil {
		return Recorded{}, err
	}
	vals := make([]domain.KPIValue, len(in))
	for i, v := range in {
		at := v.At
		switch {
		case at.IsZero():
			at = ss.now
		case v.Day:
			y, m, d := at.Date()
			at, err = ss.valueTime(time.Date(y, m, d, 0, 0, 0, 0, ss.loc), at.Format(time.DateOnly), exAPIValues)
		default:
			if at.After(ss.now.Add(csvio.FutureSkew)) { // a little clock skew is not the future
				err = domain.Invalid(exAPIValues, "%s is in the future; values are recorded for now or earlier.", at.UTC().Format(time.RFC3339))
			} else if at.Before(ss.now.AddDate(-5, 0, 0)) {
				err = domain.Invalid(exAPIValues, "%s is more than five years ago.", at.UTC().Format(time.RFC3339))
			}
		}
		if err == nil {
			err = domain.ValidateText("note", v.Note, domain.MaxNoteLen, false)
		}
		if err == nil && len(v.Key) > domain.MaxValueKey {
			err = domain.Invalid(exAPIValues, "A value's key is at most %d characters.", domain.MaxValueKey)
		}
		if err != nil {
			return Recorded{}, valueError(len(in), i, err)
		}
		vals[i] = domain.KPIValue{Value: v.Value, At: at, Note: v.Note, Key: v.Key}
	}
	before := k.HealthOf(ss.now)
	k, linked, err := ss.recordValues(slug, vals)
	if err != nil {
		return Recorded{}, err
	}
	for i := range vals {
		vals[i].WorkspaceID, vals[i].Slug, vals[i].By = ss.ws.ID, slug, ss.actor.User
	}
	return Recorded{KPI: KPIState{KPI: k, Health: k.HealthOf(ss.now)}, Values: vals, Previous: before, Linked: linked}, nil
}

// valueError says which value of a batch is wrong, by its place in the
// request's values array (values[0] is the first), as the API's own
// errors name fields.
func valueError(n, i int, err error) error {
	if n == 1 {
		return err
	}
	return &domain.Error{Code: domain.ErrorCode(err), Message: fmt.Sprintf("values[%d]: %s", i, domain.ErrorMessage(err)), Example: domain.ErrorExample(err)}
}

// KPIStates returns every KPI of the caller's workspace, red first.
func (s *Service) KPIStates(ctx context.Context, c Caller) ([]KPIState, error) {
	ss, err := s.apiSession(ctx, c, "")
	if err != nil {
		return nil, err
	}
	ks, err := ss.store.KPIs(ctx, ss.ws.ID)
	if err != nil {
		return nil, err
	}
	sortKPIs(ks, ss.now)
	out := make([]KPIState, len(ks))
	for i, k := range ks {
		out[i] = KPIState{KPI: k, Health: k.HealthOf(ss.now)}
	}
	return out, nil
}

// KPIState returns one KPI with its latest values, at most limit.
func (s *Service) KPIState(ctx context.Context, c Caller, slug string, limit int) (KPIState, error) {
	ss, err := s.apiSession(ctx, c, "")
	if err != nil {
		return KPIState{}, err
	}
	if err := domain.ValidateSlug(slug); err != nil {
		return KPIState{}, err
	}
	k, err := ss.store.KPI(ctx, ss.ws.ID, slug)
	if err != nil {
		return KPIState{}, err
	}
	vals, err := ss.store.KPIValues(ctx, ss.ws.ID, slug, limit)
	if err != nil {
		return KPIState{}, err
	}
	return KPIState{KPI: k, Health: k.HealthOf(ss.now), Values: vals}, nil
}

// ObjectiveQuery narrows the objectives the API lists. Empty fields do not
// filter; an empty Cycle means the current quarter.
type ObjectiveQuery struct {
	Cycle string
	Owner string // owns the objective or one of its key results
	Team  string // channel id
}

// ObjectiveState is an objective with where it stands now.
type ObjectiveState struct {
	Objective  domain.Objective
	Progress   float64
	Expected   float64 // pace: the fraction of its cycle elapsed
	Status     domain.Status
	KeyResults []KRState
}

// KRState is a key result with where it stands now.
type KRState struct {
	KeyResult domain.KeyResult
	Progress  float64
	Status    domain.Status
	AtRisk    bool
}

const exAPIObjectives = "/api/v1/objectives?cycle=2026-Q4&owner=U024BE7LH"

// ObjectiveStates lists objectives with progress and status, computed as
// /okr list computes them.
func (s *Service) ObjectiveStates(ctx context.Context, c Caller, q ObjectiveQuery) ([]ObjectiveState, error) {
	ss, err := s.apiSession(ctx, c, "")
	if err != nil {
		return nil, err
	}
	f := domain.ObjectiveFilter{Person: q.Owner, Team: q.Team}
	if q.Cycle == "" {
		f.Cycle = domain.CycleOf(ss.now, ss.wsLoc)
	} else if f.Cycle, err = domain.ParseCycle(q.Cycle); err != nil {
		return nil, domain.Invalid(exAPIObjectives, "%s", domain.ErrorMessage(err))
	}
	for _, id := range []string{q.Owner, q.Team} {
		if id != "" && !plainIDRE.MatchString(id) {
			return nil, domain.Invalid(exAPIObjectives, "%q is not a platform id.", clip(id, 40))
		}
	}
	os, err := ss.store.Objectives(ctx, ss.ws.ID, f)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(os, func(i, j int) bool { return refNumber(os[i].Ref) < refNumber(os[j].Ref) })
	v := ss.newView(os)
	out := make([]ObjectiveState, 0, len(os))
	for _, o := range os {
		out = append(out, v.objectiveState(o))
	}
	return out, nil
}

// objectiveState is where o stands, as /okr list and /okr show say it.
func (v *view) objectiveState(o domain.Objective) ObjectiveState {
	oa := v.objectiveAssessment(o)
	st := ObjectiveState{Objective: o, Progress: oa.Progress, Expected: oa.Expected, Status: oa.Status}
	for _, kr := range o.KeyResults {
		kr, a := v.assess(o, kr)
		st.KeyResults = append(st.KeyResults, KRState{KeyResult: kr, Progress: a.Progress, Status: a.Status, AtRisk: a.AtRisk()})
	}
	return st
}

func refNumber(ref string) int {
	_, n, _ := strings.Cut(ref, "-")
	v := 0
	for _, r := range n {
		v = v*10 + int(r-'0')
	}
	return v
}

// CheckInInput is a check-in an integration records for a person: a value
// (or Done), a confidence and a note, for one key result, this week.
type CheckInInput struct {
	KR         string
	User       string // the person checking in: the key result's or its objective's owner
	Value      *float64
	Done       *bool
	Confidence int // 0: keep the last one given
	Note       string
	// Confirm records a value far off the key result's scale, which is
	// refused otherwise (in chat, okrbot asks first).
	Confirm bool
}

// CheckedIn is the outcome of a check-in.
type CheckedIn struct {
	CheckIn   domain.CheckIn
	Objective ObjectiveState
	KeyResult KRState
}

const exAPICheckIn = `{"key_result": "KR-7", "user": "U024BE7LH", "value": 28, "confidence": 7, "note": "two deals closed"}`

// RecordCheckIn records a person's check-in through the check-in form's
// code: one per person, key result and week (a second one that week
// updates it), with the same checks of value, confidence and note.
func (s *Service) RecordCheckIn(ctx context.Context, c Caller, in CheckInInput) (CheckedIn, error) {
	if !plainIDRE.MatchString(in.User) {
		return CheckedIn{}, domain.Invalid(exAPICheckIn, "Give the person checking in as their platform user id (user).")
	}
	ss, err := s.apiSession(ctx, c, in.User)
	if err != nil {
		return CheckedIn{}, err
	}
	_, krRef, err := ref(in.KR, "KR", exAPICheckIn)
	if err != nil {
		return CheckedIn{}, err
	}
	o, err := ss.store.ObjectiveOfKR(ctx, ss.ws.ID, krRef)
	if err != nil {
		return CheckedIn{}, err
	}
	kr := o.KeyResult(krRef)
	// The token may act for anyone, but a check-in is a person's own word
	// on their key result: recording it for someone else would be a guess.
	if kr.Owner != in.User && o.Owner != in.User {
		return CheckedIn{}, domain.Invalid(exAPICheckIn, "%s belongs to %s; record the check-in for its owner (or its objective's owner).", kr.Ref, kr.Owner)
	}
	if o.Status == domain.Closed {
		return CheckedIn{}, domain.Invalid(exAPICheckIn, "%s is closed; its key results take no more check-ins.", o.Ref)
	}
	if kr.KPI != "" && in.Value != nil {
		return CheckedIn{}, domain.Invalid(fmt.Sprintf(`POST /api/v1/kpis/%s/values {"value": %s}`, kr.KPI, strconv.FormatFloat(*in.Value, 'f', -1, 64)),
			"%s follows the KPI %s: record the value there; here, give only the confidence.", kr.Ref, kr.KPI)
	}
	row := checkInInput{kr: *kr, objective: o.Ref, note: in.Note}
	switch {
	case in.Value != nil && in.Done != nil:
		return CheckedIn{}, domain.Invalid(exAPICheckIn, "Give a value or done, not both.")
	case in.Value != nil:
		row.value = strconv.FormatFloat(*in.Value, 'f', -1, 64)
	case in.Done != nil && *in.Done:
		row.value = "done"
	case in.Done != nil:
		row.value = "not done"
	}
	if in.Confidence != 0 {
		row.confidence = fmt.Sprint(in.Confidence)
	}
	if row.value == "" && row.confidence == "" {
		return CheckedIn{}, domain.Invalid(exAPICheckIn, "Give a value (or done) and a confidence.")
	}
	ch, errs := ss.readCheckIn(row, ss.week())
	for _, f := range []string{"value", "confidence", "note"} {
		if e := errs[f]; e != nil {
			return CheckedIn{}, &domain.Error{Code: domain.ErrorCode(e), Message: domain.ErrorMessage(e), Example: exAPICheckIn}
		}
	}
	if ch.skipped {
		// Only a confidence for a key result never measured: there is no
		// check-in to return, and a check-in of 0 would be a guess.
		return CheckedIn{}, domain.Invalid(exAPICheckIn, "%s has no value yet; give its first value with the confidence.", kr.Ref)
	}
	if ch.offScale && !in.Confirm {
		// A slip of a magnitude or a unit in an integration ("3500" for
		// 35) would move progress and status without anyone noticing.
		v := strconv.FormatFloat(ch.Value, 'f', -1, 64)
		ex := fmt.Sprintf(`{"key_result": %q, "user": %q, "value": %s, "confidence": %d`, kr.Ref, in.User, v, max(ch.Confidence, 1))
		if in.Note != "" {
			note, _ := json.Marshal(in.Note)
			ex += `, "note": ` + string(note)
		}
		return CheckedIn{}, domain.Invalid(ex+`, "confirm": true}`,
			"%s is far off %s's scale (it %s): check the magnitude and the unit, or send it again with \"confirm\": true (and a new Idempotency-Key, if you send one). Nothing was changed.",
			domain.FormatValue(ch.Value, kr.Unit), kr.Ref, scaleOf(*kr))
	}
	if err := ss.saveCheckIns([]answer{ch}, domain.WeekNote{}); err != nil {
		return CheckedIn{}, err
	}
	if o, err = ss.store.ObjectiveOfKR(ctx, ss.ws.ID, krRef); err != nil {
		return CheckedIn{}, err
	}
	st := ss.newView([]domain.Objective{o}).objectiveState(o)
	var krs KRState
	for _, k := range st.KeyResults {
		if k.KeyResult.Ref == krRef {
			krs = k
		}
	}
	return CheckedIn{CheckIn: ch.CheckIn, Objective: st, KeyResult: krs}, nil
}
