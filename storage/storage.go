// Package storage is the contract okrbot's stores keep, and what they share.
//
// Two stores satisfy Store: storage/sqlite, the embedded default (one SQLite
// file in the data directory), and storage/mongo, for several machines on
// one MongoDB. storage/conformance is the suite that holds both to this
// contract; cmd/okrbot picks one at start and is the only place that knows
// both.
//
// Adding a store method: add it to Store (both stores stop compiling until
// they have it), write it in storage/sqlite and storage/mongo, and add its
// test to storage/conformance, which runs against every backend.
package storage

import (
	"context"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Store is everything okrbot keeps. Every query is scoped by workspace.
// Errors a person can act on carry a domain code: ENOTFOUND, ECONFLICT, and
// EBUSY when the store is saturated for the moment (the same call may
// succeed in a moment).
type Store interface {
	// Ping reports whether the store answers (and, for the embedded store,
	// whether its file is still where it was opened).
	Ping(ctx context.Context) error
	// Close releases the store. Calls after Close fail.
	Close(ctx context.Context) error
	// SetTokenKey sets the 32-byte key that encrypts stored bot tokens.
	SetTokenKey(key []byte) error

	// Workspaces, their people, settings and digest subscriptions.

	// EnsureWorkspace stores w unless a workspace with its id exists, and
	// returns the stored one either way.
	EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error)
	// NameWorkspace records the workspace's name as its platform calls it
	// (Slack's team name), which an export writes.
	NameWorkspace(ctx context.Context, id, name string) error
	Workspace(ctx context.Context, id string) (domain.Workspace, error)
	// Workspaces returns every workspace by id, for the scheduled jobs.
	Workspaces(ctx context.Context) ([]domain.Workspace, error)
	// AddAdmin makes user an admin of the workspace (once).
	AddAdmin(ctx context.Context, workspace, user string) error
	SaveSettings(ctx context.Context, workspace string, s domain.Settings) error
	// TeamSettings returns a workspace's team overrides by channel, each
	// with its lead.
	TeamSettings(ctx context.Context, workspace string) ([]domain.TeamSettings, error)
	// SaveTeamSettings stores a team's override and its lead, replacing both.
	SaveTeamSettings(ctx context.Context, t domain.TeamSettings) error
	// SaveUser records a person's name, email and time zone as the
	// platform (or an import) reports them (empty ones are left as they
	// are); it leaves their away state alone.
	SaveUser(ctx context.Context, u domain.User) error
	User(ctx context.Context, workspace, id string) (domain.User, error)
	// Users returns the people of a workspace by id, or those with ids.
	Users(ctx context.Context, workspace string, ids ...string) ([]domain.User, error)
	// SetAway pauses a person's prompts until a moment (zero: back now)
	// and, in the same change, records it in their away history, as a
	// domain.AwayChange made at the store's clock.
	SetAway(ctx context.Context, workspace, user string, until time.Time) error
	// AwayPeriods returns when the people of a workspace (or those with
	// ids) were or will be away, from their away history
	// (domain.AwayPeriodsOf), by person, oldest first. A person away before
	// the history was kept has one period, from when they were last
	// updated until their away date.
	AwayPeriods(ctx context.Context, workspace string, ids ...string) ([]domain.AwayPeriod, error)
	Subscribe(ctx context.Context, s domain.Subscription) error
	// Unsubscribe reports whether there was a subscription to remove.
	Unsubscribe(ctx context.Context, workspace, channel string) (bool, error)
	// Subscriptions returns the subscribed channels by channel id.
	Subscriptions(ctx context.Context, workspace string) ([]domain.Subscription, error)

	// Objectives and key results.

	// CreateObjective stores a new objective with its key results (and
	// their initiatives). An empty Ref gets the workspace's next O-n, every
	// key result with an empty Ref the next KR-n, and every initiative the
	// next I-n, in the same transaction as the insert: a create that fails
	// uses up no ref. A given ref that exists is an ECONFLICT. o carries its
	// refs, version and times on return.
	CreateObjective(ctx context.Context, o *domain.Objective) error
	Objective(ctx context.Context, workspace, ref string) (domain.Objective, error)
	// ObjectiveOfKR returns the objective holding the key result krRef.
	ObjectiveOfKR(ctx context.Context, workspace, krRef string) (domain.Objective, error)
	// ObjectiveOfInitiative returns the objective holding the initiative ref ("I-4").
	ObjectiveOfInitiative(ctx context.Context, workspace, ref string) (domain.Objective, error)
	// Objectives returns the objectives matching f, oldest first (then by
	// ref number). They come without their History: it can hold
	// domain.MaxHistory changes each and no list shows it; the single
	// reads (Objective, ObjectiveOfKR, ObjectiveOfInitiative,
	// ModifyObjective) carry it.
	Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error)
	// ModifyObjective reads the objective, applies change and stores the
	// result as one atomic step; a concurrent change of the same objective
	// is never lost (the step is retried on top of it, so change may run
	// more than once). When change returns an error nothing is written and
	// ModifyObjective returns that error as it is (not wrapped). Key
	// results and initiatives change adds with an empty Ref get the next
	// KR-n and I-n in the same step; key results it removes go with their
	// check-ins.
	ModifyObjective(ctx context.Context, workspace, ref string, change func(*domain.Objective) error) (domain.Objective, error)
	// DeleteObjective removes an objective, its key results and their check-ins.
	DeleteObjective(ctx context.Context, workspace, ref string) error
	// DeleteKeyResult removes a key result and its check-ins, and returns
	// the objective without it.
	DeleteKeyResult(ctx context.Context, workspace, krRef string) (domain.Objective, error)

	// Check-ins.

	// SaveCheckIns stores one person's answers of a week as one change, all
	// of it or none: each check-in of cs with what it does to its key result
	// (domain.KeyResult.Apply); each skipped answer (no value this week, so
	// no check-in) with its confidence, if any (ApplySkipped); and the week
	// note unless it is empty. A second check-in of the same person, key
	// result and week replaces the first but keeps its FirstAt (the week's
	// first answer, set on the first). An answer for a key result that does
	// not exist is an ENOTFOUND and nothing is written.
	SaveCheckIns(ctx context.Context, cs, skipped []domain.CheckIn, note domain.WeekNote) error
	// ImportCheckIns stores check-ins as history (an import, a seeded
	// company) without moving their key results, which carry their current
	// state themselves. Each replaces the one of its person, key result and
	// week. Their key results must exist.
	ImportCheckIns(ctx context.Context, cs []domain.CheckIn) error
	// CheckIns returns the check-ins matching f, oldest first.
	CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error)
	// CheckInPoints returns, for each of the key results krs that has
	// check-ins at or after since, its progress line: domain.WeeklyPoints of
	// those check-ins. It is what views of objectives draw and project, and
	// costs a fraction of reading the check-ins whole (an index holds all
	// it reads).
	CheckInPoints(ctx context.Context, workspace string, krs []string, since time.Time) (map[string][]domain.Point, error)
	// WeekNotes returns the week notes of a week by person.
	WeekNotes(ctx context.Context, workspace string, week domain.Week) ([]domain.WeekNote, error)
	// AllWeekNotes returns every week note of a workspace, by week and
	// person (an export).
	AllWeekNotes(ctx context.Context, workspace string) ([]domain.WeekNote, error)

	// KPIs.

	// CreateKPI stores a new KPI; a slug in use is an ECONFLICT.
	CreateKPI(ctx context.Context, k domain.KPI) error
	// KPI returns the KPI with slug, archived or not, with its history.
	KPI(ctx context.Context, workspace, slug string) (domain.KPI, error)
	// KPIs returns the KPIs of a workspace that are not archived, by slug,
	// or those of them with slugs; without their history.
	KPIs(ctx context.Context, workspace string, slugs ...string) ([]domain.KPI, error)
	// AllKPIs returns every KPI of a workspace, archived ones included, by
	// slug, without their history (an export).
	AllKPIs(ctx context.Context, workspace string) ([]domain.KPI, error)
	// EditKPI stores the editable fields of k (name, unit, direction,
	// target, thresholds, cadence, owner, team, archived) and appends
	// changes to its history (keeping the latest domain.MaxHistory), leaving
	// its values, latest value and health alone, so an edit racing a new
	// value loses neither. The KPI must exist.
	EditKPI(ctx context.Context, k domain.KPI, changes []domain.Change) error
	// AddKPIValue records a measurement of an existing KPI and, unless a
	// later one is recorded already, makes it the KPI's latest value, as one
	// change. A value with a Key the KPI has a value of already is not
	// recorded again (and is no error): retrying a write that may have
	// landed records it once. It returns the KPI as it is now.
	AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error)
	// KPIValues returns a KPI's latest measurements, newest first, at most limit.
	KPIValues(ctx context.Context, workspace, slug string, limit int) ([]domain.KPIValue, error)
	// KPIReadings returns, for each of slugs, the KPI's values at or after
	// since and the last one before it (the value it stood at then),
	// newest first, at most limit each; only their slug, value and time
	// are read. A status reads its KPIs this way.
	KPIReadings(ctx context.Context, workspace string, slugs []string, since time.Time, limit int) (map[string][]domain.KPIValue, error)
	// SetKPIHealth records that a KPI's alerted state moved from one health
	// to another; of several callers making the same move exactly one gets
	// true.
	SetKPIHealth(ctx context.Context, workspace, slug string, from, to domain.Health, since time.Time) (bool, error)
	// SetKPISource sets where okrbot fetches an existing KPI's values (nil:
	// nowhere), with the state src carries; KPI and KPIs return it as
	// Source. A KPI that does not exist is ENOTFOUND.
	SetKPISource(ctx context.Context, workspace, slug string, src *domain.KPISource) error
	// SaveSourceState records what the last fetch of a KPI's source did,
	// if the KPI's source is still the one set at setAt (one set since is
	// left alone, and this is no error).
	SaveSourceState(ctx context.Context, workspace, slug string, setAt time.Time, st domain.SourceState) error

	// Imports.

	// ImportData writes an import into a workspace as one transaction where
	// the store has them: all of it or, on an error, nothing. Times are
	// kept as given (created_at, updated_at, check-ins' at and first_at),
	// and the counters of refs are raised above every ref imported, so no
	// ref of the import is handed out again. A ref, slug or workspace that
	// exists already is an ECONFLICT (the importer leaves what exists out
	// of the batch).
	ImportData(ctx context.Context, workspace string, b domain.ImportBatch) error

	// The HTTP API's tokens, stored hashed, and the requests it was sent
	// with an Idempotency-Key (apitokens.go in each store).

	// CreateAPIToken stores a new token. A live (not revoked) token of the
	// same name in the workspace, or the same ID, is an ECONFLICT.
	CreateAPIToken(ctx context.Context, t domain.APIToken) error
	// APIToken returns the token whose ID (the hash of its secret) is
	// hash, revoked or not.
	APIToken(ctx context.Context, hash string) (domain.APIToken, error)
	// APITokens returns a workspace's tokens, revoked ones included: live
	// ones first, each group by name, then by creation.
	APITokens(ctx context.Context, workspace string) ([]domain.APIToken, error)
	// RevokeAPIToken revokes the workspace's live token called name at at
	// and returns it; ENOTFOUND when there is none.
	RevokeAPIToken(ctx context.Context, workspace, name string, at time.Time) (domain.APIToken, error)
	// TouchAPIToken records that a token was used at at (a later use
	// recorded already is kept).
	TouchAPIToken(ctx context.Context, hash string, at time.Time) error
	// BeginIdempotent stores rec unless a record with its ID exists, and
	// returns the record now stored and whether it is rec (the caller goes
	// ahead). A record that is not Done and began before staleBefore was
	// left by a request that died: it is taken over (replaced by rec); of
	// several callers taking it over at once exactly one gets true.
	BeginIdempotent(ctx context.Context, rec domain.IdempotencyRecord, staleBefore time.Time) (domain.IdempotencyRecord, bool, error)
	// FinishIdempotent stores the answer of the request that began rec, if
	// no other request has taken rec over since.
	FinishIdempotent(ctx context.Context, rec domain.IdempotencyRecord, status int, body []byte) error
	// AbandonIdempotent forgets the request that began rec (a failure on
	// okrbot's side), so that it can be sent again; a take-over since is
	// left alone.
	AbandonIdempotent(ctx context.Context, rec domain.IdempotencyRecord) error
	// CleanupIdempotent deletes the records of requests begun before t.
	CleanupIdempotent(ctx context.Context, t time.Time) (int64, error)

	// Platform installations and Teams conversation references.

	// SaveInstallation stores (or replaces) a workspace's installation with
	// its bot token encrypted (see SetTokenKey; ErrNoKey without a key).
	SaveInstallation(ctx context.Context, in domain.Installation) error
	// Installation returns an installation with its token decrypted.
	Installation(ctx context.Context, workspace string) (domain.Installation, error)
	DeleteInstallation(ctx context.Context, workspace string) error
	SaveConversationRef(ctx context.Context, r domain.ConversationRef) error
	ConversationRef(ctx context.Context, workspace, conversation string) (domain.ConversationRef, error)
	// PersonalConversationRef returns the bot's personal chat with a user.
	PersonalConversationRef(ctx context.Context, workspace, user string) (domain.ConversationRef, error)
	DeleteConversationRef(ctx context.Context, workspace, conversation string) error
	// ConversationRefs returns a workspace's references by conversation id.
	ConversationRefs(ctx context.Context, workspace string) ([]domain.ConversationRef, error)

	// Request keys, so that a repeated request has one effect.

	// Remember records key and reports whether it was new.
	Remember(ctx context.Context, key string) (bool, error)
	// Forget removes key, so that a request that failed can be retried.
	Forget(ctx context.Context, key string) error
	// ForgetBefore removes keys remembered before t.
	ForgetBefore(ctx context.Context, t time.Time) (int64, error)

	// The outbox of the weekly rhythm, its next-due index, the paces
	// learned of the chat platforms, and the scheduler's job leases
	// (outbox.go in each store). The outbox methods are outbox.Store, whose
	// doc comments say the atomicity each needs; the index's are
	// rhythm.Schedules; the paces' are pace.Store.

	// Enqueue writes deliveries before anything is sent; an entry whose id
	// exists is left as it is. It returns how many were new.
	Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error)
	// Due returns up to limit deliveries of q that a process may take at
	// now (pending or failed and due; sending with an expired lease), the
	// earliest first.
	Due(ctx context.Context, q domain.OutboxQuery, now time.Time, limit int) ([]domain.OutboxEntry, error)
	// NextDue returns when the earliest unfinished delivery of q comes due.
	NextDue(ctx context.Context, q domain.OutboxQuery) (time.Time, bool, error)
	Delivery(ctx context.Context, id string) (domain.OutboxEntry, error)
	// Claim takes a due delivery for one attempt by holder until a moment;
	// of several processes claiming the same attempt exactly one gets true.
	// The entry returned counts the attempt.
	Claim(ctx context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error)
	// Renew extends the lease of the attempt claimed as e; false when it is
	// not e's any more.
	Renew(ctx context.Context, e domain.OutboxEntry, until time.Time) (bool, error)
	// Finish records the outcome of the attempt claimed as e; false, and
	// nothing written, when it is not e's any more.
	Finish(ctx context.Context, e domain.OutboxEntry) (bool, error)
	// Deliveries returns the deliveries of q whose period is one of periods
	// and every unfinished one of q.
	Deliveries(ctx context.Context, q domain.OutboxQuery, periods []string) ([]domain.OutboxEntry, error)
	// OutboxDepth counts unfinished deliveries by kind and state.
	OutboxDepth(ctx context.Context) (map[[2]string]int, error)
	// CleanupOutbox deletes the deliveries that finished before t.
	CleanupOutbox(ctx context.Context, t time.Time) (int64, error)
	// DueWorkspaces returns those of workspaces whose next delivery of kind
	// is due at or before until, or unknown.
	DueWorkspaces(ctx context.Context, kind string, until time.Time, workspaces []string) ([]string, error)
	// SetNextDue records when workspace next has a delivery of kind due;
	// zero marks it changed (due at the next tick).
	SetNextDue(ctx context.Context, workspace, kind string, at time.Time) error
	// LoadPace and SavePace keep what okrbot learned of a platform's pace
	// for one workspace and method.
	LoadPace(ctx context.Context, key string) (domain.LearnedPace, bool, error)
	SavePace(ctx context.Context, key string, p domain.LearnedPace) error
	// AcquireLease takes a named lease for ttl unless another holder has
	// it; of several asking at once exactly one gets it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (domain.Lease, bool, error)
	// RenewLease extends a held lease; false when it went to another holder.
	RenewLease(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error)
	// ReleaseLease gives a held lease up at once.
	ReleaseLease(ctx context.Context, l domain.Lease) error
}
