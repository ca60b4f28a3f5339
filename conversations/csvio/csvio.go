// Package csvio is okrbot's CSV format: one file per table (the workspace,
// people, KPIs and their values, objectives, key results, check-ins and
// week notes), written so that reading a file back gives the same records,
// and read with a report of every row it refuses (file, row, column,
// reason, and an example of what would be accepted).
//
// It is pure: records in, bytes out, and back. Finding what a file refers
// to in a store (owners by email, objectives that exist already) is the
// importer's work, in package conversations.
package csvio

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// File names, in the order an import reads them: what others refer to first.
const (
	FileWorkspace   = "workspace.csv"
	FilePeople      = "people.csv"
	FileKPIs        = "kpis.csv"
	FileKPIValues   = "kpi_values.csv"
	FileObjectives  = "objectives.csv"
	FileKeyResults  = "key_results.csv"
	FileInitiatives = "initiatives.csv"
	FileCheckIns    = "checkins.csv"
	FileWeekNotes   = "week_notes.csv"
)

// Files lists every file of an export, in reading order.
var Files = []string{FileWorkspace, FilePeople, FileKPIs, FileKPIValues, FileObjectives, FileKeyResults, FileInitiatives, FileCheckIns, FileWeekNotes}

// Columns of each file, in the order they are written. Reading accepts them
// in any order; a column marked required must be there.
var columns = map[string][]column{
	FileWorkspace: {
		{"id", true}, {"platform", true}, {"external_id", true}, {"name", false}, {"timezone", false},
		{"checkin", false}, {"reminder", false}, {"digest", false}, {"admins", false}, {"created_at", false},
	},
	FilePeople: {{"user", true}, {"name", false}, {"email", false}, {"timezone", false}, {"away_until", false}},
	FileKPIs: {
		{"slug", true}, {"name", true}, {"unit", false}, {"direction", false}, {"target", false}, {"warn", false},
		{"alert", false}, {"cadence", false}, {"owner", true}, {"team", false}, {"health", false}, {"health_since", false},
		{"source_kind", false}, {"source_url", false}, {"source_path", false}, {"source_query", false}, {"created_at", false},
		{"archived", false},
	},
	FileKPIValues: {{"slug", true}, {"at", true}, {"value", true}, {"note", false}, {"by", false}},
	FileObjectives: {
		{"ref", true}, {"title", true}, {"owner", true}, {"team", false}, {"cycle", true}, {"commitment", false},
		{"parent", false}, {"status", false}, {"grade", false}, {"grade_note", false}, {"created_by", false},
		{"created_at", false}, {"updated_at", false},
	},
	FileKeyResults: {
		{"ref", true}, {"objective", true}, {"title", true}, {"kind", true}, {"start", false}, {"target", false},
		{"current", false}, {"measured", false}, {"done", false}, {"unit", false}, {"weight", false}, {"owner", true},
		{"kpi", false}, {"confidence", false}, {"updated_at", false}, {"created_at", false},
	},
	FileInitiatives: {
		{"ref", true}, {"kr", true}, {"title", true}, {"done", false}, {"created_by", false}, {"created_at", false}, {"done_at", false},
	},
	FileCheckIns: {
		{"kr", true}, {"objective", false}, {"user", true}, {"week", true}, {"value", false}, {"done", false},
		{"confidence", true}, {"note", false}, {"at", false}, {"first_at", false}, {"by", false},
	},
	FileWeekNotes: {{"user", true}, {"week", true}, {"note", false}, {"wins", false}, {"blockers", false}, {"help", false}, {"at", false}},
}

type column struct {
	name     string
	required bool
}

// Header returns the columns of a file as written.
func Header(file string) []string {
	var out []string
	for _, c := range columns[file] {
		out = append(out, c.name)
	}
	return out
}

// Data is what an export holds, or what an import read.
type Data struct {
	Workspace  *domain.Workspace
	People     []domain.User
	KPIs       []domain.KPI
	KPIValues  []domain.KPIValue
	Objectives []domain.Objective // with their key results and initiatives
	CheckIns   []domain.CheckIn
	WeekNotes  []domain.WeekNote
}

// File is one CSV file.
type File struct {
	Name string
	Data []byte
}

// Encode writes d as one file per table. Rows are sorted by their natural
// key, numbers and times are written exactly, so the same data always gives
// the same bytes.
func Encode(d *Data) ([]File, error) {
	var out []File
	add := func(name string, rows [][]string) error {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.Write(Header(name)); err != nil {
			return err
		}
		if err := w.WriteAll(rows); err != nil {
			return fmt.Errorf("csvio: %s: %w", name, err)
		}
		out = append(out, File{Name: name, Data: b.Bytes()})
		return nil
	}
	var rows [][]string
	if ws := d.Workspace; ws != nil {
		rows = [][]string{{ws.ID, string(ws.Platform), ws.ExternalID, ws.Name, ws.Settings.TimeZone,
			schedule(ws.Settings.CheckIn), schedule(ws.Settings.Reminder), schedule(ws.Settings.Digest),
			strings.Join(ws.Admins, " "), stamp(ws.CreatedAt)}}
	}
	if err := add(FileWorkspace, rows); err != nil {
		return nil, err
	}

	people := append([]domain.User(nil), d.People...)
	sort.Slice(people, func(i, j int) bool { return people[i].ID < people[j].ID })
	rows = nil
	for _, u := range people {
		rows = append(rows, []string{u.ID, u.Name, u.Email, u.TimeZone, stamp(u.AwayUntil)})
	}
	if err := add(FilePeople, rows); err != nil {
		return nil, err
	}

	kpis := append([]domain.KPI(nil), d.KPIs...)
	sort.Slice(kpis, func(i, j int) bool { return kpis[i].Slug < kpis[j].Slug })
	rows = nil
	for _, k := range kpis {
		var src domain.KPISource
		if k.Source != nil {
			src = *k.Source
		}
		rows = append(rows, []string{k.Slug, k.Name, k.Unit, string(k.Direction), optNum(k.Target), optNum(k.Warn),
			optNum(k.Alert), string(k.Cadence), k.Owner, k.Team, string(k.Health), stamp(k.HealthSince),
			string(src.Kind), src.URL, src.Path, src.Query, stamp(k.CreatedAt), boolean(k.Archived)})
	}
	if err := add(FileKPIs, rows); err != nil {
		return nil, err
	}

	vals := append([]domain.KPIValue(nil), d.KPIValues...)
	sort.SliceStable(vals, func(i, j int) bool {
		if vals[i].Slug != vals[j].Slug {
			return vals[i].Slug < vals[j].Slug
		}
		if !vals[i].At.Equal(vals[j].At) {
			return vals[i].At.Before(vals[j].At)
		}
		return num(vals[i].Value) < num(vals[j].Value)
	})
	rows = nil
	for _, v := range vals {
		rows = append(rows, []string{v.Slug, stamp(v.At), num(v.Value), v.Note, v.By})
	}
	if err := add(FileKPIValues, rows); err != nil {
		return nil, err
	}

	os := append([]domain.Objective(nil), d.Objectives...)
	sort.Slice(os, func(i, j int) bool { return refLess(os[i].Ref, os[j].Ref) })
	rows = nil
	var krRows, inRows [][]string
	for _, o := range os {
		grade := ""
		if o.Grade != nil {
			grade = num(*o.Grade)
		}
		rows = append(rows, []string{o.Ref, o.Title, o.Owner, o.Team, string(o.Cycle), string(o.Commitment), o.Parent,
			string(o.Status), grade, o.GradeNote, o.CreatedBy, stamp(o.CreatedAt), stamp(o.UpdatedAt)})
		krs := append([]domain.KeyResult(nil), o.KeyResults...)
		sort.SliceStable(krs, func(i, j int) bool { return refLess(krs[i].Ref, krs[j].Ref) })
		for _, kr := range krs {
			conf := ""
			if kr.Confidence > 0 {
				conf = strconv.Itoa(kr.Confidence)
			}
			krRows = append(krRows, []string{kr.Ref, o.Ref, kr.Title, string(kr.Kind), num(kr.Start), num(kr.Target),
				num(kr.Current), boolean(kr.Measured), boolean(kr.Done), kr.Unit, num(kr.Weight), kr.Owner, kr.KPI, conf, stamp(kr.UpdatedAt),
				stamp(kr.CreatedAt)})
			for _, in := range kr.Initiatives {
				inRows = append(inRows, []string{in.Ref, kr.Ref, in.Title, boolean(in.Done), in.CreatedBy, stamp(in.CreatedAt), stamp(in.DoneAt)})
			}
		}
	}
	if err := add(FileObjectives, rows); err != nil {
		return nil, err
	}
	sort.SliceStable(krRows, func(i, j int) bool { return refLess(krRows[i][0], krRows[j][0]) })
	if err := add(FileKeyResults, krRows); err != nil {
		return nil, err
	}
	sort.SliceStable(inRows, func(i, j int) bool { return refLess(inRows[i][0], inRows[j][0]) })
	if err := add(FileInitiatives, inRows); err != nil {
		return nil, err
	}

	cs := append([]domain.CheckIn(nil), d.CheckIns...)
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.KR != b.KR {
			return refLess(a.KR, b.KR)
		}
		if a.Week != b.Week {
			return a.Week < b.Week
		}
		return a.UserID < b.UserID
	})
	rows = nil
	for _, c := range cs {
		rows = append(rows, []string{c.KR, c.Objective, c.UserID, string(c.Week), num(c.Value), boolean(c.Done),
			strconv.Itoa(c.Confidence), c.Note, stamp(c.At), stamp(c.FirstAt), c.By})
	}
	if err := add(FileCheckIns, rows); err != nil {
		return nil, err
	}

	ns := append([]domain.WeekNote(nil), d.WeekNotes...)
	sort.Slice(ns, func(i, j int) bool {
		if ns[i].Week != ns[j].Week {
			return ns[i].Week < ns[j].Week
		}
		return ns[i].UserID < ns[j].UserID
	})
	rows = nil
	for _, n := range ns {
		rows = append(rows, []string{n.UserID, string(n.Week), n.Note, n.Wins, n.Blockers, n.Help, stamp(n.At)})
	}
	if err := add(FileWeekNotes, rows); err != nil {
		return nil, err
	}
	return out, nil
}

// Zip packs files into one zip archive (the export sent in chat). The
// files' times are fixed, so the same files give the same archive.
func Zip(files []File) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Unzip reads the CSV files of a zip archive, at most maxBytes unpacked.
func Unzip(data []byte, maxBytes int64) ([]File, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	var out []File
	var total int64
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(zf.Name), ".csv") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", zf.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxBytes-total+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", zf.Name, err)
		}
		total += int64(len(b))
		if total > maxBytes {
			return nil, fmt.Errorf("the archive unpacks to more than %d MB", maxBytes>>20)
		}
		name := zf.Name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		out = append(out, File{Name: name, Data: b})
	}
	return out, nil
}

// refLess orders refs by number: O-2 before O-10.
func refLess(a, b string) bool {
	na, nb := refNum(a), refNum(b)
	if na != nb {
		return na < nb
	}
	return a < b
}

func refNum(r string) int {
	_, n, ok := strings.Cut(r, "-")
	if !ok {
		return math.MaxInt
	}
	v, err := strconv.Atoi(n)
	if err != nil {
		return math.MaxInt
	}
	return v
}

// num writes a number exactly (it reads back to the same float64), without
// an exponent for everyday values: 1250, 0.35, -4.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

func boolean(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// stamp writes a time in UTC with all its precision; "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

var dayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// schedule writes "friday 15:00", or "off".
func schedule(s domain.Schedule) string {
	if s.Off {
		return "off"
	}
	if !s.Set {
		return ""
	}
	return fmt.Sprintf("%s %02d:%02d", dayNames[s.Weekday], s.Minute/60, s.Minute%60)
}
