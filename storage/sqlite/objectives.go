package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

const objectiveCols = `o.workspace, o.ref, o.title, o.owner, o.team, o.cycle, o.commitment, o.parent, o.status,
	o.grade, o.grade_note, o.created_by, o.created_at, o.updated_at, o.version`

const krCols = `ref, title, kind, start, target, current, measured, done, unit, weight, owner, kpi, confidence, updated_at, created_at`

// objectivesQuery is the query of Objectives for f, with its arguments: the
// objectives matching f joined with their key results, in order. Every
// filter is an index lookup (TestHotQueriesUseIndexes holds it to that).
func objectivesQuery(workspace string, f domain.ObjectiveFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT ` + objectiveCols + `, k.` + strings.ReplaceAll(krCols, ", ", ", k.") + `, ` + initiativesCol + `
		FROM objectives o LEFT JOIN key_results k ON k.workspace = o.workspace AND k.objective = o.ref
		WHERE o.workspace = ?`)
	args := []any{workspace}
	and := func(cond string, a ...any) {
		b.WriteString(" AND " + cond)
		args = append(args, a...)
	}
	if f.Cycle != "" {
		// With a narrower filter the cycle is checked, not searched: a
		// person's objectives are fewer than a cycle's.
		if f.Person != "" || f.KROwner != "" || f.KPI != "" || len(f.Refs) > 0 || f.Team != "" {
			and(`+o.cycle = ?`, string(f.Cycle))
		} else {
			and(`o.cycle = ?`, string(f.Cycle))
		}
	}
	if f.Person != "" {
		and(`o.ref IN (SELECT ref FROM objectives WHERE workspace = ? AND owner = ?
			UNION SELECT objective FROM key_results WHERE workspace = ? AND owner = ?)`, workspace, f.Person, workspace, f.Person)
	}
	if f.KROwner != "" {
		and(`o.ref IN (SELECT objective FROM key_results WHERE workspace = ? AND owner = ?)`, workspace, f.KROwner)
	}
	if f.Team != "" {
		and(`o.team = ?`, f.Team)
	}
	if f.KPI != "" {
		and(`o.ref IN (SELECT objective FROM key_results WHERE workspace = ? AND kpi = ? AND kpi <> '')`, workspace, f.KPI)
	}
	if len(f.Statuses) > 0 {
		and(`o.status IN (SELECT value FROM json_each(?))`, list(f.Statuses))
	}
	if len(f.Refs) > 0 {
		and(`o.ref IN (SELECT value FROM json_each(?))`, list(f.Refs))
	}
	b.WriteString(` ORDER BY o.created_at, o.seq, o.ref, k.position`)
	return b.String(), args
}

// initiativesCol is a key result's initiatives, in order, as a JSON array
// of objects (initiativeJSON): read in the same statement as their
// objectives, so that a list is one query, and one statement is a
// consistent read without a transaction.
const initiativesCol = `(SELECT json_group_array(json_object('ref', i.ref, 'title', i.title, 'done', i.done,
		'by', i.created_by, 'at', i.created_at, 'done_at', i.done_at) ORDER BY i.position)
	FROM initiatives i WHERE i.workspace = k.workspace AND i.kr = k.ref)`

// initiativeJSON is an initiative as initiativesCol writes it.
type initiativeJSON struct {
	Ref    string `json:"ref"`
	Title  string `json:"title"`
	Done   int    `json:"done"`
	By     string `json:"by"`
	At     *int64 `json:"at"`
	DoneAt *int64 `json:"done_at"`
}

// decodeInitiatives reads initiativesCol.
func decodeInitiatives(s string) ([]domain.Initiative, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var ins []initiativeJSON
	if err := json.Unmarshal([]byte(s), &ins); err != nil {
		return nil, fmt.Errorf("initiatives: %w", err)
	}
	at := func(p *int64) time.Time {
		if p == nil {
			return time.Time{}
		}
		return time.Unix(0, *p).UTC()
	}
	out := make([]domain.Initiative, len(ins))
	for i, in := range ins {
		out[i] = domain.Initiative{Ref: in.Ref, Title: in.Title, Done: in.Done != 0, CreatedBy: in.By, CreatedAt: at(in.At), DoneAt: at(in.DoneAt)}
	}
	return out, nil
}

// scanObjectives reads the rows of objectivesQuery, one objective with its
// key results from consecutive rows.
func scanObjectives(rows *sql.Rows, err error) ([]domain.Objective, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Objective{}
	for rows.Next() {
		var o domain.Objective
		var grade sql.NullFloat64
		var created, updated sql.NullInt64
		var kr struct {
			ref, title, kind, unit, owner, kpi sql.NullString
			start, target, current, weight     sql.NullFloat64
			measured, done                     sql.NullBool
			confidence, updated, created       sql.NullInt64
			initiatives                        sql.NullString
		}
		err := rows.Scan(&o.WorkspaceID, &o.Ref, &o.Title, &o.Owner, &o.Team, &o.Cycle, &o.Commitment, &o.Parent, &o.Status,
			&grade, &o.GradeNote, &o.CreatedBy, &created, &updated, &o.Version,
			&kr.ref, &kr.title, &kr.kind, &kr.start, &kr.target, &kr.current, &kr.measured, &kr.done, &kr.unit, &kr.weight,
			&kr.owner, &kr.kpi, &kr.confidence, &kr.updated, &kr.created, &kr.initiatives)
		if err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].Ref != o.Ref {
			if grade.Valid {
				o.Grade = &grade.Float64
			}
			o.CreatedAt, o.UpdatedAt = fromTS(created), fromTS(updated)
			o.KeyResults = []domain.KeyResult{}
			out = append(out, o)
		}
		if kr.ref.Valid {
			ins, err := decodeInitiatives(kr.initiatives.String)
			if err != nil {
				return nil, err
			}
			last := &out[len(out)-1]
			last.KeyResults = append(last.KeyResults, domain.KeyResult{
				Ref: kr.ref.String, Title: kr.title.String, Kind: domain.Kind(kr.kind.String),
				Start: kr.start.Float64, Target: kr.target.Float64, Current: kr.current.Float64,
				Measured: kr.measured.Bool, Done: kr.done.Bool, Unit: kr.unit.String, Weight: kr.weight.Float64,
				Owner: kr.owner.String, KPI: kr.kpi.String, Confidence: int(kr.confidence.Int64), UpdatedAt: fromTS(kr.updated),
				CreatedAt: fromTS(kr.created), Initiatives: ins,
			})
		}
	}
	return out, rows.Err()
}

// queryObjectives reads the objectives matching f with their key results
// and the key results' initiatives, in one statement.
func queryObjectives(ctx context.Context, q querier, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error) {
	query, args := objectivesQuery(workspace, f)
	rows, err := q.QueryContext(ctx, query, args...)
	return scanObjectives(rows, err)
}

func objectiveIn(ctx context.Context, q querier, workspace, ref string) (domain.Objective, error) {
	os, err := queryObjectives(ctx, q, workspace, domain.ObjectiveFilter{Refs: []string{ref}})
	if err != nil {
		return domain.Objective{}, err
	}
	if len(os) == 0 {
		return domain.Objective{}, domain.NotFound("There is no objective %s.", ref)
	}
	o := os[0]
	o.History, err = objectiveHistory.load(ctx, q, workspace, ref)
	return o, err
}

// Objective returns the objective with ref.
func (s *Store) Objective(ctx context.Context, workspace, ref string) (domain.Objective, error) {
	var o domain.Objective
	err := s.snapshot(ctx, "sqlite.Objective", func(tx *sql.Tx) (err error) {
		o, err = objectiveIn(ctx, tx, workspace, ref)
		return err
	})
	if err != nil {
		return o, fmt.Errorf("%s: %w", ref, err)
	}
	return o, nil
}

// ObjectiveOfKR returns the objective that holds the key result krRef.
func (s *Store) ObjectiveOfKR(ctx context.Context, workspace, krRef string) (domain.Objective, error) {
	var o domain.Objective
	err := s.snapshot(ctx, "sqlite.ObjectiveOfKR", func(tx *sql.Tx) error {
		oref, err := objectiveOfKR(ctx, tx, workspace, krRef)
		if err != nil {
			return err
		}
		o, err = objectiveIn(ctx, tx, workspace, oref)
		return err
	})
	if err != nil {
		return o, fmt.Errorf("%s: %w", krRef, err)
	}
	return o, nil
}

// ObjectiveOfInitiative returns the objective holding the initiative ref.
func (s *Store) ObjectiveOfInitiative(ctx context.Context, workspace, ref string) (domain.Objective, error) {
	var o domain.Objective
	err := s.snapshot(ctx, "sqlite.ObjectiveOfInitiative", func(tx *sql.Tx) error {
		var oref string
		err := tx.QueryRowContext(ctx, `SELECT k.objective FROM initiatives i JOIN key_results k ON k.workspace = i.workspace AND k.ref = i.kr
			WHERE i.workspace = ? AND i.ref = ?`, workspace, ref).Scan(&oref)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("There is no initiative %s.", ref)
		}
		if err != nil {
			return err
		}
		o, err = objectiveIn(ctx, tx, workspace, oref)
		return err
	})
	if err != nil {
		return o, fmt.Errorf("%s: %w", ref, err)
	}
	return o, nil
}

func objectiveOfKR(ctx context.Context, q querier, workspace, krRef string) (string, error) {
	var oref string
	err := q.QueryRowContext(ctx, `SELECT objective FROM key_results WHERE workspace = ? AND ref = ?`, workspace, krRef).Scan(&oref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", domain.NotFound("There is no key result %s.", krRef)
	}
	return oref, err
}

// Objectives returns the objectives matching f, oldest first, without
// their history (which only a single objective's read carries). It is one
// statement, so it needs no transaction to read one state of the file.
func (s *Store) Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error) {
	ctx = lookup(ctx)
	var out []domain.Objective
	err := s.read(ctx, "sqlite.Objectives", func(c *sql.Conn) (err error) {
		out, err = queryObjectives(ctx, c, workspace, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	return out, nil
}

// nextRef hands out the workspace's next number for prefix, inside tx: if
// tx rolls back, the number was never handed out.
func nextRef(ctx context.Context, tx *sql.Tx, workspace, prefix string) (string, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO ref_counters (workspace, prefix, seq) VALUES (?, ?, 1)
		ON CONFLICT (workspace, prefix) DO UPDATE SET seq = seq + 1 RETURNING seq`, workspace, prefix).Scan(&n)
	return storage.Ref(prefix, n), err
}

// raiseRef keeps the counter of prefix at or above a ref given from outside
// (an import, a test), so that no later ref repeats it.
func raiseRef(ctx context.Context, tx *sql.Tx, workspace, prefix, ref string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ref_counters (workspace, prefix, seq) VALUES (?, ?, ?)
		ON CONFLICT (workspace, prefix) DO UPDATE SET seq = max(seq, excluded.seq)`, workspace, prefix, storage.RefNumber(ref))
	return err
}

// CreateObjective stores a new objective with its key results, handing out
// the refs they lack in the same transaction.
func (s *Store) CreateObjective(ctx context.Context, o *domain.Objective) error {
	const op = "sqlite.CreateObjective"
	next := o.Clone()
	if next.KeyResults == nil {
		next.KeyResults = []domain.KeyResult{}
	}
	if next.CreatedAt.IsZero() {
		next.CreatedAt = s.now()
	}
	next.UpdatedAt, next.Version = next.CreatedAt, 1
	err := s.tx(ctx, op, func(tx *sql.Tx) error { return insertObjective(ctx, tx, &next) })
	if err != nil {
		return fmt.Errorf("%s: %w", next.Ref, err)
	}
	*o = next
	return nil
}

// insertObjective stores a new objective with its key results and
// initiatives, handing out the refs they lack and raising the counters
// above those they have.
func insertObjective(ctx context.Context, tx *sql.Tx, o *domain.Objective) error {
	var err error
	if o.Ref == "" {
		o.Ref, err = nextRef(ctx, tx, o.WorkspaceID, "O")
	} else {
		err = raiseRef(ctx, tx, o.WorkspaceID, "O", o.Ref)
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO objectives (workspace, ref, seq, title, owner, team, cycle, commitment, parent, status,
		grade, grade_note, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		objectiveArgs(*o)...)
	if isConstraint(err) {
		return domain.Errorf(domain.ECONFLICT, "%s exists already.", o.Ref)
	}
	if err != nil {
		return err
	}
	if err := objectiveHistory.save(ctx, tx, o.WorkspaceID, o.Ref, nil, o.History); err != nil {
		return err
	}
	return saveKeyResults(ctx, tx, o, nil)
}

func objectiveArgs(o domain.Objective) []any {
	var grade any
	if o.Grade != nil {
		grade = *o.Grade
	}
	return []any{o.WorkspaceID, o.Ref, storage.RefNumber(o.Ref), o.Title, o.Owner, o.Team, string(o.Cycle), string(o.Commitment), o.Parent, string(o.Status),
		grade, o.GradeNote, o.CreatedBy, ts(o.CreatedAt), ts(o.UpdatedAt), o.Version}
}

// saveKeyResults writes o's key results, in order, handing out refs to
// those without one. old are the refs the objective had before: others
// are new, and a new ref that exists anywhere in the workspace is a
// conflict. Key results of old that o no longer has are deleted, with their
// check-ins (the foreign key cascades).
func saveKeyResults(ctx context.Context, tx *sql.Tx, o *domain.Objective, old []string) error {
	var keep []string
	for i := range o.KeyResults {
		kr := &o.KeyResults[i]
		isNew := kr.Ref == "" || !slices.Contains(old, kr.Ref)
		var err error
		switch {
		case kr.Ref == "":
			kr.Ref, err = nextRef(ctx, tx, o.WorkspaceID, "KR")
		case isNew:
			err = raiseRef(ctx, tx, o.WorkspaceID, "KR", kr.Ref)
		}
		if err != nil {
			return err
		}
		keep = append(keep, kr.Ref)
		args := []any{o.WorkspaceID, o.Ref, i, kr.Ref, kr.Title, string(kr.Kind), kr.Start, kr.Target, kr.Current, b2i(kr.Measured), b2i(kr.Done),
			kr.Unit, kr.Weight, kr.Owner, kr.KPI, kr.Confidence, ts(kr.UpdatedAt), ts(kr.CreatedAt)}
		if isNew {
			_, err = tx.ExecContext(ctx, `INSERT INTO key_results (workspace, objective, position, `+krCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
			if isConstraint(err) {
				return domain.Errorf(domain.ECONFLICT, "%s exists already.", kr.Ref)
			}
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE key_results SET (position, `+krCols+`) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				WHERE workspace = ? AND ref = ? AND objective = ?`, append(args[2:], o.WorkspaceID, kr.Ref, o.Ref)...)
		}
		if err != nil {
			return err
		}
		if err := saveInitiatives(ctx, tx, o.WorkspaceID, kr, isNew); err != nil {
			return err
		}
	}
	var gone []string
	for _, r := range old {
		if !slices.Contains(keep, r) {
			gone = append(gone, r)
		}
	}
	if len(gone) > 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM key_results WHERE workspace = ? AND objective = ? AND ref IN (SELECT value FROM json_each(?))`,
			o.WorkspaceID, o.Ref, list(gone))
		return err
	}
	return nil
}

// saveInitiatives writes a key result's initiatives, in order, handing out
// refs to those without one; the ones it no longer has are deleted. A ref
// given from outside that another key result holds is a conflict.
func saveInitiatives(ctx context.Context, tx *sql.Tx, workspace string, kr *domain.KeyResult, isNew bool) error {
	if !isNew {
		if _, err := tx.ExecContext(ctx, `DELETE FROM initiatives WHERE workspace = ? AND kr = ?`, workspace, kr.Ref); err != nil {
			return err
		}
	}
	for i := range kr.Initiatives {
		in := &kr.Initiatives[i]
		var err error
		if in.Ref == "" {
			in.Ref, err = nextRef(ctx, tx, workspace, "I")
		} else {
			err = raiseRef(ctx, tx, workspace, "I", in.Ref)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO initiatives (workspace, ref, kr, position, title, done, created_by, created_at, done_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, workspace, in.Ref, kr.Ref, i, in.Title, b2i(in.Done), in.CreatedBy, ts(in.CreatedAt), ts(in.DoneAt))
		if isConstraint(err) {
			return domain.Errorf(domain.ECONFLICT, "%s exists already.", in.Ref)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ModifyObjective reads the objective, applies change and writes the
// result, in one write transaction: nobody else writes in between, so no
// change is lost and change runs once.
func (s *Store) ModifyObjective(ctx context.Context, workspace, ref string, change func(*domain.Objective) error) (domain.Objective, error) {
	const op = "sqlite.ModifyObjective"
	var out domain.Objective
	var refused error // change's own error, returned as it is
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		cur, err := objectiveIn(ctx, tx, workspace, ref)
		if err != nil {
			return err
		}
		old := make([]string, len(cur.KeyResults))
		for i, kr := range cur.KeyResults {
			old[i] = kr.Ref
		}
		next := cur.Clone()
		if refused = change(&next); refused != nil {
			return refused
		}
		next.WorkspaceID, next.Ref = cur.WorkspaceID, cur.Ref
		next.Version, next.UpdatedAt = cur.Version+1, s.now()
		if err := updateObjective(ctx, tx, next); err != nil {
			return err
		}
		if err := objectiveHistory.save(ctx, tx, workspace, ref, cur.History, next.History); err != nil {
			return err
		}
		if err := saveKeyResults(ctx, tx, &next, old); err != nil {
			return err
		}
		out = next
		return nil
	})
	if refused != nil {
		return out, refused
	}
	if err != nil {
		return out, fmt.Errorf("%s: %w", ref, err)
	}
	return out, nil
}

func updateObjective(ctx context.Context, tx *sql.Tx, o domain.Objective) error {
	a := objectiveArgs(o)
	_, err := tx.ExecContext(ctx, `UPDATE objectives SET (title, owner, team, cycle, commitment, parent, status, grade, grade_note, created_by, created_at, updated_at, version)
		= (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE workspace = ? AND ref = ?`, append(a[3:], o.WorkspaceID, o.Ref)...)
	return err
}

// DeleteObjective removes an objective; its key results and their
// check-ins go with it (the foreign keys cascade).
func (s *Store) DeleteObjective(ctx context.Context, workspace, ref string) error {
	err := s.tx(ctx, "sqlite.DeleteObjective", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM objectives WHERE workspace = ? AND ref = ?`, workspace, ref)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return domain.NotFound("There is no objective %s.", ref)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	return nil
}

// DeleteKeyResult removes one key result and its check-ins.
func (s *Store) DeleteKeyResult(ctx context.Context, workspace, krRef string) (domain.Objective, error) {
	var out domain.Objective
	err := s.tx(ctx, "sqlite.DeleteKeyResult", func(tx *sql.Tx) error {
		oref, err := objectiveOfKR(ctx, tx, workspace, krRef)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM key_results WHERE workspace = ? AND ref = ?`, workspace, krRef); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE objectives SET version = version + 1, updated_at = ? WHERE workspace = ? AND ref = ?`,
			ts(s.now()), workspace, oref); err != nil {
			return err
		}
		out, err = objectiveIn(ctx, tx, workspace, oref)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("%s: %w", krRef, err)
	}
	return out, nil
}
