package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// A migration moves the schema from version-1 to version. Migrations run at
// start, each in its own transaction, and schema_migrations records the ones
// applied: a file is brought up to date once, however many processes open
// it at the same moment. Add a migration at the end of migrations, never
// change one that has shipped, and give it a step in TestMigrations.
type migration struct {
	version int
	name    string
	up      func(ctx context.Context, tx *sql.Tx) error
}

var migrations = []migration{
	{1, "initial schema", execAll(schemaV1)},
	{2, "planner statistics of a large company", execAll(plannerStats)},
	{3, "the outbox package's entries, the next-due index, learned paces", execAll(deliveryEngine)},
	{4, "API tokens, idempotency keys, KPI sources, keyed KPI values, people's emails", execAll(schemaV4)},
	{5, "escalation settings, team leads, away history", execAll(escalation)},
	{6, "check-in values in the key result index", execAll(checkInsKRValue)},
	{7, "key results' progress lines", func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE key_results ADD COLUMN line BLOB NOT NULL DEFAULT x''`); err != nil {
			return err
		}
		return rebuildLines(ctx, tx)
	}},
}

// SchemaVersion is the schema version this okrbot brings a store file to.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// execAll runs statements separated by ";\n".
func execAll(script string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, stmt := range strings.Split(script, ";\n") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%w in %s", err, strings.TrimSpace(stmt))
			}
		}
		return nil
	}
}

// migrate applies the migrations of ms the file does not have yet.
// Each migration applied to a store that had a schema already is logged
// (a new file is created at the latest one silently).
func (s *Store) migrate(ctx context.Context, ms []migration, log *slog.Logger) error {
	const op = "sqlite.migrate"
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		)`)
		return err
	})
	if err != nil {
		return err
	}
	v, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if known := ms[len(ms)-1].version; v > known {
		return fmt.Errorf("%s was written by a newer okrbot (schema version %d; this okrbot knows up to %d): run that version, or restore a backup made by this one", s.path, v, known)
	}
	for _, m := range ms {
		start, applied := time.Now(), false
		err := s.tx(ctx, op, func(tx *sql.Tx) error {
			var done bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version).Scan(&done); err != nil || done {
				return err // done: another process applied it meanwhile
			}
			if err := m.up(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, s.now().UnixNano())
			applied = err == nil
			return err
		})
		if err != nil {
			return fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, err)
		}
		if applied && v > 0 && log != nil {
			log.Info("upgraded the store's schema", "file", s.path, "version", m.version, "migration", m.name, "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	return nil
}

// schemaVersion is the highest migration applied, 0 for a new file.
func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), fail("sqlite.schemaVersion", err)
}

// schemaV1 is the first schema. Natural keys are primary keys, workspace
// first (every query is scoped by it); times are Unix nanoseconds, NULL for
// none. Every index names the query it serves.
const schemaV1 = `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE workspaces (
	id               TEXT PRIMARY KEY,
	platform         TEXT NOT NULL,
	external_id      TEXT NOT NULL,
	name             TEXT NOT NULL DEFAULT '',
	checkin_weekday  INTEGER NOT NULL, checkin_minute  INTEGER NOT NULL, checkin_off  INTEGER NOT NULL, checkin_set  INTEGER NOT NULL,
	reminder_weekday INTEGER NOT NULL, reminder_minute INTEGER NOT NULL, reminder_off INTEGER NOT NULL, reminder_set INTEGER NOT NULL,
	digest_weekday   INTEGER NOT NULL, digest_minute   INTEGER NOT NULL, digest_off   INTEGER NOT NULL, digest_set   INTEGER NOT NULL,
	timezone         TEXT NOT NULL DEFAULT '',
	created_at       INTEGER
) WITHOUT ROWID;

-- In the order they became admins (rowid).
CREATE TABLE workspace_admins (
	workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user      TEXT NOT NULL,
	UNIQUE (workspace, user)
);

CREATE TABLE team_settings (
	workspace        TEXT NOT NULL,
	channel          TEXT NOT NULL,
	checkin_weekday  INTEGER NOT NULL, checkin_minute  INTEGER NOT NULL, checkin_off  INTEGER NOT NULL, checkin_set  INTEGER NOT NULL,
	reminder_weekday INTEGER NOT NULL, reminder_minute INTEGER NOT NULL, reminder_off INTEGER NOT NULL, reminder_set INTEGER NOT NULL,
	digest_weekday   INTEGER NOT NULL, digest_minute   INTEGER NOT NULL, digest_off   INTEGER NOT NULL, digest_set   INTEGER NOT NULL,
	timezone         TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace, channel)
) WITHOUT ROWID;

CREATE TABLE users (
	workspace  TEXT NOT NULL,
	id         TEXT NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	timezone   TEXT NOT NULL DEFAULT '',
	away_until INTEGER,
	updated_at INTEGER,
	PRIMARY KEY (workspace, id)
) WITHOUT ROWID;

-- The last number handed out per workspace and prefix (O, KR): refs are
-- never reused, even after a delete.
CREATE TABLE ref_counters (
	workspace TEXT NOT NULL,
	prefix    TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	PRIMARY KEY (workspace, prefix)
) WITHOUT ROWID;

CREATE TABLE objectives (
	workspace  TEXT NOT NULL,
	ref        TEXT NOT NULL,
	seq        INTEGER NOT NULL, -- the n of O-n, for ordering
	title      TEXT NOT NULL,
	owner      TEXT NOT NULL,
	team       TEXT NOT NULL DEFAULT '',
	cycle      TEXT NOT NULL,
	commitment TEXT NOT NULL,
	parent     TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,
	grade      REAL,
	grade_note TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER,
	updated_at INTEGER,
	version    INTEGER NOT NULL,
	PRIMARY KEY (workspace, ref)
);
-- Every edit of an objective and its key results, oldest first (at most
-- domain.MaxHistory).
CREATE TABLE objective_history (
	workspace  TEXT NOT NULL,
	objective  TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	at         INTEGER,
	by         TEXT NOT NULL DEFAULT '',
	ref        TEXT NOT NULL DEFAULT '',
	field      TEXT NOT NULL DEFAULT '',
	from_value TEXT NOT NULL DEFAULT '',
	to_value   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace, objective, seq),
	FOREIGN KEY (workspace, objective) REFERENCES objectives (workspace, ref) ON DELETE CASCADE
) WITHOUT ROWID;
-- A person's objectives (list mine).
CREATE INDEX objectives_owner ON objectives (workspace, owner, cycle);
-- A team's objectives (list #channel, a team's digest).
CREATE INDEX objectives_team ON objectives (workspace, team, cycle);
-- A cycle's objectives (list all, the company digest).
CREATE INDEX objectives_cycle ON objectives (workspace, cycle, status);

CREATE TABLE key_results (
	workspace  TEXT NOT NULL,
	ref        TEXT NOT NULL,
	objective  TEXT NOT NULL,
	position   INTEGER NOT NULL,
	title      TEXT NOT NULL,
	kind       TEXT NOT NULL,
	start      REAL NOT NULL,
	target     REAL NOT NULL,
	current    REAL NOT NULL,
	measured   INTEGER NOT NULL,
	done       INTEGER NOT NULL,
	unit       TEXT NOT NULL DEFAULT '',
	weight     REAL NOT NULL,
	owner      TEXT NOT NULL,
	kpi        TEXT NOT NULL DEFAULT '',
	confidence INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER,
	created_at INTEGER,
	PRIMARY KEY (workspace, ref),
	FOREIGN KEY (workspace, objective) REFERENCES objectives (workspace, ref) ON DELETE CASCADE
);
-- An objective's key results, in order.
CREATE INDEX key_results_objective ON key_results (workspace, objective, position);
-- The key results a person owns (prompts, the check-in form, list mine).
CREATE INDEX key_results_owner ON key_results (workspace, owner);
-- The key results that follow a KPI (a KPI value moves them).
CREATE INDEX key_results_kpi ON key_results (workspace, kpi) WHERE kpi <> '';

-- The work planned to move a key result, in order.
CREATE TABLE initiatives (
	workspace  TEXT NOT NULL,
	ref        TEXT NOT NULL,
	kr         TEXT NOT NULL,
	position   INTEGER NOT NULL,
	title      TEXT NOT NULL,
	done       INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER,
	done_at    INTEGER,
	PRIMARY KEY (workspace, ref),
	FOREIGN KEY (workspace, kr) REFERENCES key_results (workspace, ref) ON DELETE CASCADE
) WITHOUT ROWID;
-- A key result's initiatives.
CREATE INDEX initiatives_kr ON initiatives (workspace, kr, position);

-- One check-in per person, key result and week: a second is an update.
CREATE TABLE check_ins (
	workspace  TEXT NOT NULL,
	user       TEXT NOT NULL,
	kr         TEXT NOT NULL,
	week       TEXT NOT NULL,
	objective  TEXT NOT NULL,
	value      REAL NOT NULL,
	done       INTEGER NOT NULL,
	confidence INTEGER NOT NULL,
	note       TEXT NOT NULL DEFAULT '',
	at         INTEGER NOT NULL, -- the latest answer of the week
	first_at   INTEGER,          -- the first
	by         TEXT NOT NULL DEFAULT '', -- who typed it, when not the person
	PRIMARY KEY (workspace, user, kr, week),
	FOREIGN KEY (workspace, kr) REFERENCES key_results (workspace, ref) ON DELETE CASCADE
) WITHOUT ROWID;
-- A key result's recent check-ins (show, projections).
CREATE INDEX check_ins_kr ON check_ins (workspace, kr, at);
-- A week's check-ins (who is missing), and a team's week (its key results').
CREATE INDEX check_ins_week ON check_ins (workspace, week, kr);
-- The check-ins since a date (the digest).
CREATE INDEX check_ins_at ON check_ins (workspace, at);

CREATE TABLE week_notes (
	workspace TEXT NOT NULL,
	week      TEXT NOT NULL,
	user      TEXT NOT NULL,
	note      TEXT NOT NULL DEFAULT '',
	wins      TEXT NOT NULL DEFAULT '',
	blockers  TEXT NOT NULL DEFAULT '',
	help      TEXT NOT NULL DEFAULT '',
	at        INTEGER,
	PRIMARY KEY (workspace, week, user)
) WITHOUT ROWID;

CREATE TABLE kpis (
	workspace    TEXT NOT NULL,
	slug         TEXT NOT NULL,
	name         TEXT NOT NULL,
	unit         TEXT NOT NULL DEFAULT '',
	direction    TEXT NOT NULL,
	target       REAL,
	warn         REAL,
	alert        REAL,
	cadence      TEXT NOT NULL,
	owner        TEXT NOT NULL DEFAULT '',
	team         TEXT NOT NULL DEFAULT '',
	health       TEXT NOT NULL DEFAULT 'unknown',
	health_since INTEGER,
	created_at   INTEGER,
	archived     INTEGER NOT NULL DEFAULT 0,
	-- The latest value, kept with the KPI by the transaction that records a value.
	latest_value REAL,
	latest_at    INTEGER,
	latest_note  TEXT,
	latest_by    TEXT,
	PRIMARY KEY (workspace, slug)
) WITHOUT ROWID;

-- Every edit of a KPI, oldest first (at most domain.MaxHistory).
CREATE TABLE kpi_history (
	workspace  TEXT NOT NULL,
	slug       TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	at         INTEGER,
	by         TEXT NOT NULL DEFAULT '',
	ref        TEXT NOT NULL DEFAULT '',
	field      TEXT NOT NULL DEFAULT '',
	from_value TEXT NOT NULL DEFAULT '',
	to_value   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace, slug, seq),
	FOREIGN KEY (workspace, slug) REFERENCES kpis (workspace, slug) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE kpi_values (
	id        INTEGER PRIMARY KEY,
	workspace TEXT NOT NULL,
	slug      TEXT NOT NULL,
	value     REAL NOT NULL,
	at        INTEGER NOT NULL,
	note      TEXT NOT NULL DEFAULT '',
	by        TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (workspace, slug) REFERENCES kpis (workspace, slug) ON DELETE CASCADE
);
-- A KPI's latest values.
CREATE INDEX kpi_values_latest ON kpi_values (workspace, slug, at DESC, id DESC);

CREATE TABLE subscriptions (
	workspace TEXT NOT NULL,
	channel   TEXT NOT NULL,
	name      TEXT NOT NULL DEFAULT '',
	company   INTEGER NOT NULL,
	by        TEXT NOT NULL DEFAULT '',
	at        INTEGER,
	PRIMARY KEY (workspace, channel)
) WITHOUT ROWID;

CREATE TABLE installations (
	workspace     TEXT PRIMARY KEY,
	team_id       TEXT NOT NULL DEFAULT '',
	team_name     TEXT NOT NULL DEFAULT '',
	enterprise_id TEXT NOT NULL DEFAULT '',
	bot_token     TEXT NOT NULL, -- sealed (storage.Tokens), never in clear
	bot_user_id   TEXT NOT NULL DEFAULT '',
	app_id        TEXT NOT NULL DEFAULT '',
	scope         TEXT NOT NULL DEFAULT '',
	installed_by  TEXT NOT NULL DEFAULT '',
	installed_at  INTEGER
) WITHOUT ROWID;

CREATE TABLE conversation_refs (
	workspace     TEXT NOT NULL,
	conversation  TEXT NOT NULL,
	type          TEXT NOT NULL DEFAULT '',
	user          TEXT NOT NULL DEFAULT '',
	aad_object_id TEXT NOT NULL DEFAULT '',
	user_name     TEXT NOT NULL DEFAULT '',
	team_id       TEXT NOT NULL DEFAULT '',
	service_url   TEXT NOT NULL DEFAULT '',
	bot_id        TEXT NOT NULL DEFAULT '',
	bot_name      TEXT NOT NULL DEFAULT '',
	updated_at    INTEGER,
	PRIMARY KEY (workspace, conversation)
) WITHOUT ROWID;
-- The bot's personal chat with a person.
CREATE INDEX conversation_refs_user ON conversation_refs (workspace, user, type);

CREATE TABLE events (
	key TEXT PRIMARY KEY,
	at  INTEGER NOT NULL
) WITHOUT ROWID;
-- The clean-up of old keys.
CREATE INDEX events_at ON events (at);

-- Exactly once: one delivery per workspace, recipient, kind and period.
CREATE TABLE outbox (
	id          TEXT PRIMARY KEY,
	workspace   TEXT NOT NULL,
	recipient   TEXT NOT NULL,
	direct      INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	period      TEXT NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER,
	lease_until INTEGER,
	holder      TEXT NOT NULL DEFAULT '',
	message_id  TEXT NOT NULL DEFAULT '',
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	done_at     INTEGER,
	UNIQUE (workspace, recipient, kind, period)
);
-- Due deliveries (by state first: finished ones are never visited, so the
-- cost follows the work at hand, not the history), and the depth metric.
CREATE INDEX outbox_state ON outbox (state, kind, workspace, created_at);
-- The clean-up of finished deliveries.
CREATE INDEX outbox_finished ON outbox (created_at) WHERE state IN ('sent', 'skipped', 'dead');

CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	generation INTEGER NOT NULL,
	until      INTEGER
) WITHOUT ROWID;
`

// plannerStats tells SQLite's query planner the shape of a large company's
// data (one workspace; 1,000 people; 4,000 objectives and 16,000 key
// results over a year of cycles; 200,000 check-ins), in the form ANALYZE
// would write it. Without statistics the planner guesses that a search on
// a primary key's first column (the workspace) beats any other index, and
// would walk a workspace's whole history to find one person's week. With
// these, every query the conversations and the rhythm make is an index
// lookup from the first check-in on (TestHotQueriesUseIndexes). Running
// ANALYZE later replaces them with the real figures.
const plannerStats = `
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1;
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('workspaces', 'workspaces', '10 1'),
	('workspace_admins', 'sqlite_autoindex_workspace_admins_1', '30 3 1'),
	('team_settings', 'team_settings', '100 100 1'),
	('users', 'users', '1000 1000 1'),
	('ref_counters', 'ref_counters', '20 2 1'),
	('objectives', 'sqlite_autoindex_objectives_1', '4000 4000 1'),
	('objective_history', 'objective_history', '40000 40000 10 1'),
	('kpi_history', 'kpi_history', '500 500 10 1'),
	('objectives', 'objectives_owner', '4000 4000 4 1'),
	('objectives', 'objectives_team', '4000 4000 40 10'),
	('objectives', 'objectives_cycle', '4000 4000 1000 500'),
	('key_results', 'sqlite_autoindex_key_results_1', '16000 16000 1'),
	('key_results', 'key_results_objective', '16000 16000 4 1'),
	('key_results', 'key_results_owner', '16000 16000 16'),
	('key_results', 'key_results_kpi', '2000 2000 20'),
	('initiatives', 'initiatives', '8000 8000 1'),
	('initiatives', 'initiatives_kr', '8000 8000 2 1'),
	('check_ins', 'check_ins', '200000 200000 200 13 1'),
	('check_ins', 'check_ins_kr', '200000 200000 13 1'),
	('check_ins', 'check_ins_week', '200000 200000 4000 1'),
	('check_ins', 'check_ins_at', '200000 200000 2'),
	('week_notes', 'week_notes', '20000 20000 400 1'),
	('kpis', 'kpis', '50 50 1'),
	('kpi_values', 'kpi_values_latest', '20000 20000 400 1 1'),
	('subscriptions', 'subscriptions', '20 20 1'),
	('installations', 'installations', '10 1'),
	('conversation_refs', 'conversation_refs', '1000 1000 1'),
	('conversation_refs', 'conversation_refs_user', '1000 1000 1 1'),
	('events', 'events', '10000 1'),
	('events', 'events_at', '10000 2'),
	('outbox', 'sqlite_autoindex_outbox_1', '100000 1'),
	('outbox', 'sqlite_autoindex_outbox_2', '100000 100000 100 25 1'),
	('outbox', 'outbox_state', '100000 20000 5000 5000 2'),
	('outbox', 'outbox_finished', '90000 2'),
	('leases', 'leases', '10 1');
ANALYZE sqlite_schema
`

// deliveryEngine is what the delivery engine keeps beside the outbox's
// first columns: when an entry speaks of and expires, whether its last
// attempt may have reached the platform; indexes for due entries by time,
// a run's report by period, and the clean-up of finished entries by when
// they finished (expired ones too); the next-due index of each workspace
// and kind; and the paces learned of the chat platforms.
const deliveryEngine = `
ALTER TABLE outbox ADD COLUMN at INTEGER;
ALTER TABLE outbox ADD COLUMN expires_at INTEGER;
ALTER TABLE outbox ADD COLUMN unsure INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET next_at = created_at WHERE next_at IS NULL AND state = 'pending';
UPDATE outbox SET done_at = created_at WHERE done_at IS NULL AND state IN ('sent', 'skipped', 'dead');
DROP INDEX outbox_state;
DROP INDEX outbox_finished;
CREATE INDEX outbox_due ON outbox (state, kind, next_at);
CREATE INDEX outbox_period ON outbox (kind, period);
CREATE INDEX outbox_done ON outbox (done_at) WHERE state IN ('sent', 'skipped', 'dead', 'expired');
DELETE FROM sqlite_stat1 WHERE idx IN ('outbox_state', 'outbox_finished');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('outbox', 'outbox_due', '100000 20000 5000 2'),
	('outbox', 'outbox_period', '100000 25000 1000'),
	('outbox', 'outbox_done', '90000 2');
CREATE TABLE schedules (
	workspace TEXT NOT NULL,
	kind      TEXT NOT NULL,
	next_at   INTEGER,
	PRIMARY KEY (workspace, kind)
) WITHOUT ROWID;
CREATE TABLE paces (
	key           TEXT PRIMARY KEY,
	rate          REAL NOT NULL,
	ceiling       REAL NOT NULL DEFAULT 0,
	blocked_until INTEGER,
	at            INTEGER NOT NULL
) WITHOUT ROWID;
ANALYZE sqlite_schema
`

// schemaV4 holds what the HTTP API, KPI sources and imports keep.
const schemaV4 = `
-- From an import: people are matched by email there.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- A value recorded with a key is recorded once per KPI and key (a retried
-- API batch, a source's period).
ALTER TABLE kpi_values ADD COLUMN key TEXT;
CREATE UNIQUE INDEX kpi_values_key ON kpi_values (workspace, slug, key) WHERE key IS NOT NULL;

-- Where okrbot fetches a KPI's values itself (source_kind '' : nowhere),
-- and how the last fetch went.
ALTER TABLE kpis ADD COLUMN source_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_url TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_path TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_query TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_set_by TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_set_at INTEGER;
ALTER TABLE kpis ADD COLUMN source_period TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_last_fetch INTEGER;
ALTER TABLE kpis ADD COLUMN source_last_value REAL;
ALTER TABLE kpis ADD COLUMN source_last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE kpis ADD COLUMN source_failing_since INTEGER;
ALTER TABLE kpis ADD COLUMN source_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kpis ADD COLUMN source_next_at INTEGER;

-- The HTTP API's bearer tokens: only the SHA-256 of the secret (id) is kept.
CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	workspace    TEXT NOT NULL,
	name         TEXT NOT NULL,
	hint         TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
) WITHOUT ROWID;
-- One live token per name and workspace; a workspace's tokens by name.
CREATE UNIQUE INDEX api_tokens_live ON api_tokens (workspace, name) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_workspace ON api_tokens (workspace, name);

-- Requests of the HTTP API sent with an Idempotency-Key, with their answer.
CREATE TABLE idempotency (
	id          TEXT PRIMARY KEY, -- workspace/key
	workspace   TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	done        INTEGER NOT NULL DEFAULT 0,
	status      INTEGER NOT NULL DEFAULT 0,
	body        BLOB,
	created_at  INTEGER NOT NULL
);
-- The clean-up of old keys.
CREATE INDEX idempotency_created ON idempotency (created_at);

INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('kpi_values', 'kpi_values_key', '20000 400 2 1'),
	('api_tokens', 'api_tokens', '20 1'),
	('api_tokens', 'api_tokens_live', '20 5 1'),
	('api_tokens', 'api_tokens_workspace', '20 5 1'),
	('idempotency', 'sqlite_autoindex_idempotency_1', '10000 1'),
	('idempotency', 'idempotency_created', '10000 2');
ANALYZE sqlite_schema
`

// escalation keeps when missed check-ins reach a team's lead (in the
// workspace's settings and each team's override; zero columns are the
// default), the lead a team names, and each person's away history: one row
// per `/okr away` or `/okr back` (until NULL), from which the periods they
// were away are read. Someone away when the history began gets one change,
// at the moment they were last updated.
const escalation = `
ALTER TABLE workspaces ADD COLUMN escalate_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN escalate_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN escalate_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE team_settings ADD COLUMN escalate_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE team_settings ADD COLUMN escalate_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE team_settings ADD COLUMN escalate_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE team_settings ADD COLUMN lead TEXT NOT NULL DEFAULT '';
CREATE TABLE away_changes (
	workspace TEXT NOT NULL,
	user      TEXT NOT NULL,
	at        INTEGER NOT NULL,
	until     INTEGER,
	PRIMARY KEY (workspace, user, at)
) WITHOUT ROWID;
INSERT INTO away_changes (workspace, user, at, until)
	SELECT workspace, id, COALESCE(updated_at, 0), away_until FROM users WHERE away_until IS NOT NULL;
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('away_changes', 'away_changes', '10000 1000 2 1');
ANALYZE sqlite_schema
`

// checkInsKRValue widens check_ins_kr to hold each check-in's value: a key
// result's progress line (CheckInPoints: person, week, value, time) is then
// read from the index alone, without a lookup of each check-in's row (half
// the cost of "/okr list", which draws one for every key result it shows).
// The planner statistics gain the column.
const checkInsKRValue = `
DROP INDEX check_ins_kr;
CREATE INDEX check_ins_kr ON check_ins (workspace, kr, at, value);
DELETE FROM sqlite_stat1 WHERE tbl = 'check_ins' AND idx = 'check_ins_kr';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('check_ins', 'check_ins_kr', '200000 200000 13 1 1');
ANALYZE sqlite_schema
`
