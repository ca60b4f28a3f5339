package conversations

import (
	"context"
	"fmt"
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
	d, probs := csvio.Decode(in, csvio.DecodeOptions{Progress: opt.Progress})
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
	users    map[string]domain.User // id
	emails   map[string]string      // email -> id
	kpis     map[string]bool
	values   map[string]bool // slug/at/value
	objs     map[string]domain.Objective
	krs      map[string]string // kr ref -> objective ref
	checkIns map[string]bool   // user/kr/week
	newKRs   map[string]string // kr ref -> objective ref, accepted from the files
	newObjs  map[string]bool
	objKRs   map[string]int // objective ref -> key results after the import
	// initiatives are the store's initiative refs, by the key result holding them.
	initiatives map[string]string
	now         time.Time
}

func (s *Service) newPlan(ctx context.Context, target string, d *csvio.Decoded) (*plan, error) {
	p := &plan{d: d, create: map[string]int{}, exists: map[string]int{}, users: map[string]domain.User{}, emails: map[string]string{},
		kpis: map[string]bool{}, values: map[string]bool{}, objs: map[string]domain.Objective{}, krs: map[string]string{},
		checkIns: map[string]bool{}, newKRs: map[string]string{}, newObjs: map[string]bool{}, objKRs: map[string]int{},
		initiatives: map[string]string{}, now: s.opt.Now()}
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
		w := ws
		p.batch.Workspace = &w
		p.create[csvio.FileWorkspace] = 1
		return p, nil
	case err != nil:
		return nil, err
	}
	p.ws = ws
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
		p.kpis[k.Slug] = true
	}
	if len(d.KPIValues) > 0 {
		for _, k := range ks {
			vals, err := s.store.KPIValues(ctx, ws.ID, k.Slug, maxKPIValues)
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				p.values[valueKey(v)] = true
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

func (p *plan) refuse(at csvio.Pos, col, value, example, format string, args ...any) {
	p.probs = append(p.probs, csvio.Problem{File: at.File, Row: at.Row, Column: col, Value: value, Reason: fmt.Sprintf(format, args...), Example: example})
}

// person resolves a person field: an email to the id of the person with
// it (in people.csv or known to okrbot), an id as it is.
func (p *plan) person(at csvio.Pos, col, v string) (string, bool) {
	if !strings.Contains(v, "@") {
		return v, true
	}
	if id, ok := p.emails[v]; ok {
		return id, true
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
				continue
			}
			p.emails[r.Email] = u.ID
		}
		if old, ok := p.users[u.ID]; ok {
			switch {
			case u.Email != "" && old.Email != "" && !strings.EqualFold(old.Email, u.Email):
				p.refuse(r.Pos, "email", u.Email, old.Email, "okrbot knows %s as %s", u.ID, old.Email)
				continue
			case u.Email != "" && old.Email == "":
				// Someone okrbot met in chat: the email is what it lacked
				// (their name stays as the platform gives it).
				p.batch.People = append(p.batch.People, domain.User{WorkspaceID: p.ws.ID, ID: u.ID, Email: u.Email})
			}
			p.exists[r.File]++
			continue
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
			continue
		}
		if p.kpis[k.Slug] {
			p.exists[r.File]++
			continue
		}
		if k.Source != nil {
			src := *k.Source
			src.SetBy, src.SetAt = k.Owner, p.now // first fetched at the next run of the kpi-sources job
			k.Source = &src
		}
		p.kpis[k.Slug] = true
		p.batch.KPIs = append(p.batch.KPIs, k)
		p.create[r.File]++
	}
	for _, r := range d.KPIValues {
		v := r.KPIValue
		v.WorkspaceID = p.ws.ID
		if !p.kpis[v.Slug] {
			p.refuse(r.Pos, "slug", v.Slug, "web-leads", "no KPI %s in kpis.csv or in okrbot", v.Slug)
			continue
		}
		if p.values[valueKey(v)] {
			p.exists[r.File]++
			continue
		}
		p.values[valueKey(v)] = true
		p.batch.KPIValues = append(p.batch.KPIValues, v)
		p.create[r.File]++
	}
	p.objectives()
	p.keyResults()
	p.initiativeRows()
	p.checkInRows()
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

func (p *plan) objectives() {
	var accepted []csvio.ObjectiveRow
	for _, r := range p.d.Objectives {
		o := r.Objective
		var ok bool
		if o.Owner, ok = p.person(r.Pos, "owner", o.Owner); !ok {
			continue
		}
		if o.CreatedBy, ok = p.person(r.Pos, "created_by", o.CreatedBy); !ok {
			continue
		}
		if old, ok := p.objs[o.Ref]; ok {
			if old.Title != o.Title || old.Cycle != o.Cycle {
				p.refuse(r.Pos, "ref", o.Ref, "", "okrbot has %s already, as %q in %s; this row is another objective: give it a ref okrbot does not use", o.Ref, clip(old.Title, 60), old.Cycle)
				continue
			}
			p.exists[r.File]++
			continue
		}
		r.Objective = o
		p.newObjs[o.Ref] = true
		accepted = append(accepted, r)
	}
	// Parents may be objectives or key results of the files or the store.
	for _, r := range accepted {
		if par := r.Parent; par != "" && !p.newObjs[par] && p.objs[par].Ref == "" && p.krs[par] == "" && !p.krInFiles(par) {
			p.refuse(r.Pos, "parent", par, "O-1", "no objective or key result %s in the files or in okrbot", par)
			delete(p.newObjs, r.Ref)
			continue
		}
		o := r.Objective
		o.WorkspaceID = p.ws.ID
		o.KeyResults = []domain.KeyResult{}
		p.batch.Objectives = append(p.batch.Objectives, o)
		p.create[r.File]++
	}
}

func (p *plan) krInFiles(ref string) bool {
	for _, r := range p.d.KeyResults {
		if r.Ref == ref {
			return true
		}
	}
	return false
}

func (p *plan) keyResults() {
	idx := map[string]int{}
	for i, o := range p.batch.Objectives {
		idx[o.Ref] = i
	}
	for _, r := range p.d.KeyResults {
		kr := r.KeyResult
		var ok bool
		if kr.Owner, ok = p.person(r.Pos, "owner", kr.Owner); !ok {
			continue
		}
		if old, ok := p.krs[kr.Ref]; ok {
			o := p.objs[old]
			if old != r.Objective || o.KeyResult(kr.Ref).Title != kr.Title {
				p.refuse(r.Pos, "ref", kr.Ref, "", "okrbot has %s already, in %s as %q; this row is another key result: give it a ref okrbot does not use", kr.Ref, old, clip(o.KeyResult(kr.Ref).Title, 60))
				continue
			}
			p.exists[r.File]++
			continue
		}
		_, isNew := idx[r.Objective]
		if !isNew && p.objs[r.Objective].Ref == "" {
			p.refuse(r.Pos, "objective", r.Objective, "O-1", "no objective %s in objectives.csv (or it was refused) or in okrbot", r.Objective)
			continue
		}
		if kr.KPI != "" && !p.kpis[kr.KPI] {
			p.refuse(r.Pos, "kpi", kr.KPI, "web-leads", "no KPI %s in kpis.csv or in okrbot", kr.KPI)
			continue
		}
		if p.objKRs[r.Objective] >= domain.MaxKRs {
			p.refuse(r.Pos, "objective", r.Objective, "", "%s would have more than %d key results", r.Objective, domain.MaxKRs)
			continue
		}
		p.objKRs[r.Objective]++
		p.newKRs[kr.Ref] = r.Objective
		if isNew {
			o := &p.batch.Objectives[idx[r.Objective]]
			o.KeyResults = append(o.KeyResults, kr)
		} else {
			p.batch.KeyResults[r.Objective] = append(p.batch.KeyResults[r.Objective], kr)
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
			p.refuse(r.Pos, "kr", r.KR, "KR-1", "no key result %s in key_results.csv (or it was refused) or in okrbot", r.KR)
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

func (p *plan) checkInRows() {
	for _, r := range p.d.CheckIns {
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
		obj := p.krs[c.KR]
		if obj == "" {
			obj = p.newKRs[c.KR]
		}
		switch {
		case obj == "":
			p.refuse(r.Pos, "kr", c.KR, "KR-1", "no key result %s in key_results.csv (or it was refused) or in okrbot", c.KR)
			continue
		case c.Objective != "" && c.Objective != obj:
			p.refuse(r.Pos, "objective", c.Objective, obj, "%s belongs to %s, not %s", c.KR, obj, c.Objective)
			continue
		}
		c.Objective = obj
		if c.At.IsZero() {
			c.At = c.Week.Start(time.UTC).AddDate(0, 0, 4).Add(15 * time.Hour) // the week's Friday afternoon
		}
		key := c.UserID + "/" + c.KR + "/" + string(c.Week)
		if p.checkIns[key] {
			p.exists[r.File]++
			continue
		}
		p.checkIns[key] = true
		p.batch.CheckIns = append(p.batch.CheckIns, c)
		p.create[r.File]++
	}
}
