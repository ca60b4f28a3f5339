package conversations

import (
	"context"
	"fmt"
	"strings"

	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
)

// /okr export in chat: the same files as okrbot export, zipped, sent to the
// person who asked.

const exExport = "/okr export --cycle {cycle}"

// fileRefExport starts the Ref of an export ("export:" or "export:2026-Q4").
const fileRefExport = "export:"

func (ss *session) exportCommand(args string) Reply {
	p, err := parseArgs(args, flagSpec{"cycle": true}, ss.example(exExport))
	if err != nil {
		return ss.fail(err, "")
	}
	if len(p.words) > 0 {
		return ss.fail(domain.Invalid(ss.example(exExport), "/okr export takes only --cycle (or nothing, for everything)."), "")
	}
	cycle := p.flags["cycle"]
	if cycle != "" {
		c, err := domain.ParseCycle(cycle)
		if err != nil {
			return ss.fail(err, ss.example(exExport))
		}
		cycle = string(c)
	}
	f, exp, err := ss.exportFile(cycle)
	if err != nil {
		return ss.fail(err, "")
	}
	what := "everything okrbot keeps of this workspace"
	if cycle != "" {
		what = "the objectives of " + cycle + ", their check-ins and week notes, and the KPIs with their values in it"
	}
	return Reply{File: f, Message: &Message{
		Summary: "Export: " + f.Name,
		Title:   "Export of " + what,
		Sections: []Section{{
			Lines: []Text{T(exp.Summary() + ".")},
			Note: T(fmt.Sprintf("%s: %d CSV files, one per table. ", f.Name, len(exp.Files))).
				Add("okrbot reads them back with ").AddCode("okrbot import DIR").Add(" (unzipped); a spreadsheet opens them as they are."),
		}},
	}}
}

// exportFile makes the zip of an export, for an admin.
func (ss *session) exportFile(cycle string) (*File, Export, error) {
	if !ss.isAdmin() {
		return nil, Export{}, domain.Errorf(domain.EFORBIDDEN, "Only a workspace admin can export the workspace's data: it holds everyone's check-ins.")
	}
	exp, err := ss.Export(ss.ctx, ss.ws.ID, cycle)
	if err != nil {
		return nil, Export{}, err
	}
	data, err := csvio.Zip(exp.Files)
	if err != nil {
		return nil, Export{}, err
	}
	name := "okrbot-export-" + strings.NewReplacer(":", "-", "/", "-").Replace(ss.ws.ID)
	title := "okrbot export"
	if cycle != "" {
		name += "-" + cycle
		title += " of " + cycle
	}
	return &File{Name: name + ".zip", Title: title, Data: data, Ref: fileRefExport + cycle}, exp, nil
}

// File makes again the file of a reply from its Ref, for the same person
// (checked again: they may have lost the right since).
func (s *Service) File(ctx context.Context, a Actor, ref string) (*File, error) {
	cycle, ok := strings.CutPrefix(ref, fileRefExport)
	if !ok {
		return nil, domain.Invalid("", "okrbot does not know that file.")
	}
	if cycle != "" {
		if _, err := domain.ParseCycle(cycle); err != nil {
			return nil, err
		}
	}
	ss, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	f, _, err := ss.exportFile(cycle)
	return f, err
}
