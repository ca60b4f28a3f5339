package conversations

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
)

// DataStore is what imports and exports need besides the other stores.
type DataStore interface {
	// ImportData writes a batch into a workspace, all of it or (on an
	// error) nothing, in one transaction where the store has them. Refs it
	// stores are never handed out again.
	ImportData(ctx context.Context, workspace string, b domain.ImportBatch) error
	// AllKPIs returns every KPI, archived ones included.
	AllKPIs(ctx context.Context, workspace string) ([]domain.KPI, error)
	// AllWeekNotes returns every week note, by week and person.
	AllWeekNotes(ctx context.Context, workspace string) ([]domain.WeekNote, error)
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Workspace is the store id of the workspace to import into; the one in
	// workspace.csv when empty.
	Workspace string
	// DryRun checks and reports, and writes nothing.
	DryRun bool
	// SkipBadRows writes the rows that are fine when some are refused
	// (and what depends on a refused row is refused with it). Without it a
	// single refused row means nothing is written.
	SkipBadRows bool
	// Progress hears what the import is doing, for long imports: rows
	// read, file by file.
	Progress func(file string, rows int, done bool)
	// Writing, when set, hears how many records are about to be written,
	// once every row is checked.
	Writing func(records int)
}

// ImportReport says, per file, what an import creates, what it finds
// there already (and leaves alone), and every row it refuses.
type ImportReport struct {
	Workspace string
	Create    map[string]int
	Exists    map[string]int
	Problems  []csvio.Problem
	Written   bool
}

// Refused counts the rows refused (problems of a whole file not counted).
func (r ImportReport) Refused() int {
	rows := map[string]bool{}
	for _, p := range r.Problems {
		if p.Row > 1 {
			rows[fmt.Sprintf("%s/%d", p.File, p.Row)] = true
		}
	}
	return len(rows)
}

// Import reads CSV files (package csvio) into a workspace. It checks every
// row against the files and the store before writing anything: owners by
// email (people.csv or people okrbot knows) or platform id, refs that
// exist, one check-in per person, key result and week. What is already
// there (the same ref with the same title, the same check-in) is counted
// and left alone, so importing the same files again creates nothing.
func (s *Service) Import(ctx context.Context, in []csvio.Input, opt ImportOptions) (ImportReport, error) {
	rep := ImportReport{Create: map[string]int{}, Exists: map[string]int{}}
	d, probs := csvio.Decode(in, csvio.DecodeOptions{Progress: opt.Progress, Now: s.opt.Now()})
	rep.Problems = probs
	target := opt.Workspace
	if target == "" && d.Workspace != nil {
		target = d.Workspace.ID
	}
	if target == "" {
		rep.Problems = append(rep.Problems, csvio.Problem{File: csvio.FileWorkspace, Reason: "say which workspace to import into: give workspace.csv, or the workspace (okrbot import --workspace slack:T024BE7LD)"})
		return rep, nil
	}
	rep.Workspace = target
	p, err := s.newPlan(ctx, target, d)
	if err != nil {
		return rep, err
	}
	p.run()
	rep.Problems = append(rep.Problems, p.probs...)
	// In the order of the files and their rows, as a person fixes them.
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if fa, fb := fileOrder(a.File), fileOrder(b.File); fa != fb {
			return fa < fb
		}
		return a.Row < b.Row
	})
	rep.Create, rep.Exists = p.create, p.exists
	if opt.DryRun || len(rep.Problems) > 0 && !opt.SkipBadRows {
		return rep, nil
	}
	if opt.Writing != nil {
		opt.Writing(p.batch.Size())
	}
	if err := s.store.ImportData(ctx, target, p.batch); err != nil {
		return rep, fmt.Errorf("conversations.Import: %w", err)
	}
	rep.Written = true
	return rep, nil
}

// fileOrder is a file's place in csvio.Files (unknown files last).
func fileOrder(name string) int {
	if i := slices.Index(csvio.Files, name); i >= 0 {
		return i
	}
	return len(csvio.Files)
}

// plan resolves what files hold against what the store has.
type plan struct {
	d      *csvio.Decoded
	ws     domain.Workspace
	newWS  bool
	probs  []csvio.Problem
	create map[string]int
	exists map[string]int
	batch  domain.ImportBatch
	// What the store has.
	users     map[string]domain.User // id
	emails    map[string]string      // email -> id
	kpis      map[string]string      // slug -> name, the store's and the files' accepted
	values    map[string]bool        // slug/at/value
	dayValues map[string]bool        // slug/day/value, for values given as a date
	objs      map[string]domain.Objective
	krs       map[string]string // kr ref -> objective ref
	checkIns  map[string]bool   // user/kr/week
	newKRs    map[string]string // kr ref -> objective ref, accepted from the files
	newObjs   map[string]bool
	objKRs    map[string]int // objective ref -> key results in the store
	// refused holds where every refused row was, by the keys others use
	// to refer to it (csvio.Decoded.Refused): a row that refers to one is
	// refused with it, never attached to what the store has of that ref.
	refused map[string]csvio.Pos
	// initiatives are the store's initiative refs, by the key result holding them.
	initiatives map[string]string
	// storeLatest is the latest value of each KPI of the store.
	storeLatest map[string]domain.KPIValue
	// checkTarget refuses a source the fetcher would not fetch from.
	checkTarget func(*domain.KPISource) error
	now         time.Time
	loc         *time.Location
}

func (s *Service) newPlan(ctx context.Context, target string, d *csvio.Decoded) (*plan, error) {
	p := &plan{d: d, create: map[string]int{}, exists: map[string]int{}, users: map[string]domain.User{}, emails: map[string]string{},
		kpis: map[string]string{}, values: map[string]bool{}, dayValues: map[string]bool{}, objs: map[string]domain.Objective{}, krs: map[string]string{},
		checkIns: map[string]bool{}, newKRs: map[string]string{}, newObjs: map[string]bool{}, objKRs: map[string]int{},
		refused: map[string]csvio.Pos{}, initiatives: map[string]string{}, storeLatest: map[string]domain.KPIValue{}, now: s.opt.Now(), loc: time.UTC}
	for k, pos := range d.Refused {
		p.refused[k] = pos
	}
	p.checkTarget = func(src *domain.KPISource) error { return s.checkTarget(ctx, src, "") }
	p.batch.KeyResults = map[string][]domain.KeyResult{}
	ws, err := s.store.Workspace(ctx, target)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		if d.Workspace == nil || d.Workspace.ID != target {
			p.probs = append(p.probs, csvio.Problem{File: csvio.FileWorkspace, Reason: "okrbot has no workspace " + target + "; give its workspace.csv, or import into one that exists"})
			return p, nil
		}
		ws, p.newWS = d.Workspace.Workspace, true
		if ws.CreatedAt.IsZero() {
			ws.CreatedAt = s.opt.Now()
		}
		p.ws = ws
		p.loc = domain.Location(ws.Settings.TimeZone)
		w := ws
		p.batch.Workspace = &w
		p.create[csvio.FileWorkspace] = 1
		return p, nil
	case err != nil:
		return nil, err
	}
	p.ws = ws
	p.loc = domain.Location(ws.Settings.TimeZone)
	if d.Workspace != nil {
		p.exists[csvio.FileWorkspace] = 1
	}
	us, err := s.store.Users(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		p.users[u.ID] = u
		if u.Email != "" {
			p.emails[strings.ToLower(u.Email)] = u.ID
		}
	}
	ks, err := s.store.AllKPIs(ctx, ws.ID) // an archived KPI's slug is taken too
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		p.kpis[k.Slug] = k.Name
		if k.Latest != nil {
			p.storeLatest[k.Slug] = *k.Latest
		}
	}
	if len(d.KPIValues) > 0 {
		for _, k := range ks {
			vals, err := s.store.KPIValues(ctx, ws.ID, k.Slug, maxKPIValues)
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				p.values[valueKey(v)] = true
				p.dayValues[p.dayKey(v)] = true
			}
		}
	}
	os, err := s.store.Objectives(ctx, ws.ID, domain.ObjectiveFilter{})
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		p.objs[o.Ref] = o
		p.objKRs[o.Ref] = len(o.KeyResults)
		for _, kr := range o.KeyResults {
			p.krs[kr.Ref] = o.Ref
			for _, in := range kr.Initiatives {
				p.initiatives[in.Ref] = kr.Ref
			}
		}
	}
	if len(d.CheckIns) > 0 {
		cs, err := s.store.CheckIns(ctx, ws.ID, domain.CheckInFilter{})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			p.checkIns[c.UserID+"/"+c.KR+"/"+string(c.Week)] = true
		}
	}
	return p, nil
}

func valueKey(v domain.KPIValue) string {
	return v.Slug + "/" + v.At.UTC().Format(time.RFC3339Nano) + "/" + fmt.Sprint(v.Value)
}

// dayKey is a value's key by its day in the workspace's time zone: a value
// given as a date is there already when one of that day has its value (a
// value of today is stored at the moment it was imported).
func (p *plan) dayKey(v domain.KPIValue) string {
	return v.Slug + "/" + v.At.In(p.loc).Format(time.DateOnly) + "/" + fmt.Sprint(v.Value)
}

func (p *plan) refuse(at csvio.Pos, col, value, example, format string, args ...any) {
	p.probs = append(p.probs, csvio.Problem{File: at.File, Row: at.Row, Column: col, Value: value, Reason: fmt.Sprintf(format, args...), Example: example})
}

// mark records a refused row under the keys others refer to it by.
func (p *plan) mark(at csvio.Pos, keys ...string) {
	for _, k := range keys {
		if _, ok := p.refused[k]; !ok && k != "" {
			p.refused[k] = at
		}
	}
}

// depends refuses the row at when one of keys names a refused row, and
// says which.
func (p *plan) depends(at csvio.Pos, col, value string, keys ...string) bool {
	for _, k := range keys {
		if pos, ok := p.refused[k]; ok && pos != at {
			p.refuse(at, col, value, "", "depends on %s row %d, refused: fix that row and this one comes with it", pos.File, pos.Row)
			return true
		}
	}
	return false
}

// person resolves a person field: an email to the id of the person with
// it (in people.csv or known to okrbot), an id as it is. A person whose
// row of people.csv was refused is not resolved.
func (p *plan) person(at csvio.Pos, col, v string) (string, bool) {
	if !strings.Contains(v, "@") {
		return v, !p.depends(at, col, v, csvio.UserKey(v))
	}
	if p.depends(at, col, v, csvio.EmailKey(v)) {
		return "", false
	}
	if id, ok := p.emails[v]; ok {
		return id, !p.depends(at, col, v, csvio.UserKey(id))
	}
	p.refuse(at, col, v, "U024BE7LH", "no person with this email in people.csv or in okrbot; add a row for them to people.csv (user,name,email) or give their platform id")
	return "", false
}

func (p *plan) run() {
	if p.ws.ID == "" {
		return
	}
	d := p.d
	for _, r := range d.People {
		u := r.User
		u.WorkspaceID = p.ws.ID
		if r.Email != "" {
			if other, ok := p.emails[r.Email]; ok && other != u.ID {
				p.refuse(r.Pos, "email", r.Email, "", "okrbot knows %s with this email already", other)
				p.mark(r.Pos, csvio.UserKey(u.ID), csvio.EmailKey(r.Email))
				continue
			}
		}
		if old, ok := p.users[u.ID]; ok {
			switch {
			case u.Email != "" && old.Email != "" && !strings.EqualFold(old.Email, u.Email):
				p.refuse(r.Pos, "email", u.Email, old.Email, "okrbot knows %s as %s", u.ID, old.Email)
				p.mark(r.Pos, csvio.UserKey(u.ID), csvio.EmailKey(r.Email))
				continue
			case u.Email != "" && old.Email == "":
				// Someone okrbot met in chat: the email is what it lacked
				// (their name stays as the platform gives it).
				p.batch.People = append(p.batch.People, domain.User{WorkspaceID: p.ws.ID, ID: u.ID, Email: u.Email})
			}
			if u.Email != "" {
				p.emails[u.Email] = u.ID
			}
			p.exists[r.File]++
			continue
		}
		if u.Email != "" {
			p.emails[u.Email] = u.ID
		}
		p.users[u.ID] = u
		p.batch.People = append(p.batch.People, u)
		p.create[r.File]++
	}
	for _, r := range d.KPIs {
		k := r.KPI
		k.WorkspaceID = p.ws.ID
		var ok bool
		if k.Owner, ok = p.person(r.Pos, "owner", k.Owner); !ok {
			p.mark(r.Pos, csvio.KPIKey(k.Slug))
			continue
		}
		if name, ok := p.kpis[k.Slug]; ok {
			if name != k.Name {
				p.refuse(r.Pos, "slug", k.Slug, "", "okrbot has the KPI %s already, as %q; this row is another KPI: give it a slug okrbot does not use", k.Slug, clip(name, 60))
				p.mark(r.Pos, csvio.KPIKey(k.Slug))
				continue
			}
			p.exists[r.File]++
			continue
		}
		if err := p.checkTarget(k.Source); err != nil { // a new KPI's source, as /kpi source checks it
			p.refuse(r.Pos, "source_url", k.Source.URL, "https://stats.example.com/leads.json", "%s", strings.TrimSuffix(domain.ErrorMessage(err), "."))
			p.mark(r.Pos, csvio.KPIKey(k.Slug))
			continue
		}
		if k.Source != nil {
			src := *k.Source
			src.SetBy, src.SetAt = k.Owner, p.now // first fetched at the next run of the kpi-sources job
			k.Source = &src
		}
		p.kpis[k.Slug] = k.Name
		p.batch.KPIs = append(p.batch.KPIs, k)
		p.create[r.File]++
	}
	for _, r := range d.KPIValues {
		v := r.KPIValue
		v.WorkspaceID = p.ws.ID
		if p.depends(r.Pos, "slug", v.Slug, csvio.KPIKey(v.Slug)) {
			continue
		}
		if _, ok := p.kpis[v.Slug]; !ok {
			p.refuse(r.Pos, "slug", v.Slug, "web-leads", "no KPI %s in kpis.csv or in okrbot", v.Slug)
			continue
		}
		if r.Day && v.At.After(p.now) {
			v.At = p.now // today, as /kpi set records it: not hours ahead
		}
		if p.values[valueKey(v)] || r.Day && p.dayValues[p.dayKey(v)] {
			p.exists[r.File]++
			continue
		}
		p.values[valueKey(v)] = true
		p.dayValues[p.dayKey(v)] = true
		p.batch.KPIValues = append(p.batch.KPIValues, v)
		p.create[r.File]++
	}
	objs := p.objectives()
	krs := p.keyResults()
	cis := p.checkInRows(krs)
	p.reconcile(krs, cis)
	p.settle(objs, krs)
	p.build(objs, krs)
	p.initiativeRows()
	p.writeCheckIns(cis)
	for _, r := range d.WeekNotes {
		n := r.WeekNote
		n.WorkspaceID = p.ws.ID
		var ok bool
		if n.UserID, ok = p.person(r.Pos, "user", n.UserID); !ok {
			continue
		}
		p.batch.WeekNotes = append(p.batch.WeekNotes, n)
		p.create[r.File]++ // a week note is one per person and week: a second import replaces it with itself
	}
}

// objectives checks each objective row against the store and returns
// those that are new. Whether their parents hold is settled once the key
// results are known (settle).
func (p *plan) objectives() []*csvio.ObjectiveRow {
	var out []*csvio.ObjectiveRow
	for i := range p.d.Objectives {
		r := &p.d.Objectives[i]
		o := r.Objective
		var ok bool
		if o.Owner, ok = p.person(r.Pos, "owner", o.Owner); !ok {
			p.mark(r.Pos, o.Ref)
			continue
		}
		if o.CreatedBy, ok = p.person(r.Pos, "created_by", o.CreatedBy); !ok {
			p.mark(r.Pos, o.Ref)
			continue
		}
		if old, ok := p.objs[o.Ref]; ok {
			if old.Title != o.Title || old.Cycle != o.Cycle {
				p.refuse(r.Pos, "ref", o.Ref, "", "okrbot has %s already, as %q in %s; this row is another objective: give it a ref okrbot does not use", o.Ref, clip(old.Title, 60), old.Cycle)
				p.mark(r.Pos, o.Ref)
				continue
			}
			p.exists[r.File]++
			continue
		}
		r.Objective = o
		p.newObjs[o.Ref] = true
		out = append(out, r)
	}
	return out
}

// krRow is a new key result row and the cycle of its objective.
type krRow struct {
	*csvio.KeyResultRow
	cycle domain.Cycle
	// created is when it, or else its objective, was created (zero: not known).
	created time.Time
	// latest is its latest check-in of the files, once they are read.
	latest *domain.CheckIn
}

// keyResults checks each key result row against the store and the
// objectives and KPIs, and returns those that are new.
func (p *plan) keyResults() []*krRow {
	var out []*krRow
	cycles := map[string]domain.Cycle{}
	created := map[string]time.Time{}
	for _, r := range p.d.Objectives {
		if p.newObjs[r.Ref] {
			cycles[r.Ref], created[r.Ref] = r.Cycle, r.CreatedAt
		}
	}
	for i := range p.d.KeyResults {
		r := &p.d.KeyResults[i]
		kr := r.KeyResult
		var ok bool
		if kr.Owner, ok = p.person(r.Pos, "owner", kr.Owner); !ok {
			p.mark(r.Pos, kr.Ref)
			continue
		}
		// The objective of the files, when its row was refused, is not the
		// one the store has under the same ref.
		if p.depends(r.Pos, "objective", r.Objective, r.Objective) {
			p.mark(r.Pos, kr.Ref)
			continue
		}
		if old, ok := p.krs[kr.Ref]; ok {
			o := p.objs[old]
			if old != r.Objective || o.KeyResult(kr.Ref).Title != kr.Title {
				p.refuse(r.Pos, "ref", kr.Ref, "", "okrbot has %s already, in %s as %q; this row is another key result: give it a ref okrbot does not use", kr.Ref, old, clip(o.KeyResult(kr.Ref).Title, 60))
				p.mark(r.Pos, kr.Ref)
				continue
			}
			p.exists[r.File]++
			continue
		}
		cycle, isNew := cycles[r.Objective]
		since := created[r.Objective]
		if !isNew {
			if p.objs[r.Objective].Ref == "" {
				p.refuse(r.Pos, "objective", r.Objective, "O-1", "no objective %s in objectives.csv or in okrbot", r.Objective)
				p.mark(r.Pos, kr.Ref)
				continue
			}
			cycle, since = p.objs[r.Objective].Cycle, p.objs[r.Objective].CreatedAt
		}
		if !kr.CreatedAt.IsZero() {
			since = kr.CreatedAt
		}
		if kr.KPI != "" {
			if p.depends(r.Pos, "kpi", kr.KPI, csvio.KPIKey(kr.KPI)) {
				p.mark(r.Pos, kr.Ref)
				continue
			}
			if _, ok := p.kpis[kr.KPI]; !ok {
				p.refuse(r.Pos, "kpi", kr.KPI, "web-leads", "no KPI %s in kpis.csv or in okrbot", kr.KPI)
				p.mark(r.Pos, kr.Ref)
				continue
			}
		}
		p.newKRs[kr.Ref] = r.Objective
		out = append(out, &krRow{KeyResultRow: r, cycle: cycle, created: since})
	}
	return out
}

// settle refuses, until nothing more changes, what depends on a refused
// row: an objective whose parent was refused, a key result whose objective
// was, and key results beyond the most an objective may have.
func (p *plan) settle(objs []*csvio.ObjectiveRow, krs []*krRow) {
	alive := func(ref string) bool { _, gone := p.refused[ref]; return !gone }
	for changed := true; changed; {
		changed = false
		for _, r := range objs {
			par := r.Parent
			if !alive(r.Ref) || par == "" {
				continue
			}
			switch {
			case p.depends(r.Pos, "parent", par, par):
			case p.newObjs[par] || p.newKRs[par] != "" || p.objs[par].Ref != "" || p.krs[par] != "":
				continue
			default:
				p.refuse(r.Pos, "parent", par, "O-1", "no objective or key result %s in the files or in okrbot", par)
			}
			p.mark(r.Pos, r.Ref)
			changed = true
		}
		count := map[string]int{}
		for _, r := range krs {
			if !alive(r.Ref) {
				continue
			}
			if p.depends(r.Pos, "objective", r.Objective, r.Objective) {
				p.mark(r.Pos, r.Ref)
				changed = true
				continue
			}
			if count[r.Objective]++; p.objKRs[r.Objective]+count[r.Objective] > domain.MaxKRs {
				p.refuse(r.Pos, "objective", r.Objective, "", "%s would have more than %d key results", r.Objective, domain.MaxKRs)
				p.mark(r.Pos, r.Ref)
				changed = true
			}
		}
	}
}

// build puts the objectives and key results that stand into the batch.
func (p *plan) build(objs []*csvio.ObjectiveRow, krs []*krRow) {
	idx := map[string]int{}
	for _, r := range objs {
		if _, gone := p.refused[r.Ref]; gone {
			delete(p.newObjs, r.Ref)
			continue
		}
		o := r.Objective
		o.WorkspaceID = p.ws.ID
		o.KeyResults = []domain.KeyResult{}
		idx[o.Ref] = len(p.batch.Objectives)
		p.batch.Objectives = append(p.batch.Objectives, o)
		p.create[r.File]++
	}
	for _, r := range krs {
		if _, gone := p.refused[r.Ref]; gone {
			delete(p.newKRs, r.Ref)
			continue
		}
		if i, ok := idx[r.Objective]; ok {
			o := &p.batch.Objectives[i]
			o.KeyResults = append(o.KeyResults, r.KeyResult)
		} else {
			p.batch.KeyResults[r.Objective] = append(p.batch.KeyResults[r.Objective], r.KeyResult)
		}
		p.create[r.File]++
	}
}

// initiativeRows puts initiatives into the new key results they belong
// to. An initiative okrbot has already (same ref, key result and title)
// is left alone; one for a key result okrbot has already is refused, since
// an import adds no initiative to a stored key result.
func (p *plan) initiativeRows() {
	newKR := map[string]*domain.KeyResult{}
	for i := range p.batch.Objectives {
		o := &p.batch.Objectives[i]
		for j := range o.KeyResults {
			newKR[o.KeyResults[j].Ref] = &o.KeyResults[j]
		}
	}
	for oref, krs := range p.batch.KeyResults {
		for j := range krs {
			newKR[krs[j].Ref] = &p.batch.KeyResults[oref][j]
		}
	}
	seen := map[string]bool{}
	for _, r := range p.d.Initiatives {
		in := r.Initiative
		if _, ok := newKR[r.KR]; !ok && p.depends(r.Pos, "kr", r.KR, r.KR) {
			continue
		}
		if in.CreatedBy != "" {
			var ok bool
			if in.CreatedBy, ok = p.person(r.Pos, "created_by", in.CreatedBy); !ok {
				continue
			}
		}
		if kr, ok := p.initiatives[in.Ref]; ok {
			o := p.objs[p.krs[kr]]
			if _, old := o.Initiative(in.Ref); kr == r.KR && old != nil && old.Title == in.Title {
				p.exists[r.File]++
				continue
			}
			p.refuse(r.Pos, "ref", in.Ref, "", "okrbot has %s already, on %s; this row is another initiative: give it a ref okrbot does not use", in.Ref, kr)
			continue
		}
		kr := newKR[r.KR]
		switch {
		case kr == nil && p.krs[r.KR] != "":
			p.refuse(r.Pos, "kr", r.KR, "/okr initiative add "+r.KR+" "+clip(in.Title, 40), "%s is in okrbot already; an import adds initiatives only to the key results it brings: add this one in chat", r.KR)
			continue
		case kr == nil:
			p.refuse(r.Pos, "kr", r.KR, "KR-1", "no key result %s in key_results.csv or in okrbot", r.KR)
			continue
		case seen[in.Ref]:
			continue // the decoder reported the repeat
		}
		seen[in.Ref] = true
		if in.CreatedBy == "" {
			in.CreatedBy = kr.Owner
		}
		kr.Initiatives = append(kr.Initiatives, in)
		p.create[r.File]++
	}
}

// ciRow is a check-in row that passed its own checks, as it would be stored.
type ciRow struct {
	*csvio.CheckInRow
	c domain.CheckIn
}

// checkInRows checks each check-in row on its own: its people, its key
// result (new, or the store's), its week against the key result's cycle,
// and, for a key result the store has, that it is not newer than what the
// key result shows (an import stores check-ins as history; it does not
// move a stored key result).
func (p *plan) checkInRows(krs []*krRow) []*ciRow {
	byRef := map[string]*krRow{}
	for _, r := range krs {
		byRef[r.Ref] = r
	}
	var out []*ciRow
	for i := range p.d.CheckIns {
		r := &p.d.CheckIns[i]
		c := r.CheckIn
		c.WorkspaceID = p.ws.ID
		var ok bool
		if c.UserID, ok = p.person(r.Pos, "user", c.UserID); !ok {
			continue
		}
		if c.By != "" {
			if c.By, ok = p.person(r.Pos, "by", c.By); !ok {
				continue
			}
		}
		if p.depends(r.Pos, "kr", c.KR, c.KR) {
			continue
		}
		var obj string
		var cycle domain.Cycle
		var since time.Time
		var stored *domain.KeyResult
		if nk := byRef[c.KR]; nk != nil {
			obj, cycle, since = nk.Objective, nk.cycle, nk.created
		} else if obj = p.krs[c.KR]; obj != "" {
			o := p.objs[obj]
			cycle, stored, since = o.Cycle, o.KeyResult(c.KR), o.CreatedAt
			if !stored.CreatedAt.IsZero() {
				since = stored.CreatedAt
			}
		} else {
			p.refuse(r.Pos, "kr", c.KR, "KR-1", "no key result %s in key_results.csv or in okrbot", c.KR)
			continue
		}
		if c.Objective != "" && c.Objective != obj {
			p.refuse(r.Pos, "objective", c.Objective, obj, "%s belongs to %s, not %s", c.KR, obj, c.Objective)
			continue
		}
		c.Objective = obj
		if c.At.IsZero() {
			c.At = c.Week.Start(time.UTC).AddDate(0, 0, 4).Add(15 * time.Hour) // the week's Friday afternoon
			if c.At.After(p.now) {
				c.At = p.now // this week's, answered by now
			}
		}
		// A week of the cycle, or before it once the key result existed
		// (objectives are often set up a week or two early).
		if start, end := cycle.Bounds(p.loc); !start.IsZero() {
			first := start
			if !since.IsZero() && since.Before(first) {
				first = since
			}
			if ws := c.Week.Start(p.loc); !ws.Before(end) || !ws.AddDate(0, 0, 7).After(first) {
				p.refuse(r.Pos, "week", string(c.Week), string(domain.WeekOf(start, p.loc)), "%s is outside the cycle of %s, %s (%s to %s); give a week of the cycle",
					c.Week, c.KR, cycle, start.Format("2 Jan"), end.AddDate(0, 0, -1).Format("2 Jan 2006"))
				continue
			}
		}
		key := c.UserID + "/" + c.KR + "/" + string(c.Week)
		if p.checkIns[key] {
			p.exists[r.File]++
			continue
		}
		if stored != nil && c.At.After(stored.UpdatedAt) {
			p.refuse(r.Pos, "kr", c.KR, importUpdate(*stored, c), "%s is in okrbot already, last updated %s, and this check-in is newer: an import adds only the history before it; record it in chat",
				c.KR, when(stored.UpdatedAt, p.loc))
			continue
		}
		p.checkIns[key] = true
		out = append(out, &ciRow{CheckInRow: r, c: c})
	}
	return out
}

// importUpdate is the chat command that records what a check-in says.
func importUpdate(kr domain.KeyResult, c domain.CheckIn) string {
	v := num(c.Value)
	if kr.Kind == domain.Milestone {
		v = map[bool]string{true: "done", false: "not done"}[c.Done]
	}
	return fmt.Sprintf("/okr update %s %s confidence %d", kr.Ref, v, c.Confidence)
}

func when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format("2 Jan 2006 15:04")
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// reconcile makes each new key result agree with its latest check-in in
// the files (by week, then time), as a check-in moves a key result in chat
// (domain.KeyResult.Apply): its current value (unless it follows a KPI or
// is a milestone),
// measured, done and confidence. An empty column takes the check-in's; a
// row older than the check-in (updated_at before it) is moved to it; a
// row newer than it (an edit, a skipped week's confidence) stands as it
// is; any other row that disagrees is refused, with what it would need to
// say. A key result that follows a KPI and gives no current value reads
// the KPI's latest.
func (p *plan) reconcile(krs []*krRow, cis []*ciRow) {
	latest := map[string]domain.CheckIn{}
	for _, r := range cis {
		c := r.c
		if p.newKRs[c.KR] == "" {
			continue
		}
		if l, ok := latest[c.KR]; !ok || c.Week > l.Week || c.Week == l.Week && c.At.After(l.At) {
			latest[c.KR] = c
		}
	}
	kpiLatest := p.kpiLatest()
	for _, r := range krs {
		kr, g := &r.KeyResult, r.Given
		if v, ok := kpiLatest[kr.KPI]; ok && kr.KPI != "" && !g.Current {
			kr.Current, kr.Measured = v.Value, true
		}
		l, ok := latest[kr.Ref]
		if !ok {
			continue
		}
		newer := !kr.UpdatedAt.IsZero() && kr.UpdatedAt.After(l.At)
		replay := !kr.UpdatedAt.IsZero() && kr.UpdatedAt.Before(l.At)
		// Its value comes from check-ins: not from a KPI, and not a
		// milestone's (whose progress is done or not).
		own := kr.KPI == "" && kr.Kind != domain.Milestone
		fields := []struct {
			col         string
			given, same bool
			set         func()
			has, want   string
		}{
			{"current", g.Current, !own || kr.Current == l.Value, func() {
				if own {
					kr.Current = l.Value
				}
			}, num(kr.Current), num(l.Value)},
			{"measured", g.Measured, !own || kr.Measured, func() { kr.Measured = kr.Measured || own }, boolWord(kr.Measured), "true"},
			{"done", g.Done, kr.Done == l.Done, func() { kr.Done = l.Done }, boolWord(kr.Done), boolWord(l.Done)},
			{"confidence", g.Confidence, kr.Confidence == l.Confidence, func() { kr.Confidence = l.Confidence }, strconv.Itoa(kr.Confidence), strconv.Itoa(l.Confidence)},
		}
		before := *kr
		refused := false
		for _, f := range fields {
			switch {
			case !f.given || replay:
				f.set()
			case newer || f.same:
			default:
				p.refuse(r.Pos, f.col, f.has, f.want, "%s's latest check-in (%s, %s) says %s, confidence %d/10, done %s: give the same, or leave current, measured, done and confidence empty to take it",
					kr.Ref, l.Week, l.At.In(p.loc).Format("2 Jan 2006"), num(l.Value), l.Confidence, boolWord(l.Done))
				p.mark(r.Pos, kr.Ref)
				refused = true
			}
			if refused {
				break
			}
		}
		// Moved to the check-in: updated then (a row that agrees keeps its own time).
		if moved := kr.Current != before.Current || kr.Measured != before.Measured || kr.Done != before.Done || kr.Confidence != before.Confidence; !refused && (moved || kr.UpdatedAt.IsZero()) {
			kr.UpdatedAt = l.At
		}
	}
}

// kpiLatest returns each KPI's latest value, of the store or the files.
func (p *plan) kpiLatest() map[string]domain.KPIValue {
	out := map[string]domain.KPIValue{}
	for slug, v := range p.storeLatest {
		out[slug] = v
	}
	for _, v := range p.batch.KPIValues {
		if l, ok := out[v.Slug]; !ok || v.At.After(l.At) {
			out[v.Slug] = v
		}
	}
	return out
}

func boolWord(b bool) string { return strconv.FormatBool(b) }

// writeCheckIns puts into the batch the check-ins whose key results stand.
func (p *plan) writeCheckIns(cis []*ciRow) {
	for _, r := range cis {
		if p.depends(r.Pos, "kr", r.c.KR, r.c.KR) {
			continue
		}
		p.batch.CheckIns = append(p.batch.CheckIns, r.c)
		p.create[r.File]++
	}
}
