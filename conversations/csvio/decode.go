package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okrbot/okrbot/domain"
)

// Problem is one thing an import refuses: where it is (file, row as a
// spreadsheet numbers it, the header being row 1, and column), what was
// there, why it is refused, and an example of what would be accepted.
type Problem struct {
	File    string
	Row     int    // 0: the file as a whole
	Column  string // "": the row as a whole
	Value   string
	Reason  string
	Example string
}

// String is the problem on one line.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Row > 0 {
		fmt.Fprintf(&b, " row %d", p.Row)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, ", column %s", p.Column)
	}
	b.WriteString(": ")
	if p.Value != "" {
		fmt.Fprintf(&b, "%q: ", clip(p.Value, 40))
	}
	b.WriteString(p.Reason)
	if p.Example != "" {
		b.WriteString(" (example: " + p.Example + ")")
	}
	return b.String()
}

// Pos is where a record was read: its file and row.
type Pos struct {
	File string
	Row  int
}

// Records read from files. Person fields (owners, users, created_by) hold
// what the file said, a platform id or an email address; the importer
// resolves emails to ids.
type (
	// WorkspaceRow is the row of workspace.csv.
	WorkspaceRow struct {
		Pos
		domain.Workspace
	}
	// PersonRow is a row of people.csv.
	PersonRow struct {
		Pos
		domain.User
	}
	// KPIRow is a row of kpis.csv.
	KPIRow struct {
		Pos
		domain.KPI
	}
	// KPIValueRow is a row of kpi_values.csv.
	KPIValueRow struct {
		Pos
		domain.KPIValue
		// Day is set when at was a date without a time (stored at the
		// middle of that day, as /kpi set on a past day).
		Day bool
	}
	// ObjectiveRow is a row of objectives.csv (without key results).
	ObjectiveRow struct {
		Pos
		domain.Objective
	}
	// KeyResultRow is a row of key_results.csv.
	KeyResultRow struct {
		Pos
		Objective string
		domain.KeyResult
		// Given says which of the columns that check-ins also move were
		// filled in (an empty one takes the latest check-in's).
		Given Given
	}
	// InitiativeRow is a row of initiatives.csv.
	InitiativeRow struct {
		Pos
		KR string
		domain.Initiative
	}
	// CheckInRow is a row of checkins.csv.
	CheckInRow struct {
		Pos
		domain.CheckIn
	}
	// WeekNoteRow is a row of week_notes.csv.
	WeekNoteRow struct {
		Pos
		domain.WeekNote
	}
)

// Given says which columns of a key_results.csv row were filled in.
type Given struct {
	Current, Measured, Done, Confidence bool
}

// Decoded is everything the files held that could be read.
type Decoded struct {
	Workspace   *WorkspaceRow
	People      []PersonRow
	KPIs        []KPIRow
	KPIValues   []KPIValueRow
	Objectives  []ObjectiveRow
	KeyResults  []KeyResultRow
	Initiatives []InitiativeRow
	CheckIns    []CheckInRow
	WeekNotes   []WeekNoteRow
	// Rows counts the data rows of each file that was given.
	Rows map[string]int
	// Refused holds, for every row refused whose key could be read, where
	// it was: others that refer to it are refused with it. Keys are the
	// refs ("O-1", "KR-3", "I-4"), KPIKey, UserKey and EmailKey.
	Refused map[string]Pos
}

// KPIKey, UserKey and EmailKey are the keys of Decoded.Refused for a KPI, a
// person by platform id and a person by email address.
func KPIKey(slug string) string    { return "kpi:" + slug }
func UserKey(id string) string     { return "user:" + id }
func EmailKey(email string) string { return "email:" + strings.ToLower(email) }

// FutureSkew is how far past now a time may be and still count as now:
// clocks differ a little. The same allowance as the HTTP API's.
const FutureSkew = 5 * time.Minute

// Input is one file to read.
type Input struct {
	Name string
	R    io.Reader
}

// DecodeOptions tune Decode.
type DecodeOptions struct {
	// Location reads times written without a zone and dates; the
	// workspace's time zone from workspace.csv when that is given, else UTC.
	Location *time.Location
	// Progress, when set, hears every 5,000 rows of a file and its end.
	Progress func(file string, rows int, done bool)
	// Now, when set, refuses times in the future (beyond FutureSkew, or a
	// date after today), as chat and the HTTP API do: a value dated 2030
	// would stay a KPI's latest until then. away_until is the exception.
	Now time.Time
}

// ErrUnknownFile is returned for a file that is not one of Files.
var ErrUnknownFile = errors.New("csvio: unknown file")

// Decode reads files. Every row that cannot be read is left out and
// reported; rows that can are returned, each with where it came from. A
// file missing from in is not an error: an import may bring only some.
func Decode(in []Input, opt DecodeOptions) (*Decoded, []Problem) {
	d := &Decoded{Rows: map[string]int{}, Refused: map[string]Pos{}}
	var probs []Problem
	byName := map[string]io.Reader{}
	for _, f := range in {
		name := strings.ToLower(f.Name)
		if _, ok := columns[name]; !ok {
			probs = append(probs, Problem{File: f.Name, Reason: "not a file okrbot reads; the files are " + strings.Join(Files, ", ")})
			continue
		}
		byName[name] = f.R
	}
	loc := opt.Location
	for _, name := range Files {
		r, ok := byName[name]
		if !ok {
			continue
		}
		if loc == nil {
			loc = time.UTC
		}
		dec := &decoder{file: name, loc: loc, now: opt.Now, d: d, progress: opt.Progress}
		probs = append(probs, dec.run(r)...)
		if name == FileWorkspace && d.Workspace != nil && opt.Location == nil && d.Workspace.Settings.TimeZone != "" {
			if l, err := time.LoadLocation(d.Workspace.Settings.TimeZone); err == nil {
				loc = l
			}
		}
	}
	return d, probs
}

// decoder reads one file.
type decoder struct {
	file     string
	loc      *time.Location
	now      time.Time // zero: no check of the future
	today    string    // now's date in loc, once known
	d        *Decoded
	progress func(string, int, bool)
	probs    []Problem
	// per row
	row  int
	vals map[string]string
	bad  bool
	day  bool           // the last time read was a date only
	keys map[string]int // natural key -> first row, to find duplicates
}

func (dc *decoder) run(r io.Reader) []Problem {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3) // Excel's UTF-8 byte order mark
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return []Problem{{File: dc.file, Reason: "the file is empty; it needs at least its header row", Example: strings.Join(Header(dc.file), ",")}}
	}
	if err != nil {
		return []Problem{{File: dc.file, Row: 1, Reason: "not CSV: " + csvReason(err)}}
	}
	cols, probs := dc.header(header)
	if len(probs) > 0 {
		return probs
	}
	dc.keys = map[string]int{}
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(pe.Err, csv.ErrFieldCount) {
				dc.probs = append(dc.probs, Problem{File: dc.file, Row: pe.StartLine, Reason: "not CSV from here on: " + csvReason(err) + "; nothing after it was read"})
				break
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		dc.d.Rows[dc.file]++
		dc.row = n
		if len(rec) != len(cols) {
			dc.probs = append(dc.probs, Problem{File: dc.file, Row: n, Reason: fmt.Sprintf("the row has %d fields and the header %d", len(rec), len(cols))})
			continue
		}
		dc.vals = make(map[string]string, len(cols))
		for i, c := range cols {
			dc.vals[c] = rec[i]
		}
		dc.bad = false
		dc.decodeRow()
		if dc.progress != nil && dc.d.Rows[dc.file]%5000 == 0 {
			dc.progress(dc.file, dc.d.Rows[dc.file], false)
		}
	}
	if dc.progress != nil {
		dc.progress(dc.file, dc.d.Rows[dc.file], true)
	}
	return dc.probs
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// header checks the header row: known columns, each once, the required ones there.
func (dc *decoder) header(h []string) ([]string, []Problem) {
	var probs []Problem
	known := map[string]bool{}
	for _, c := range columns[dc.file] {
		known[c.name] = true
	}
	seen := map[string]bool{}
	cols := make([]string, len(h))
	if len(h) == 1 && strings.Contains(h[0], ";") {
		return nil, []Problem{{File: dc.file, Row: 1, Reason: "the columns are separated by semicolons; save the file as CSV with commas (UTF-8)", Example: strings.Join(Header(dc.file), ",")}}
	}
	for i, name := range h {
		c := strings.ToLower(strings.TrimSpace(name))
		cols[i] = c
		switch {
		case !known[c]:
			probs = append(probs, Problem{File: dc.file, Row: 1, Column: clip(name, 40), Reason: "not a column of " + dc.file + "; its columns are " + strings.Join(Header(dc.file), ", ")})
		case seen[c]:
			probs = append(probs, Problem{File: dc.file, Row: 1, Column: c, Reason: "the column appears twice"})
		}
		seen[c] = true
	}
	for _, c := range columns[dc.file] {
		if c.required && !seen[c.name] {
			probs = append(probs, Problem{File: dc.file, Row: 1, Column: c.name, Reason: "a required column is missing", Example: strings.Join(Header(dc.file), ",")})
		}
	}
	return cols, probs
}

func (dc *decoder) fail(col, value, example, format string, args ...any) {
	dc.bad = true
	dc.probs = append(dc.probs, Problem{File: dc.file, Row: dc.row, Column: col, Value: value, Reason: fmt.Sprintf(format, args...), Example: example})
}

// failErr reports a domain error (its message and example) on a column.
// A domain error's example is written for chat (/okr grade O-3 0.7); a
// file needs what goes in the cell, or the row.
func (dc *decoder) failErr(col string, err error) {
	dc.bad = true
	ex := domain.ErrorExample(err)
	if e, ok := cellExamples[dc.file+"/"+col]; ok {
		ex = e
	} else if e, ok := cellExamples[col]; ok {
		ex = e
	}
	dc.probs = append(dc.probs, Problem{File: dc.file, Row: dc.row, Column: col, Value: dc.vals[col], Reason: domain.ErrorMessage(err), Example: ex})
}

// cellExamples are what a cell (file/column, or a column of any file) or a
// whole row (file/) holds when right.
var cellExamples = map[string]string{
	"grade":                 "0.7",
	"confidence":            "7",
	"weight":                "2",
	"slug":                  "web-leads",
	"source_url":            "https://stats.example.com/leads.json",
	FileKeyResults + "/":    "kind increase, start 22, target 35 (or kind decrease, start 12, target 4)",
	FileKPIs + "/":          "direction higher, target 35, warn 25, alert 15 (lower: target 2, warn 3, alert 5)",
	FileKeyResults + "/kpi": "web-leads",
}

// unique reports a second row with the same natural key.
func (dc *decoder) unique(key, what string) bool {
	if first, ok := dc.keys[key]; ok {
		dc.fail("", "", "", "%s appears twice: this row repeats row %d", what, first)
		return false
	}
	dc.keys[key] = dc.row
	return true
}

func (dc *decoder) pos() Pos { return Pos{File: dc.file, Row: dc.row} }

// refused records the keys of a refused row that others may refer to
// (those that could be read), so that they are refused with it.
func (dc *decoder) refused(keys ...string) {
	for _, k := range keys {
		if k != "" && !strings.HasSuffix(k, ":") {
			if _, ok := dc.d.Refused[k]; !ok {
				dc.d.Refused[k] = dc.pos()
			}
		}
	}
}

// rawRef reads a ref column as well as it can, for refused: "" when it is
// not a ref of kind.
func (dc *decoder) rawRef(col, kind string) string {
	s := strings.ToUpper(dc.str(col))
	if kind == "I" {
		if initiativeRE.MatchString(s) {
			return s
		}
		return ""
	}
	if k, r, ok := domain.RefKind(s); ok && k == kind {
		return r
	}
	return ""
}

func (dc *decoder) decodeRow() {
	switch dc.file {
	case FileWorkspace:
		dc.workspace()
	case FilePeople:
		dc.person()
	case FileKPIs:
		dc.kpi()
	case FileKPIValues:
		dc.kpiValue()
	case FileObjectives:
		dc.objective()
	case FileKeyResults:
		dc.keyResult()
	case FileInitiatives:
		dc.initiative()
	case FileCheckIns:
		dc.checkIn()
	case FileWeekNotes:
		dc.weekNote()
	}
}

// Field readers. Each reports its own problem and returns the zero value
// on failure; the row is refused when any field failed.

func (dc *decoder) str(col string) string { return strings.TrimSpace(dc.vals[col]) }

func (dc *decoder) text(col string, max int, required bool) string {
	s := strings.TrimSpace(dc.vals[col])
	if err := domain.ValidateText(col, s, max, required); err != nil {
		dc.failErr(col, err)
	}
	return s
}

var (
	idRE         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:_\-]{0,199}$`)
	initiativeRE = regexp.MustCompile(`^I-[1-9][0-9]{0,8}$`)
	numberRE     = regexp.MustCompile(`^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$`)
)

// person reads a platform user id or an email address.
func (dc *decoder) who(col string, required bool) string {
	s := dc.str(col)
	switch {
	case s == "" && !required:
		return ""
	case s == "":
		dc.fail(col, "", "U024BE7LH or ada@example.com", "give the person's platform id or email address")
	case strings.Contains(s, "@"):
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			dc.fail(col, s, "ada@example.com", "not an email address or a platform user id")
		}
		return strings.ToLower(s)
	case !idRE.MatchString(s):
		dc.fail(col, s, "U024BE7LH or ada@example.com", "not a platform user id or an email address")
	}
	return s
}

// id reads a platform id of a channel or workspace (or nothing).
func (dc *decoder) id(col string, required bool) string {
	s := dc.str(col)
	if s == "" && !required {
		return ""
	}
	if !idRE.MatchString(s) {
		dc.fail(col, s, "C024BE91L", "not a platform id")
	}
	return s
}

func (dc *decoder) number(col string, required bool, def float64) (float64, bool) {
	s := dc.str(col)
	if s == "" {
		if required {
			dc.fail(col, "", "1250.5", "give a number")
		}
		return def, false
	}
	if !numberRE.MatchString(s) {
		why := "not a number"
		if strings.ContainsAny(s, ", ") {
			why = "not a plain number: use a dot for decimals and no thousands separators"
		}
		dc.fail(col, s, "1250.5", "%s", why)
		return def, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		dc.fail(col, s, "1250.5", "not a finite number")
		return def, false
	}
	return v, true
}

func (dc *decoder) optNumber(col string) *float64 {
	v, ok := dc.number(col, false, 0)
	if !ok {
		return nil
	}
	return &v
}

func (dc *decoder) boolean(col string, def bool) bool {
	switch strings.ToLower(dc.str(col)) {
	case "":
		return def
	case "true", "yes", "1", "y":
		return true
	case "false", "no", "0", "n":
		return false
	}
	dc.fail(col, dc.str(col), "true", "not true or false")
	return def
}

// time reads RFC 3339 ("2026-11-20T15:00:00Z"), or a date or a date and
// time without a zone, read in the workspace's time zone.
func (dc *decoder) time(col string, required bool) time.Time {
	t := dc.anyTime(col, required)
	if t.IsZero() || dc.now.IsZero() || col == "away_until" {
		return t
	}
	if dc.today == "" {
		dc.today = dc.now.In(dc.loc).Format(time.DateOnly)
	}
	today := dc.today
	switch {
	case dc.day && t.In(dc.loc).Format(time.DateOnly) > today:
		dc.fail(col, dc.str(col), today, "%s is in the future; okrbot records what happened today or earlier", dc.str(col))
	case !dc.day && t.After(dc.now.Add(FutureSkew)):
		dc.fail(col, dc.str(col), dc.now.UTC().Truncate(time.Second).Format(time.RFC3339), "%s is in the future; okrbot records what happened now or earlier", dc.str(col))
	}
	return t
}

// anyTime is time without the check of the future.
func (dc *decoder) anyTime(col string, required bool) time.Time {
	dc.day = false
	s := dc.str(col)
	if s == "" {
		if required {
			dc.fail(col, "", "2026-11-20T15:00:00Z", "give a date and time")
		}
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, dc.loc); err == nil {
			return t.UTC()
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, dc.loc); err == nil {
		dc.day = true
		return t.Add(12 * time.Hour).UTC() // a day counts from its middle, as /kpi set on a past day
	}
	dc.fail(col, s, "2026-11-20T15:00:00Z", "not a date and time; use RFC 3339 or YYYY-MM-DD")
	return time.Time{}
}

var weekRE = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

func (dc *decoder) week(col string) domain.Week {
	s := strings.ToUpper(dc.str(col))
	m := weekRE.FindStringSubmatch(s)
	if m == nil {
		dc.fail(col, dc.str(col), "2026-W47", "not an ISO week")
		return ""
	}
	y, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	if n < 1 || n > 53 || y < 2000 || y > 2200 || domain.WeekOf(domain.Week(s).Start(time.UTC), time.UTC) != domain.Week(s) {
		dc.fail(col, s, "2026-W47", "no such week")
		return ""
	}
	if !dc.now.IsZero() {
		// The week it is now where the day is furthest ahead (UTC+14): a
		// person's own week may start before the workspace's.
		if this := domain.WeekOf(dc.now.Add(14*time.Hour), time.UTC); domain.Week(s) > this {
			dc.fail(col, s, string(this), "%s is in the future; the current week is %s", s, this)
			return ""
		}
	}
	return domain.Week(s)
}

func (dc *decoder) ref(col, kind string, required bool) string {
	s := dc.str(col)
	if s == "" && !required {
		return ""
	}
	k, r, ok := domain.RefKind(s)
	if kind == "I" {
		r = strings.ToUpper(s)
		k, ok = "I", initiativeRE.MatchString(r)
	}
	if !ok || (kind != "" && k != kind) {
		ex := map[string]string{"O": "O-12", "KR": "KR-31", "I": "I-4", "": "O-3 or KR-7"}[kind]
		dc.fail(col, s, ex, "not a ref like %s", ex)
		return ""
	}
	return r
}

func (dc *decoder) slug(col string, required bool) string {
	s := strings.ToLower(dc.str(col))
	if s == "" && !required {
		return ""
	}
	if err := domain.ValidateSlug(s); err != nil {
		dc.failErr(col, err)
	}
	return s
}

// choice reads one of the allowed words (with aliases), or def when empty.
func (dc *decoder) choice(col string, def string, allowed map[string]string, example string) string {
	s := strings.ToLower(dc.str(col))
	if s == "" {
		return def
	}
	if v, ok := allowed[s]; ok {
		return v
	}
	dc.fail(col, dc.str(col), example, "not one of %s", example)
	return def
}

func (dc *decoder) schedule(col string, def domain.Schedule) domain.Schedule {
	s := strings.ToLower(dc.str(col))
	if s == "" {
		return def
	}
	if s == "off" {
		return domain.Schedule{Off: true, Set: true}
	}
	day, hm, _ := strings.Cut(s, " ")
	wd := -1
	for i, n := range dayNames {
		if n == day || n[:3] == day {
			wd = i
		}
	}
	t, err := time.Parse("15:04", strings.TrimSpace(hm))
	if wd < 0 || err != nil {
		dc.fail(col, dc.str(col), "friday 15:00", "not a weekday and time, or off")
		return def
	}
	return domain.Schedule{Weekday: time.Weekday(wd), Minute: t.Hour()*60 + t.Minute(), Set: true}
}

func (dc *decoder) check(col string, err error) {
	if err != nil {
		dc.failErr(col, err)
	}
}

func (dc *decoder) workspace() {
	if dc.d.Workspace != nil {
		dc.fail("", "", "", "workspace.csv holds one workspace; this is a second row")
		return
	}
	w := domain.Workspace{
		ID:         dc.str("id"),
		Platform:   domain.Platform(dc.choice("platform", "", map[string]string{"slack": "slack", "teams": "teams"}, "slack or teams")),
		ExternalID: dc.id("external_id", true),
		Name:       dc.text("name", domain.MaxNameLen, false),
		CreatedAt:  dc.time("created_at", false),
	}
	if w.Platform == "" && !dc.bad {
		dc.fail("platform", "", "slack", "give the platform: slack or teams")
	}
	if !dc.bad && w.ID != domain.WorkspaceID(w.Platform, w.ExternalID) {
		dc.fail("id", w.ID, domain.WorkspaceID(w.Platform, w.ExternalID), "the id must be the platform and the external id")
	}
	def := domain.DefaultSettings("UTC")
	w.Settings = domain.Settings{
		CheckIn: dc.schedule("checkin", def.CheckIn), Reminder: dc.schedule("reminder", def.Reminder),
		Digest: dc.schedule("digest", def.Digest), TimeZone: dc.str("timezone"),
	}
	if w.Settings.TimeZone == "" {
		w.Settings.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(w.Settings.TimeZone); err != nil || strings.EqualFold(w.Settings.TimeZone, "local") {
		dc.fail("timezone", w.Settings.TimeZone, "Europe/Paris", "not an IANA time zone name")
	}
	for _, a := range strings.Fields(dc.str("admins")) {
		if !idRE.MatchString(a) {
			dc.fail("admins", a, "U024BE7LH U0BOB", "not a platform user id")
		}
		w.Admins = append(w.Admins, a)
	}
	if !dc.bad {
		dc.d.Workspace = &WorkspaceRow{Pos: dc.pos(), Workspace: w}
	}
}

func (dc *decoder) person() {
	u := domain.User{
		ID:        dc.id("user", true),
		Name:      dc.text("name", domain.MaxNameLen, false),
		Email:     strings.ToLower(dc.str("email")),
		TimeZone:  dc.str("timezone"),
		AwayUntil: dc.time("away_until", false),
	}
	if u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || !strings.EqualFold(a.Address, u.Email) {
			dc.fail("email", dc.str("email"), "ada@example.com", "not an email address")
		}
	}
	if u.TimeZone != "" {
		if _, err := time.LoadLocation(u.TimeZone); err != nil || strings.EqualFold(u.TimeZone, "local") {
			dc.fail("timezone", u.TimeZone, "Europe/Paris", "not an IANA time zone name")
		}
	}
	if dc.bad {
		dc.refused(UserKey(dc.str("user")), EmailKey(dc.str("email")))
		return
	}
	if !dc.unique("user/"+u.ID, "the person "+u.ID) {
		return
	}
	if u.Email != "" && !dc.unique("email/"+u.Email, "the email "+u.Email) {
		dc.refused(UserKey(u.ID)) // another person than the first row's
		return
	}
	dc.d.People = append(dc.d.People, PersonRow{Pos: dc.pos(), User: u})
}

var (
	directions = map[string]string{"higher": "higher", "lower": "lower", "up": "higher", "down": "lower",
		"higher is better": "higher", "lower is better": "lower"}
	cadences = map[string]string{"day": "day", "daily": "day", "week": "week", "weekly": "week", "month": "month", "monthly": "month"}
	healths  = map[string]string{"unknown": "unknown", "green": "green", "yellow": "yellow", "red": "red", "stale": "stale"}
	kinds    = map[string]string{"increase": "increase", "decrease": "decrease", "reach": "reach", "stay-above": "stay-above",
		"stay above": "stay-above", "stay-below": "stay-below", "stay below": "stay-below", "milestone": "milestone"}
	commitments = map[string]string{"committed": "committed", "aspirational": "aspirational"}
	statuses    = map[string]string{"draft": "draft", "active": "active", "closed": "closed"}
)

func (dc *decoder) kpi() {
	k := domain.KPI{
		Slug:        dc.slug("slug", true),
		Name:        dc.text("name", domain.MaxNameLen, true),
		Unit:        dc.text("unit", domain.MaxUnitLen, false),
		Direction:   domain.Direction(dc.choice("direction", "higher", directions, "higher or lower")),
		Target:      dc.optNumber("target"),
		Warn:        dc.optNumber("warn"),
		Alert:       dc.optNumber("alert"),
		Cadence:     domain.Cadence(dc.choice("cadence", "week", cadences, "day, week or month")),
		Owner:       dc.who("owner", true),
		Team:        dc.id("team", false),
		Health:      domain.Health(dc.choice("health", "", healths, "green, yellow, red, stale or unknown")),
		HealthSince: dc.time("health_since", false),
		CreatedAt:   dc.time("created_at", false),
		Archived:    dc.boolean("archived", false),
	}
	if kind := dc.str("source_kind"); kind != "" || dc.str("source_url") != "" {
		src := domain.KPISource{Kind: domain.SourceKind(strings.ToLower(kind)), URL: dc.str("source_url"), Path: dc.str("source_path"), Query: dc.str("source_query")}
		if src.Kind == "" {
			src.Kind = domain.SourceJSON
		}
		if err := src.Validate(); err != nil {
			dc.failErr("source_url", err)
		}
		k.Source = &src
	}
	if !dc.bad {
		dc.check("", k.Validate())
	}
	if dc.bad {
		dc.refused(KPIKey(strings.ToLower(dc.str("slug"))))
		return
	}
	if !dc.unique(k.Slug, "the KPI "+k.Slug) {
		return
	}
	dc.d.KPIs = append(dc.d.KPIs, KPIRow{Pos: dc.pos(), KPI: k})
}

func (dc *decoder) kpiValue() {
	v := domain.KPIValue{Slug: dc.slug("slug", true), At: dc.time("at", true)}
	day := dc.day
	v.Note, v.By = dc.text("note", domain.MaxNoteLen, false), dc.str("by")
	v.Value, _ = dc.number("value", true, 0)
	if v.By != "" && !idRE.MatchString(v.By) {
		dc.fail("by", v.By, "U024BE7LH", "not a platform user id")
	}
	if dc.bad || !dc.unique(v.Slug+"/"+v.At.Format(time.RFC3339Nano)+"/"+num(v.Value), "the same value of "+v.Slug+" at the same time") {
		return
	}
	dc.d.KPIValues = append(dc.d.KPIValues, KPIValueRow{Pos: dc.pos(), KPIValue: v, Day: day})
}

func (dc *decoder) objective() {
	o := domain.Objective{
		Ref:        dc.ref("ref", "O", true),
		Title:      dc.text("title", domain.MaxTitleLen, true),
		Owner:      dc.who("owner", true),
		Team:       dc.id("team", false),
		Commitment: domain.Commitment(dc.choice("commitment", "committed", commitments, "committed or aspirational")),
		Parent:     dc.ref("parent", "", false),
		Status:     domain.ObjectiveStatus(dc.choice("status", "active", statuses, "draft, active or closed")),
		GradeNote:  dc.text("grade_note", domain.MaxNoteLen, false),
		CreatedBy:  dc.who("created_by", false),
		CreatedAt:  dc.time("created_at", false),
		UpdatedAt:  dc.time("updated_at", false),
	}
	c, err := domain.ParseCycle(dc.str("cycle"))
	if err != nil {
		dc.fail("cycle", dc.str("cycle"), "2026-Q4", "%s", domain.ErrorMessage(err))
	}
	o.Cycle = c
	if g, ok := dc.number("grade", false, 0); ok {
		if err := domain.ValidateGrade(g); err != nil {
			dc.failErr("grade", err)
		}
		o.Grade = &g
	}
	if o.Parent != "" && o.Parent == o.Ref {
		dc.fail("parent", o.Parent, "O-1", "an objective cannot be its own parent")
	}
	if o.CreatedBy == "" {
		o.CreatedBy = o.Owner
	}
	if dc.bad {
		dc.refused(dc.rawRef("ref", "O"))
		return
	}
	if !dc.unique(o.Ref, "the objective "+o.Ref) {
		return
	}
	dc.d.Objectives = append(dc.d.Objectives, ObjectiveRow{Pos: dc.pos(), Objective: o})
}

func (dc *decoder) keyResult() {
	kr := domain.KeyResult{
		Ref:       dc.ref("ref", "KR", true),
		Title:     dc.text("title", domain.MaxTitleLen, true),
		Kind:      domain.Kind(dc.choice("kind", "", kinds, "increase, decrease, reach, stay-above, stay-below or milestone")),
		Unit:      dc.text("unit", domain.MaxUnitLen, false),
		Owner:     dc.who("owner", true),
		KPI:       dc.slug("kpi", false),
		UpdatedAt: dc.time("updated_at", false),
		CreatedAt: dc.time("created_at", false),
	}
	obj := dc.ref("objective", "O", true)
	if kr.Kind == "" && !dc.bad {
		dc.fail("kind", "", "increase", "give the kind: increase, decrease, reach, stay-above, stay-below or milestone")
	}
	milestone := kr.Kind == domain.Milestone
	// A key result that moves from a start needs it written: an empty start
	// read as 0 would show a team that began at 70 as 70 % of the way to 100.
	moves := kr.Kind == domain.Increase || kr.Kind == domain.Decrease || kr.Kind == domain.Reach
	kr.Start, _ = dc.number("start", false, 0)
	if moves && dc.str("start") == "" {
		dc.fail("start", "", "22", "give the value it starts from (0 only if it really starts at zero)")
	}
	kr.Target, _ = dc.number("target", !milestone && kr.Kind != "", 0)
	if milestone && dc.str("target") == "" {
		kr.Target = 1
	}
	var hasCurrent bool
	kr.Current, hasCurrent = dc.number("current", false, kr.Start)
	kr.Measured = dc.boolean("measured", hasCurrent)
	kr.Done = dc.boolean("done", false)
	kr.Weight, _ = dc.number("weight", false, 1)
	given := Given{Current: hasCurrent, Measured: dc.str("measured") != "", Done: dc.str("done") != "", Confidence: dc.str("confidence") != ""}
	if s := dc.str("confidence"); s != "" {
		n, err := domain.ParseConfidence(s)
		dc.check("confidence", err)
		kr.Confidence = n
	}
	if err := domain.ValidateWeight(kr.Weight); err != nil && dc.str("weight") != "" {
		dc.failErr("weight", err)
	}
	if !dc.bad {
		dc.check("", kr.Validate()) // the kind against start and target: the row's example
	}
	if dc.bad {
		dc.refused(dc.rawRef("ref", "KR"))
		return
	}
	if !dc.unique(kr.Ref, "the key result "+kr.Ref) {
		return
	}
	dc.d.KeyResults = append(dc.d.KeyResults, KeyResultRow{Pos: dc.pos(), Objective: obj, KeyResult: kr, Given: given})
}

func (dc *decoder) checkIn() {
	c := domain.CheckIn{
		KR:        dc.ref("kr", "KR", true),
		Objective: dc.ref("objective", "O", false),
		UserID:    dc.who("user", true),
		Week:      dc.week("week"),
		Note:      dc.text("note", domain.MaxNoteLen, false),
		At:        dc.time("at", false),
		FirstAt:   dc.time("first_at", false),
		By:        dc.who("by", false),
	}
	c.Value, _ = dc.number("value", false, 0)
	c.Done = dc.boolean("done", false)
	n, err := domain.ParseConfidence(dc.str("confidence"))
	dc.check("confidence", err)
	c.Confidence = n
	if !dc.bad && c.Week != "" {
		dc.checkInTimes(c)
	}
	if dc.bad || !dc.unique(c.UserID+"/"+c.KR+"/"+string(c.Week), "the check-in of "+c.UserID+" on "+c.KR+" for "+string(c.Week)) {
		return
	}
	dc.d.CheckIns = append(dc.d.CheckIns, CheckInRow{Pos: dc.pos(), CheckIn: c})
}

// checkInTimes checks that a check-in's times fall in its week: from the
// week's Monday to the Monday two weeks on (an answer to Friday's prompt
// given the next Monday still counts for the week before), with a day's
// allowance for time zones.
func (dc *decoder) checkInTimes(c domain.CheckIn) {
	from := c.Week.Start(time.UTC).Add(-14 * time.Hour)
	to := c.Week.Start(time.UTC).AddDate(0, 0, 14).Add(14 * time.Hour)
	for _, x := range []struct {
		col string
		t   time.Time
	}{{"at", c.At}, {"first_at", c.FirstAt}} {
		if !x.t.IsZero() && (x.t.Before(from) || !x.t.Before(to)) {
			ex := c.Week.Start(time.UTC).AddDate(0, 0, 4).Add(15 * time.Hour).Format(time.RFC3339) // the week's Friday afternoon
			dc.fail(x.col, dc.str(x.col), ex, "%s is not in or just after %s (%s to %s); give the week the answer was for", dc.str(x.col), c.Week,
				c.Week.Start(time.UTC).Format("2 Jan"), c.Week.Start(time.UTC).AddDate(0, 0, 6).Format("2 Jan 2006"))
			return
		}
	}
}

func (dc *decoder) initiative() {
	in := domain.Initiative{
		Ref:       dc.ref("ref", "I", true),
		Title:     dc.text("title", domain.MaxTitleLen, true),
		Done:      dc.boolean("done", false),
		CreatedBy: dc.who("created_by", false),
		CreatedAt: dc.time("created_at", false),
		DoneAt:    dc.time("done_at", false),
	}
	kr := dc.ref("kr", "KR", true)
	if dc.bad {
		dc.refused(dc.rawRef("ref", "I"))
		return
	}
	if !dc.unique(in.Ref, "the initiative "+in.Ref) {
		return
	}
	dc.d.Initiatives = append(dc.d.Initiatives, InitiativeRow{Pos: dc.pos(), KR: kr, Initiative: in})
}

func (dc *decoder) weekNote() {
	n := domain.WeekNote{UserID: dc.who("user", true), Week: dc.week("week"), Note: dc.text("note", domain.MaxNoteLen, false),
		Wins: dc.text("wins", domain.MaxNoteLen, false), Blockers: dc.text("blockers", domain.MaxNoteLen, false),
		Help: dc.text("help", domain.MaxNoteLen, false), At: dc.time("at", false)}
	if n.Empty() && !dc.bad {
		dc.fail("note", "", "shipped the pricing page", "the note says nothing: give a note, wins, blockers or help")
	}
	if dc.bad || !dc.unique(n.UserID+"/"+string(n.Week), "the note of "+n.UserID+" for "+string(n.Week)) {
		return
	}
	dc.d.WeekNotes = append(dc.d.WeekNotes, WeekNoteRow{Pos: dc.pos(), WeekNote: n})
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
