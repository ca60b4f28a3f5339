package sqlite

// okrbot's first embedded store was FerretDB v1 over SQLite: a data
// directory holding <database>.sqlite (okrbot.sqlite by default), whose
// tables hold one JSON document per row in FerretDB's "sjson" form (each
// document carries its own type schema under "$s"; dates are Unix
// milliseconds). Such a directory is migrated once into okrbot.db, reading
// the file directly with the same SQLite driver; FerretDB itself is not
// needed. The old file is then renamed to <name>.migrated and kept.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

const (
	ferretLock = "okrbot.lock" // the FerretDB store's owner lock
	ferretAddr = "okrbot.addr" // where it published its address
	migrating  = FileName + ".migrating"
)

// findFerretDB returns the name of the FerretDB store in dir, "" when there
// is none. Several are refused: which one to keep is the operator's call.
func findFerretDB(dir string) (string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return "", err
	}
	var found []string
	for _, n := range names {
		if isFerretDB(n) {
			found = append(found, filepath.Base(n))
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s holds %d stores of okrbot's earlier embedded store (%s): move all but the one to migrate out of the directory and start okrbot again",
		dir, len(found), strings.Join(found, ", "))
}

func isFerretDB(path string) bool {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_ferretdb_collections'`).Scan(&n)
	return err == nil && n == 1
}

// checkLegacyAfterOpen handles a FerretDB store beside an existing okrbot.db:
// left there by a migration that could not rename it (renamed now), or
// never migrated (refused: the operator must say which store to keep).
func (s *Store) checkLegacyAfterOpen(ctx context.Context) error {
	legacy, err := findFerretDB(s.dir)
	if err != nil || legacy == "" {
		return err
	}
	var from string
	err = s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'migrated_from'`).Scan(&from)
	if err == nil && from == legacy {
		return retireFerretDB(s.dir, legacy)
	}
	return fmt.Errorf("%s holds both %s and %s, a store of okrbot's earlier embedded store (FerretDB) that was never migrated into it: move %s away to keep using %s, or move %s away to migrate %s into a new one",
		s.dir, FileName, legacy, legacy, FileName, FileName, legacy)
}

// retireFerretDB renames a migrated FerretDB store out of the way, with the
// files of the FerretDB server that owned it.
func retireFerretDB(dir, legacy string) error {
	old := filepath.Join(dir, legacy)
	if err := os.Rename(old, old+".migrated"); err != nil {
		return fmt.Errorf("rename the migrated %s: %w", legacy, err)
	}
	for _, n := range []string{legacy + "-wal", legacy + "-shm", ferretAddr, ferretLock} {
		os.Remove(filepath.Join(dir, n))
	}
	return nil
}

// migrateFerretDB copies the FerretDB store legacy into a new okrbot.db.
// The new file is built beside it and renamed into place only once complete,
// so a migration that is interrupted is simply done again at the next start.
func migrateFerretDB(ctx context.Context, dir, legacy string, opt Options) error {
	start := time.Now()
	if held, err := ferretDBRunning(dir); err != nil || held {
		if err == nil {
			err = fmt.Errorf("an okrbot of the earlier version (FerretDB store) is still running on %s; stop it, then start this one to migrate its data", dir)
		}
		return err
	}
	tmp := filepath.Join(dir, migrating)
	for _, n := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(n)
	}
	st, err := open(ctx, tmp, opt, migrations)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", legacy, err)
	}
	counts, err := copyFerretDB(ctx, st, filepath.Join(dir, legacy))
	if err == nil {
		err = st.exec(ctx, "sqlite.migrateFerretDB", `INSERT INTO meta (key, value) VALUES ('migrated_from', ?)`, legacy)
	}
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s in %s is a store of okrbot's earlier embedded store (FerretDB) that okrbot could not migrate (%v); keep it, run the earlier okrbot version to export the data, or move it away to start empty", legacy, dir, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("migrate %s: %w", legacy, err)
	}
	if err := retireFerretDB(dir, legacy); err != nil {
		return err
	}
	var parts []string
	for _, k := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	opt.Log.Info(fmt.Sprintf("migrated the earlier embedded store (FerretDB) %s into %s: %s; the old file is kept as %s.migrated",
		legacy, FileName, strings.Join(parts, ", "), legacy), "dir", dir, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ferretDBRunning reports whether the FerretDB store's owner still runs
// (it held its lock file while running; the kernel dropped it when it died).
func ferretDBRunning(dir string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, ferretLock), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	held, err := tryLock(f)
	if !held && err == nil {
		unlock(f)
	} else {
		f.Close()
	}
	return held, err
}

// copyFerretDB copies every collection okrbot keeps from the FerretDB file
// at path into st, in one transaction. Claims and leases are not copied:
// they only mattered to running processes (the ref claims are folded into
// the ref counters).
func copyFerretDB(ctx context.Context, st *Store, path string) (map[string]int, error) {
	src, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	tables := map[string]string{}
	rows, err := src.QueryContext(ctx, `SELECT name, table_name FROM _ferretdb_collections`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			rows.Close()
			return nil, err
		}
		tables[name] = table
	}
	rows.Close()
	docs := func(collection string) ([]doc, error) {
		table, ok := tables[collection]
		if !ok {
			return nil, nil
		}
		rows, err := src.QueryContext(ctx, fmt.Sprintf(`SELECT _ferretdb_sjson FROM %q`, table))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []doc
		for rows.Next() {
			var raw string
			if err := rows.Scan(&raw); err != nil {
				return nil, err
			}
			d, err := decodeSJSON([]byte(raw))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", collection, err)
			}
			out = append(out, d)
		}
		return out, rows.Err()
	}
	counts := map[string]int{}
	err = st.tx(ctx, "sqlite.copyFerretDB", func(tx *sql.Tx) error {
		for _, c := range legacyCollections {
			ds, err := docs(c.name)
			if err != nil {
				return err
			}
			for _, d := range ds {
				copied, err := c.copy(ctx, tx, d)
				if err != nil {
					return fmt.Errorf("%s %v: %w", c.name, d["_id"], err)
				}
				if copied && c.count != "" {
					counts[c.count]++
				}
			}
		}
		return rebuildLines(ctx, tx)
	})
	return counts, err
}

// legacyCollections are copied in this order (parents before children).
var legacyCollections = []struct {
	name, count string // count: what the log line calls them; "" not counted
	copy        func(ctx context.Context, tx *sql.Tx, d doc) (bool, error)
}{
	{"workspaces", "workspaces", copyWorkspace},
	{"team_settings", "", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO team_settings (workspace, channel, `+settingsCols+`) VALUES (?, ?, `+settingsMarks+`)`,
			append([]any{d.str("workspace"), d.str("channel")}, settingsArgs(d.settings("settings"))...)...)
		return true, err
	}},
	{"users", "people", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO users (workspace, id, name, timezone, away_until, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			d.str("workspace"), d.str("user"), d.str("name"), d.str("timezone"), ts(d.time("away_until")), ts(d.time("updated_at")))
		if err == nil && !d.time("away_until").IsZero() {
			// The earlier store kept no away history: the absence under way
			// is its first change, from when the person was last updated.
			_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO away_changes (workspace, user, at, until) VALUES (?, ?, COALESCE(?, 0), ?)`,
				d.str("workspace"), d.str("user"), ts(d.time("updated_at")), ts(d.time("away_until")))
		}
		return true, err
	}},
	{"counters", "", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		id := d.str("_id") // "<workspace>/<prefix>"
		i := strings.LastIndexByte(id, '/')
		if i < 0 {
			return false, nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ref_counters (workspace, prefix, seq) VALUES (?, ?, ?)
			ON CONFLICT (workspace, prefix) DO UPDATE SET seq = max(seq, excluded.seq)`, id[:i], id[i+1:], d.int("seq"))
		return true, err
	}},
	{"claims", "", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		// "ref/<workspace>/<ref>": a ref handed out, perhaps past the counter.
		id, ok := strings.CutPrefix(d.str("_id"), "ref/")
		i := strings.LastIndexByte(id, '/')
		if !ok || i < 0 {
			return false, nil
		}
		ws, ref := id[:i], id[i+1:]
		prefix, _, _ := strings.Cut(ref, "-")
		return true, raiseRef(ctx, tx, ws, prefix, ref)
	}},
	{"objectives", "objectives", copyObjective},
	{"checkins", "check-ins", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		c := domain.CheckIn{WorkspaceID: d.str("workspace"), UserID: d.str("user"), KR: d.str("kr"), Objective: d.str("objective"),
			Week: domain.Week(d.str("week")), Value: d.float("value"), Done: d.bool("done"), Confidence: int(d.int("confidence")),
			Note: d.str("note"), At: d.time("at"), FirstAt: d.time("first_at"), By: d.str("by")}
		err := upsertCheckIn(ctx, tx, c, nil) // the lines are rebuilt at the end
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return false, nil // of a key result deleted since: nothing shows it
		}
		return true, err
	}},
	{"week_notes", "", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO week_notes (workspace, week, user, note, wins, blockers, help, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.str("workspace"), d.str("week"), d.str("user"), d.str("note"), d.str("wins"), d.str("blockers"), d.str("help"), ts(d.time("at")))
		return true, err
	}},
	{"kpis", "KPIs", copyKPI},
	{"kpi_values", "KPI values", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		r, err := tx.ExecContext(ctx, `INSERT INTO kpi_values (workspace, slug, value, at, note, by)
			SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM kpis WHERE workspace = ? AND slug = ?)`,
			d.str("workspace"), d.str("slug"), d.float("value"), d.time("at").UnixNano(), d.str("note"), d.str("by"), d.str("workspace"), d.str("slug"))
		n, _ := r.RowsAffected()
		return n > 0, err
	}},
	{"subscriptions", "digest subscriptions", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO subscriptions (workspace, channel, name, company, by, at) VALUES (?, ?, ?, ?, ?, ?)`,
			d.str("workspace"), d.str("channel"), d.str("name"), b2i(d.bool("company")), d.str("by"), ts(d.time("at")))
		return true, err
	}},
	{"installations", "installations", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		// The token stays sealed as it was: same key, same workspace id.
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO installations (workspace, team_id, team_name, enterprise_id, bot_token, bot_user_id, app_id, scope, installed_by, installed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.str("_id"), d.str("team_id"), d.str("team_name"), d.str("enterprise_id"), d.str("bot_token"),
			d.str("bot_user_id"), d.str("app_id"), d.str("scope"), d.str("installed_by"), ts(d.time("installed_at")))
		return true, err
	}},
	{"conversations", "Teams conversations", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO conversation_refs (`+refCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.str("workspace"), d.str("conversation"), d.str("type"), d.str("user"), d.str("aad_object_id"), d.str("user_name"),
			d.str("team_id"), d.str("service_url"), d.str("bot_id"), d.str("bot_name"), ts(d.time("updated_at")))
		return true, err
	}},
	{"outbox", "deliveries", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		// Sent deliveries must come along: without them this period's
		// prompts would go out a second time.
		// A pending one is due from when it was written, a finished one
		// cleaned up from when it was (the old outbox kept neither).
		next, done := d.time("next_at"), d.time("done_at")
		if next.IsZero() && d.str("state") == string(domain.OutboxPending) {
			next = d.time("created_at")
		}
		if done.IsZero() && domain.OutboxState(d.str("state")).Finished() {
			done = d.time("created_at")
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO outbox (`+outboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.str("_id"), d.str("workspace"), d.str("recipient"), b2i(d.bool("direct")), d.str("kind"), d.str("period"), d.str("subject"),
			nil, nil, d.str("state"), d.int("attempts"), ts(next), ts(d.time("lease_until")), d.str("holder"), 0, d.str("message_id"),
			d.str("last_error"), ts(d.time("created_at")), ts(done))
		return true, err
	}},
	{"events", "", func(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO events (key, at) VALUES (?, ?)`, d.str("_id"), d.time("at").UnixNano())
		return true, err
	}},
}

func copyWorkspace(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
	id := d.str("_id")
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO workspaces (id, platform, external_id, name, `+settingsCols+`, created_at)
		VALUES (?, ?, ?, ?, `+settingsMarks+`, ?)`,
		append(append([]any{id, d.str("platform"), d.str("external_id"), d.str("name")}, settingsArgs(d.settings("settings"))...), ts(d.time("created_at")))...)
	if err != nil {
		return false, err
	}
	for _, a := range d.list("admins") {
		if s, ok := a.(string); ok {
			if _, err := tx.ExecContext(ctx, `INSERT INTO workspace_admins (workspace, user) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, s); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

func copyObjective(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
	o := domain.Objective{WorkspaceID: d.str("workspace"), Ref: d.str("ref"), Title: d.str("title"), Owner: d.str("owner"), Team: d.str("team"),
		Cycle: domain.Cycle(d.str("cycle")), Commitment: domain.Commitment(d.str("commitment")), Parent: d.str("parent"),
		Status: domain.ObjectiveStatus(d.str("status")), GradeNote: d.str("grade_note"), CreatedBy: d.str("created_by"),
		CreatedAt: d.time("created_at"), UpdatedAt: d.time("updated_at"), Version: int(d.int("version"))}
	if _, ok := d["grade"]; ok && d["grade"] != nil {
		g := d.float("grade")
		o.Grade = &g
	}
	for _, v := range d.list("key_results") {
		k, ok := v.(doc)
		if !ok {
			continue
		}
		kr := domain.KeyResult{Ref: k.str("ref"), Title: k.str("title"), Kind: domain.Kind(k.str("kind")),
			Start: k.float("start"), Target: k.float("target"), Current: k.float("current"), Measured: k.bool("measured"), Done: k.bool("done"),
			Unit: k.str("unit"), Weight: k.float("weight"), Owner: k.str("owner"), KPI: k.str("kpi"), Confidence: int(k.int("confidence")),
			UpdatedAt: k.time("updated_at"), CreatedAt: k.time("created_at")}
		for _, iv := range k.list("initiatives") {
			if in, ok := iv.(doc); ok {
				kr.Initiatives = append(kr.Initiatives, domain.Initiative{Ref: in.str("ref"), Title: in.str("title"), Done: in.bool("done"),
					CreatedBy: in.str("created_by"), CreatedAt: in.time("created_at"), DoneAt: in.time("done_at")})
			}
		}
		o.KeyResults = append(o.KeyResults, kr)
	}
	if o.Version == 0 {
		o.Version = 1
	}
	if err := raiseRef(ctx, tx, o.WorkspaceID, "O", o.Ref); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO objectives (workspace, ref, seq, title, owner, team, cycle, commitment, parent, status,
		grade, grade_note, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, objectiveArgs(o)...); err != nil {
		return false, err
	}
	if err := objectiveHistory.add(ctx, tx, o.WorkspaceID, o.Ref, d.changes("history")); err != nil {
		return false, err
	}
	return true, saveKeyResults(ctx, tx, &o, nil)
}

func copyKPI(ctx context.Context, tx *sql.Tx, d doc) (bool, error) {
	ptr := func(k string) any {
		if v, ok := d[k]; !ok || v == nil {
			return nil
		}
		return d.float(k)
	}
	health := d.str("health")
	if health == "" {
		health = string(domain.HealthUnknown)
	}
	var lv, lat, lnote, lby any
	if l, ok := d["latest"].(doc); ok {
		lv, lat, lnote, lby = l.float("value"), l.time("at").UnixNano(), l.str("note"), l.str("by")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO kpis (`+kpiBaseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.str("workspace"), d.str("slug"), d.str("name"), d.str("unit"), d.str("direction"), ptr("target"), ptr("warn"), ptr("alert"),
		d.str("cadence"), d.str("owner"), d.str("team"), health, ts(d.time("health_since")), ts(d.time("created_at")), b2i(d.bool("archived")),
		lv, lat, lnote, lby)
	if err == nil {
		err = kpiHistory.add(ctx, tx, d.str("workspace"), d.str("slug"), d.changes("history"))
	}
	return true, err
}

// changes reads a history array.
func (d doc) changes(k string) []domain.Change {
	var out []domain.Change
	for _, v := range d.list(k) {
		if c, ok := v.(doc); ok {
			out = append(out, domain.Change{At: c.time("at"), By: c.str("by"), Ref: c.str("ref"), Field: c.str("field"), From: c.str("from"), To: c.str("to")})
		}
	}
	return out
}

// doc is a decoded FerretDB document: strings, float64, int64, bool,
// time.Time, nil, []any and doc.
type doc map[string]any

func (d doc) str(k string) string { s, _ := d[k].(string); return s }
func (d doc) bool(k string) bool  { b, _ := d[k].(bool); return b }
func (d doc) list(k string) []any { a, _ := d[k].([]any); return a }

func (d doc) float(k string) float64 {
	switch v := d[k].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

func (d doc) int(k string) int64 {
	switch v := d[k].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

// time returns a date; the zero time.Time (stored as year 1) stays zero.
func (d doc) time(k string) time.Time {
	t, _ := d[k].(time.Time)
	return t
}

func (d doc) settings(k string) domain.Settings {
	s, _ := d[k].(doc)
	sched := func(k string) domain.Schedule {
		c, _ := s[k].(doc)
		return domain.Schedule{Weekday: time.Weekday(c.int("weekday")), Minute: int(c.int("minute")), Off: c.bool("off"), Set: c.bool("set")}
	}
	return domain.Settings{CheckIn: sched("checkin"), Reminder: sched("reminder"), Digest: sched("digest"), TimeZone: s.str("timezone")}
}

// sjson's type schema: a document's properties, and each value's type.
type sjsonSchema struct {
	Properties map[string]*sjsonElem `json:"p"`
}

type sjsonElem struct {
	Type   string       `json:"t"`
	Schema *sjsonSchema `json:"$s"`
	Items  []*sjsonElem `json:"i"`
}

// decodeSJSON decodes one stored FerretDB document.
func decodeSJSON(raw []byte) (doc, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	var sch sjsonSchema
	if err := json.Unmarshal(top["$s"], &sch); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	delete(top, "$s")
	return decodeDoc(top, &sch)
}

func decodeDoc(fields map[string]json.RawMessage, sch *sjsonSchema) (doc, error) {
	out := doc{}
	for k, raw := range fields {
		var el *sjsonElem
		if sch != nil {
			el = sch.Properties[k]
		}
		if el == nil {
			return nil, fmt.Errorf("field %q has no type in the document's schema", k)
		}
		v, err := decodeValue(raw, el)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func decodeValue(raw json.RawMessage, el *sjsonElem) (any, error) {
	switch el.Type {
	case "object":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		return decodeDoc(m, el.Schema)
	case "array":
		var a []json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		if len(a) != len(el.Items) {
			return nil, errors.New("array items and schema differ")
		}
		out := make([]any, len(a))
		for i := range a {
			v, err := decodeValue(a[i], el.Items[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "double":
		var f float64
		err := json.Unmarshal(raw, &f)
		return f, err
	case "int", "long":
		var n int64
		err := json.Unmarshal(raw, &n)
		return n, err
	case "string", "objectId":
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case "bool":
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case "date":
		var ms int64
		if err := json.Unmarshal(raw, &ms); err != nil {
			return nil, err
		}
		t := time.UnixMilli(ms).UTC()
		return t, nil
	case "null":
		return nil, nil
	}
	return nil, fmt.Errorf("values of type %q are not part of okrbot's documents", el.Type)
}
