package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// A key result's progress line, domain.WeeklyPoints of its check-ins, is
// kept on its row (key_results.line) and rewritten in the transaction of
// every write of its check-ins: a list or a show reads one row per key
// result it draws, not a quarter of check-ins each (the largest part of
// "/okr list"'s cost, docs/benchmarks.md). Check-ins are written only by
// upsertCheckIn, which marks their key results in a pendingLines that the
// transaction refreshes before it commits; they are removed only with their
// key result (ON DELETE CASCADE), and its line with it. The conformance
// suite (LinesFollowEveryWrite) holds CheckInPoints to WeeklyPoints of the
// check-ins after every kind of write.
//
// A line is 16 bytes a point, oldest first: the time in Unix nanoseconds
// and the value's IEEE 754 bits, little-endian; exact, unlike a value
// written as text.

// pendingLines are the key results (workspace, ref) a transaction wrote
// check-ins of.
type pendingLines map[[2]string]struct{}

func (p pendingLines) mark(workspace, kr string) {
	if p != nil {
		p[[2]string{workspace, kr}] = struct{}{}
	}
}

// refresh rewrites the lines of the marked key results from their
// check-ins.
func (p pendingLines) refresh(ctx context.Context, tx *sql.Tx) error {
	for k := range p {
		rows, err := tx.QueryContext(ctx, `SELECT user, kr, week, value, at FROM check_ins WHERE workspace = ? AND kr = ?`, k[0], k[1])
		ps, err := collect(rows, err, scanCheckInPoint)
		if err != nil {
			return fmt.Errorf("the progress line of %s: %w", k[1], err)
		}
		if err := saveLine(ctx, tx, k[0], k[1], domain.WeeklyPoints(ps)[k[1]]); err != nil {
			return err
		}
	}
	clear(p)
	return nil
}

// rebuildLines rewrites every key result's line from the check-ins:
// migration 7, and a store copied from the earlier one.
func rebuildLines(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE key_results SET line = x''`); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT workspace, kr FROM check_ins`)
	krs, err := collect(rows, err, func(r *sql.Rows) ([2]string, error) {
		var k [2]string
		return k, r.Scan(&k[0], &k[1])
	})
	if err != nil {
		return err
	}
	p := pendingLines{}
	for _, k := range krs {
		p.mark(k[0], k[1])
	}
	return p.refresh(ctx, tx)
}

func saveLine(ctx context.Context, tx *sql.Tx, workspace, kr string, pts []domain.Point) error {
	_, err := tx.ExecContext(ctx, `UPDATE key_results SET line = ? WHERE workspace = ? AND ref = ?`, encodeLine(pts), workspace, kr)
	if err != nil {
		return fmt.Errorf("the progress line of %s: %w", kr, err)
	}
	return nil
}

func scanCheckInPoint(r *sql.Rows) (domain.CheckInPoint, error) {
	var p domain.CheckInPoint
	var week string
	var at int64
	err := r.Scan(&p.User, &p.KR, &week, &p.Value, &at)
	p.Week, p.At = domain.Week(week), time.Unix(0, at).UTC()
	return p, err
}

func encodeLine(pts []domain.Point) []byte {
	b := make([]byte, 0, 16*len(pts))
	for _, p := range pts {
		b = binary.LittleEndian.AppendUint64(b, uint64(p.At.UnixNano()))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Value))
	}
	return b
}

// decodeLine is the points of line at or after since, oldest first.
func decodeLine(line []byte, since time.Time) ([]domain.Point, error) {
	if len(line)%16 != 0 {
		return nil, fmt.Errorf("a progress line of %d bytes, not points of 16", len(line))
	}
	n := len(line) / 16
	at := func(i int) int64 { return int64(binary.LittleEndian.Uint64(line[16*i:])) }
	from := 0
	if !since.IsZero() {
		s := since.UnixNano()
		from = sort.Search(n, func(i int) bool { return at(i) >= s })
	}
	if from == n {
		return nil, nil
	}
	out := make([]domain.Point, 0, n-from)
	for i := from; i < n; i++ {
		out = append(out, domain.Point{At: time.Unix(0, at(i)).UTC(), Value: math.Float64frombits(binary.LittleEndian.Uint64(line[16*i+8:]))})
	}
	return out, nil
}
