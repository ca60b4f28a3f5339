package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// The wire types: what the OpenAPI document describes.

// KPI is a KPI as the API shows it.
type KPI struct {
	Slug      string   `json:"slug"`
	Name      string   `json:"name"`
	Unit      string   `json:"unit"`
	Direction string   `json:"direction"`
	Target    *float64 `json:"target"`
	Warn      *float64 `json:"warn"`
	Alert     *float64 `json:"alert"`
	Cadence   string   `json:"cadence"`
	Owner     string   `json:"owner"`
	Team      string   `json:"team"`
	Health    string   `json:"health"`
	Latest    *Value   `json:"latest"`
	Source    *Source  `json:"source,omitempty"`
	Values    []Value  `json:"values,omitempty"`
}

// Value is one measurement of a KPI.
type Value struct {
	Value float64   `json:"value"`
	At    time.Time `json:"at"`
	Note  string    `json:"note"`
	By    string    `json:"by"`
}

// Source is where okrbot fetches a KPI's values, and how that went. The URL
// is left out: it may carry a key.
type Source struct {
	Kind      string     `json:"kind"`
	LastFetch *time.Time `json:"last_fetch"`
	LastValue *float64   `json:"last_value"`
	LastError string     `json:"last_error"`
}

// Objective is an objective with its key results and where it stands.
type Objective struct {
	Ref        string      `json:"ref"`
	Title      string      `json:"title"`
	Owner      string      `json:"owner"`
	Team       string      `json:"team"`
	Cycle      string      `json:"cycle"`
	Commitment string      `json:"commitment"`
	Parent     string      `json:"parent"`
	State      string      `json:"state"` // draft, active, closed
	Grade      *float64    `json:"grade"`
	Progress   float64     `json:"progress"`
	Expected   float64     `json:"expected"`
	Status     string      `json:"status"`
	KeyResults []KeyResult `json:"key_results"`
}

// KeyResult is a key result and where it stands.
type KeyResult struct {
	Ref        string   `json:"ref"`
	Title      string   `json:"title"`
	Kind       string   `json:"kind"`
	Start      float64  `json:"start"`
	Target     float64  `json:"target"`
	Current    *float64 `json:"current"`
	Unit       string   `json:"unit"`
	Weight     float64  `json:"weight"`
	Owner      string   `json:"owner"`
	KPI        string   `json:"kpi"`
	Confidence *int     `json:"confidence"`
	Done       bool     `json:"done"`
	Progress   float64  `json:"progress"`
	Status     string   `json:"status"`
	AtRisk     bool     `json:"at_risk"`
}

// CheckIn is a recorded check-in.
type CheckIn struct {
	KeyResult  string    `json:"key_result"`
	Objective  string    `json:"objective"`
	User       string    `json:"user"`
	Week       string    `json:"week"`
	Value      float64   `json:"value"`
	Done       bool      `json:"done"`
	Confidence int       `json:"confidence"`
	Note       string    `json:"note"`
	At         time.Time `json:"at"`
}

// Status names as the API writes them.
var statusNames = map[domain.Status]string{
	domain.StatusNone: "no_data", domain.OffTrack: "off_track", domain.AtRisk: "at_risk",
	domain.OnTrack: "on_track", domain.Achieved: "done",
}

func kpiOut(s conversations.KPIState) KPI {
	k := s.KPI
	out := KPI{Slug: k.Slug, Name: k.Name, Unit: k.Unit, Direction: string(k.Direction), Target: k.Target, Warn: k.Warn,
		Alert: k.Alert, Cadence: string(k.Cadence), Owner: k.Owner, Team: k.Team, Health: string(s.Health)}
	if k.Latest != nil {
		v := valueOut(*k.Latest)
		out.Latest = &v
	}
	if src := k.Source; src != nil {
		out.Source = &Source{Kind: string(src.Kind), LastValue: src.State.LastValue, LastError: src.State.LastError}
		if !src.State.LastFetch.IsZero() {
			t := src.State.LastFetch.UTC()
			out.Source.LastFetch = &t
		}
	}
	for _, v := range s.Values {
		out.Values = append(out.Values, valueOut(v))
	}
	return out
}

func valueOut(v domain.KPIValue) Value {
	return Value{Value: v.Value, At: v.At.UTC(), Note: v.Note, By: v.By}
}

func objectiveOut(s conversations.ObjectiveState) Objective {
	o := s.Objective
	out := Objective{Ref: o.Ref, Title: o.Title, Owner: o.Owner, Team: o.Team, Cycle: string(o.Cycle), Commitment: string(o.Commitment),
		Parent: o.Parent, State: string(o.Status), Grade: o.Grade, Progress: round(s.Progress), Expected: round(s.Expected),
		Status: statusNames[s.Status], KeyResults: []KeyResult{}}
	for _, k := range s.KeyResults {
		out.KeyResults = append(out.KeyResults, krOut(k))
	}
	return out
}

func krOut(s conversations.KRState) KeyResult {
	kr := s.KeyResult
	out := KeyResult{Ref: kr.Ref, Title: kr.Title, Kind: string(kr.Kind), Start: kr.Start, Target: kr.Target, Unit: kr.Unit,
		Weight: kr.Weight, Owner: kr.Owner, KPI: kr.KPI, Done: kr.Done, Progress: round(s.Progress), Status: statusNames[s.Status], AtRisk: s.AtRisk}
	if kr.Measured {
		c := kr.Current
		out.Current = &c
	}
	if kr.Confidence > 0 {
		c := kr.Confidence
		out.Confidence = &c
	}
	return out
}

// round keeps fractions readable: 0.4615 rather than 0.46153846153846156;
// and never -0 (a tiny negative rounds to -0, which JSON would show).
func round(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	if v == 0 {
		return 0
	}
	return v
}

// decode reads a JSON body into v: one object, no unknown fields.
func decode(r *http.Request, v any, example string) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return domain.Invalid(example, "The body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return domain.Invalid(example, "Send a JSON body.")
	}
	return decodeJSON(body, v, example, "")
}

// decodeJSON reads one JSON object into v, naming a wrong field by its
// path (where is the path of the object itself: "values[2].").
func decodeJSON(data []byte, v any, example, where string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return domain.Invalid(example, "The body is not valid JSON (at byte %d).", se.Offset)
		case errors.As(err, &te):
			field := fieldName(where, te.Field)
			num, isNum := strings.CutPrefix(te.Value, "number ")
			switch kind := te.Type.Kind().String(); {
			case isNum && (kind == "float64" || kind == "float32"):
				return domain.Invalid(example, "%s is %s, a number too large for okrbot (at most about 1.8e308).", field, clip(num, 40))
			case isNum && strings.HasPrefix(kind, "int"):
				return domain.Invalid(example, "%s must be a whole number, not %s.", field, clip(num, 40))
			}
			return domain.Invalid(example, "%s must be %s, not %s.", field, article(te.Type.Kind().String()), te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return domain.Invalid(example, "Unknown field %s%s.", where, strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
		}
		return domain.Invalid(example, "The body is not valid JSON.")
	}
	if dec.More() {
		return domain.Invalid(example, "Send one JSON object, with nothing after it.")
	}
	return nil
}

// fieldName is a field's path in the body.
func fieldName(where, f string) string {
	f = strings.TrimPrefix(f, "valueIn.")
	switch {
	case f == "" && where == "":
		return "The body"
	case f == "":
		return strings.TrimSuffix(where, ".")
	}
	return where + f
}

func article(kind string) string {
	switch kind {
	case "float64", "int", "int64":
		return "a number"
	case "string", "struct":
		return map[string]string{"string": "text", "struct": "an object"}[kind]
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	}
	return kind
}

func (a *API) listKPIs(r *http.Request, c conversations.Caller) (int, any) {
	ks, err := a.svc.KPIStates(r.Context(), c)
	if err != nil {
		return 0, err
	}
	out := struct {
		KPIs []KPI `json:"kpis"`
	}{KPIs: []KPI{}}
	for _, k := range ks {
		out.KPIs = append(out.KPIs, kpiOut(k))
	}
	return http.StatusOK, out
}

const (
	defaultValues = 30
	maxValues     = 1000
)

func (a *API) getKPI(r *http.Request, c conversations.Caller) (int, any) {
	limit := defaultValues
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxValues {
			return 0, domain.Invalid("/api/v1/kpis/web-leads?limit=100", "limit is a whole number from 1 to %d.", maxValues)
		}
		limit = n
	}
	k, err := a.svc.KPIState(r.Context(), c, r.PathValue("slug"), limit)
	if err != nil {
		return 0, err
	}
	out := kpiOut(k)
	if out.Values == nil {
		out.Values = []Value{}
	}
	return http.StatusOK, out
}

// valueIn is one value in a request.
type valueIn struct {
	Value *float64 `json:"value"`
	At    string   `json:"at"`
	Note  string   `json:"note"`
}

const exValues = `{"values": [{"value": 28, "at": "2026-11-20", "note": "campaign paused"}, {"value": 31}]}`

func (a *API) recordValues(r *http.Request, c conversations.Caller) (int, any) {
	var body struct {
		valueIn
		// Each item is read on its own, so that an error names its index.
		Values []json.RawMessage `json:"values"`
	}
	if err := decode(r, &body, exValues); err != nil {
		return 0, err
	}
	var ins []valueIn
	switch {
	case body.Values != nil && (body.Value != nil || body.At != "" || body.Note != ""):
		return 0, domain.Invalid(exValues, "Send one value (value, at, note) or a batch (values), not both.")
	case body.Values == nil:
		ins = []valueIn{body.valueIn}
	default:
		ins = make([]valueIn, len(body.Values))
		for i, raw := range body.Values {
			if err := decodeJSON(raw, &ins[i], exValues, fmt.Sprintf("values[%d].", i)); err != nil {
				return 0, err
			}
		}
	}
	vals := make([]conversations.ValueInput, len(ins))
	for i, in := range ins {
		where := ""
		if body.Values != nil {
			where = fmt.Sprintf("values[%d].", i)
		}
		if in.Value == nil {
			return 0, domain.Invalid(exValues, "Give %svalue, a number.", where)
		}
		vals[i] = conversations.ValueInput{Value: *in.Value, Note: in.Note, Key: valueKey(r, i)}
		if in.At != "" {
			if t, err := time.Parse(time.RFC3339Nano, in.At); err == nil {
				vals[i].At = t
			} else if t, err := time.Parse(time.DateOnly, in.At); err == nil {
				vals[i].At, vals[i].Day = t, true
			} else {
				return 0, domain.Invalid(exValues, "%sat is a date (2026-11-20) or a date and time (2026-11-20T15:04:05Z), not %q.", where, clip(in.At, 40))
			}
		}
	}
	rec, err := a.svc.RecordKPIValues(r.Context(), c, r.PathValue("slug"), vals)
	if err != nil {
		return 0, err
	}
	out := struct {
		KPI             KPI     `json:"kpi"`
		Recorded        []Value `json:"recorded"`
		PreviousHealth  string  `json:"previous_health"`
		KeyResultsMoved int     `json:"key_results_moved"`
	}{KPI: kpiOut(rec.KPI), PreviousHealth: string(rec.Previous), KeyResultsMoved: rec.Linked}
	for _, v := range rec.Values {
		out.Recorded = append(out.Recorded, valueOut(v))
	}
	return http.StatusCreated, out
}

func (a *API) listObjectives(r *http.Request, c conversations.Caller) (int, any) {
	q := r.URL.Query()
	for k := range q {
		if k != "cycle" && k != "owner" && k != "team" {
			return 0, domain.Invalid("/api/v1/objectives?cycle=2026-Q4&owner=U024BE7LH", "Unknown parameter %s; use cycle, owner and team.", clip(k, 30))
		}
	}
	os, err := a.svc.ObjectiveStates(r.Context(), c, conversations.ObjectiveQuery{Cycle: q.Get("cycle"), Owner: q.Get("owner"), Team: q.Get("team")})
	if err != nil {
		return 0, err
	}
	out := struct {
		Objectives []Objective `json:"objectives"`
	}{Objectives: []Objective{}}
	for _, o := range os {
		out.Objectives = append(out.Objectives, objectiveOut(o))
	}
	return http.StatusOK, out
}

const exCheckIn = `{"key_result": "KR-7", "user": "U024BE7LH", "value": 28, "confidence": 7, "note": "two deals closed"}`

func (a *API) recordCheckIn(r *http.Request, c conversations.Caller) (int, any) {
	var in struct {
		KeyResult  string   `json:"key_result"`
		User       string   `json:"user"`
		Value      *float64 `json:"value"`
		Done       *bool    `json:"done"`
		Confidence *int     `json:"confidence"`
		Note       string   `json:"note"`
		Confirm    bool     `json:"confirm"`
	}
	if err := decode(r, &in, exCheckIn); err != nil {
		return 0, err
	}
	if in.KeyResult == "" || in.User == "" {
		return 0, domain.Invalid(exCheckIn, "Give key_result and user.")
	}
	ci := conversations.CheckInInput{KR: in.KeyResult, User: in.User, Value: in.Value, Done: in.Done, Note: in.Note, Confirm: in.Confirm}
	if in.Confidence != nil {
		if *in.Confidence < 1 || *in.Confidence > 10 {
			return 0, domain.Invalid(exCheckIn, "confidence is a whole number from 1 to 10.")
		}
		ci.Confidence = *in.Confidence
	}
	got, err := a.svc.RecordCheckIn(r.Context(), c, ci)
	if err != nil {
		return 0, err
	}
	ch := got.CheckIn
	return http.StatusOK, struct {
		CheckIn   CheckIn   `json:"check_in"`
		KeyResult KeyResult `json:"key_result"`
		Objective Objective `json:"objective"`
	}{
		CheckIn: CheckIn{KeyResult: ch.KR, Objective: ch.Objective, User: ch.UserID, Week: string(ch.Week), Value: ch.Value,
			Done: ch.Done, Confidence: ch.Confidence, Note: ch.Note, At: ch.At.UTC()},
		KeyResult: krOut(got.KeyResult),
		Objective: objectiveOut(got.Objective),
	}
}
