package conversations

import (
	"context"
	"fmt"

	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
)

// maxKPIValues bounds the values of one KPI in an export: ten years of
// hourly values.
const maxKPIValues = 100_000

// Export is what an export holds, as files and as counts.
type Export struct {
	Files []csvio.File
	Data  *csvio.Data
}

// Summary counts what the export holds, for people.
func (e Export) Summary() string {
	d := e.Data
	krs, ins := 0, 0
	for _, o := range d.Objectives {
		krs += len(o.KeyResults)
		for _, kr := range o.KeyResults {
			ins += len(kr.Initiatives)
		}
	}
	return fmt.Sprintf("%d objectives, %d key results, %d initiatives, %d check-ins, %d week notes, %d KPIs with %d values, %d people",
		len(d.Objectives), krs, ins, len(d.CheckIns), len(d.WeekNotes), len(d.KPIs), len(d.KPIValues), len(d.People))
}

// Export writes a workspace's data as CSV files (package csvio): all of it,
// or with cycle one cycle's objectives, their key results, initiatives and
// check-ins, the week notes of its weeks, and the KPI values measured
// during it (every KPI is written, archived ones included: KPIs have no
// cycle). Edit histories are not exported.
func (s *Service) Export(ctx context.Context, workspace, cycle string) (Export, error) {
	const op = "conversations.Export"
	ws, err := s.store.Workspace(ctx, workspace)
	if err != nil {
		return Export{}, fmt.Errorf("%s: %w", op, err)
	}
	f := domain.ObjectiveFilter{}
	if cycle != "" {
		if f.Cycle, err = domain.ParseCycle(cycle); err != nil {
			return Export{}, err
		}
	}
	os, err := s.store.Objectives(ctx, ws.ID, f)
	if err != nil {
		return Export{}, fmt.Errorf("%s: %w", op, err)
	}
	d := &csvio.Data{Workspace: &ws, Objectives: os}
	cf := domain.CheckInFilter{}
	if cycle != "" {
		for _, o := range os {
			for _, kr := range o.KeyResults {
				cf.KRs = append(cf.KRs, kr.Ref)
			}
		}
	}
	if cycle == "" || len(cf.KRs) > 0 {
		if d.CheckIns, err = s.store.CheckIns(ctx, ws.ID, cf); err != nil {
			return Export{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	if d.KPIs, err = s.store.AllKPIs(ctx, ws.ID); err != nil {
		return Export{}, fmt.Errorf("%s: %w", op, err)
	}
	loc := loadLocation(ws.Settings.TimeZone)
	start, end := f.Cycle.Bounds(loc)
	for _, k := range d.KPIs {
		vals, err := s.store.KPIValues(ctx, ws.ID, k.Slug, maxKPIValues)
		if err != nil {
			return Export{}, fmt.Errorf("%s: %w", op, err)
		}
		for _, v := range vals {
			if cycle == "" || !v.At.Before(start) && v.At.Before(end) {
				d.KPIValues = append(d.KPIValues, v)
			}
		}
	}
	notes, err := s.store.AllWeekNotes(ctx, ws.ID)
	if err != nil {
		return Export{}, fmt.Errorf("%s: %w", op, err)
	}
	for _, n := range notes {
		if wstart := n.Week.Start(loc); cycle == "" || !wstart.Before(start) && wstart.Before(end) {
			d.WeekNotes = append(d.WeekNotes, n)
		}
	}
	if d.People, err = s.store.Users(ctx, ws.ID); err != nil {
		return Export{}, fmt.Errorf("%s: %w", op, err)
	}
	if cycle != "" {
		d.People = referenced(d)
	}
	files, err := csvio.Encode(d)
	if err != nil {
		return Export{}, fmt.Errorf("%s: %w", op, err)
	}
	return Export{Files: files, Data: d}, nil
}

// referenced keeps the people an export of one cycle mentions.
func referenced(d *csvio.Data) []domain.User {
	seen := map[string]bool{}
	for _, o := range d.Objectives {
		seen[o.Owner], seen[o.CreatedBy] = true, true
		for _, kr := range o.KeyResults {
			seen[kr.Owner] = true
			for _, in := range kr.Initiatives {
				seen[in.CreatedBy] = true
			}
		}
	}
	for _, c := range d.CheckIns {
		seen[c.UserID], seen[c.By] = true, true
	}
	for _, n := range d.WeekNotes {
		seen[n.UserID] = true
	}
	for _, k := range d.KPIs {
		seen[k.Owner] = true
	}
	for _, v := range d.KPIValues {
		seen[v.By] = true
	}
	out := d.People[:0:0]
	for _, u := range d.People {
		if seen[u.ID] {
			out = append(out, u)
		}
	}
	return out
}
