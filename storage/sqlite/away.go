package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/okrbot/okrbot/domain"
)

// awayQuery reads the away history of a workspace's people, or of ids.
func awayQuery(workspace string, ids []string) (string, []any) {
	q, args := `SELECT user, at, until FROM away_changes WHERE workspace = ?`, []any{workspace}
	if len(ids) > 0 {
		q, args = q+` AND user IN (SELECT value FROM json_each(?))`, append(args, list(ids))
	}
	return q + ` ORDER BY user, at`, args
}

// AwayPeriods returns when people were or will be away, from their away
// history, by person, oldest first.
func (s *Store) AwayPeriods(ctx context.Context, workspace string, ids ...string) ([]domain.AwayPeriod, error) {
	type change struct {
		user string
		c    domain.AwayChange
	}
	var cs []change
	err := s.read(ctx, "sqlite.AwayPeriods", func(c *sql.Conn) error {
		q, args := awayQuery(workspace, ids)
		rows, err := c.QueryContext(ctx, q, args...)
		cs, err = collect(rows, err, func(r *sql.Rows) (change, error) {
			var ch change
			var at, until sql.NullInt64
			err := r.Scan(&ch.user, &at, &until)
			ch.c = domain.AwayChange{At: fromTS(at), Until: fromTS(until)}
			return ch, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	var out []domain.AwayPeriod
	for i := 0; i < len(cs); {
		j := i
		var mine []domain.AwayChange
		for ; j < len(cs) && cs[j].user == cs[i].user; j++ {
			mine = append(mine, cs[j].c)
		}
		out = append(out, domain.AwayPeriodsOf(cs[i].user, mine)...)
		i = j
	}
	return out, nil
}
