// Package conformance is the test suite every okrbot store passes, in the
// spirit of go-cloud's drivertest: each store's own test file calls Run
// with a Backend that opens a fresh, empty store, and declares what the
// backend guarantees. storage/sqlite runs it on SQLite; storage/mongo on
// FerretDB (in-process) always and on the MongoDB at MONGODB_URI when set.
//
// A test that needs a guarantee a backend lacks is skipped for that
// backend, saying so; every other test runs everywhere. Adding a store
// method means adding its test here, once, for every backend.
package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// Backend is one store under test.
type Backend struct {
	// Name names the backend in skip messages.
	Name string
	// Open returns a new, empty store with the clock now (time.Now when
	// nil). The backend closes it, and drops what it stored, at cleanup.
	Open func(t testing.TB, now func() time.Time) storage.Store
	// Reopen closes st and opens the same data again, as a restart does.
	Reopen func(t testing.TB, st storage.Store) storage.Store
	// RawInstallation returns a workspace's installation as stored, to
	// check that its token is not in clear.
	RawInstallation func(t testing.TB, st storage.Store, workspace string) string
	// Guarantees is what the backend guarantees.
	Guarantees Guarantees
}

// Guarantees are what a backend may lack. A real MongoDB and SQLite have
// them (MongoDB's transactions need a replica set); FerretDB v1.24, the
// MongoDB stand-in, has neither.
type Guarantees struct {
	// AtomicUpdates: a conditional update or findAndModify of one record
	// is atomic, so of concurrent writers exactly one wins a race and none
	// is lost. (FerretDB applies an update by reading, changing and writing
	// back the document, outside any transaction.)
	AtomicUpdates bool
	// Transactions: a change spanning several records (an objective and
	// the ref counter, a check-in and its key result) is all or nothing,
	// even when it fails or its process dies half-way.
	Transactions bool
}

func (b Backend) require(t *testing.T, atomic, txn bool) {
	t.Helper()
	if atomic && !b.Guarantees.AtomicUpdates {
		t.Skipf("%s declares no atomic conditional updates: this race is not decided there", b.Name)
	}
	if txn && !b.Guarantees.Transactions {
		t.Skipf("%s declares no multi-record transactions", b.Name)
	}
}

var ctx = context.Background()

type test struct {
	name string
	run  func(t *testing.T, b Backend)
}

// tests is the suite, by area.
var tests = []test{
	// Workspaces, people, settings.
	{"WorkspacesUsersSubscriptions", testWorkspacesUsersSubscriptions},
	{"TeamSettingsAndAdmins", testTeamSettingsAndAdmins},
	{"AwayHistory", testAwayHistory},
	// Objectives and refs.
	{"ObjectivesAreScopedByWorkspace", testObjectivesAreScopedByWorkspace},
	{"CreateAssignsRefs", testCreateAssignsRefs},
	{"ObjectiveFilters", testObjectiveFilters},
	{"ModifyAddsAndRemovesKeyResults", testModifyAddsAndRemovesKeyResults},
	{"RefusedChangesWriteNothing", testRefusedChangesWriteNothing},
	{"FailedCreateUsesNoRef", testFailedCreateUsesNoRef},
	{"DeleteRemovesCheckIns", testDeleteRemovesCheckIns},
	{"DataSurvivesReopen", testDataSurvivesReopen},
	{"StatusAndDigestFields", testStatusAndDigestFields},
	{"ObjectiveHistory", testObjectiveHistory},
	{"TextIsData", testTextIsData},
	// Check-ins.
	{"CheckInOncePerWeek", testCheckInOncePerWeek},
	{"CheckInMovesItsKeyResult", testCheckInMovesItsKeyResult},
	{"CheckInsAreAllOrNothing", testCheckInsAreAllOrNothing},
	{"SkippedAnswersMoveOnlyConfidence", testSkippedAnswersMoveOnlyConfidence},
	{"ImportCheckIns", testImportCheckIns},
	{"CheckInFilters", testCheckInFilters},
	{"CheckInPoints", testCheckInPoints},
	{"LinesFollowEveryWrite", testLinesFollowEveryWrite},
	// KPIs.
	{"KPIValuesAndLatest", testKPIValuesAndLatest},
	{"KPIReadings", testKPIReadings},
	{"EditKPIKeepsValuesAndHistory", testEditKPIKeepsValuesAndHistory},
	// Data in and out: API tokens, idempotency keys, keyed values, sources, imports, exports.
	{"APITokens", testAPITokens},
	{"IdempotencyKeys", testIdempotencyKeys},
	{"KeyedKPIValuesLandOnce", testKeyedKPIValuesLandOnce},
	{"KPISources", testKPISources},
	{"ExportReads", testExportReads},
	{"ImportData", testImportData},
	{"ImportIsAllOrNothing", testImportIsAllOrNothing},
	// Installations, conversation references, request keys.
	{"InstallationTokensAreEncrypted", testInstallationTokensAreEncrypted},
	{"ConversationRefs", testConversationRefs},
	{"Remember", testRemember},
	// The outbox (its own suite, outbox/outboxtest), the next-due index,
	// learned paces, leases.
	{"Outbox", testOutbox},
	{"NextDueIndex", testNextDueIndex},
	{"PacesAreRemembered", testPacesAreRemembered},
	{"LeaseHandsOverWhenItExpires", testLeaseHandsOverWhenItExpires},
	// Races: what must hold with many writers at once.
	{"ConcurrentModifyLosesNothing", testConcurrentModifyLosesNothing},
	{"RefsAreUniqueUnderConcurrency", testRefsAreUniqueUnderConcurrency},
	{"FiftyUpdatesOfOneObjectiveAllLand", testFiftyUpdatesOfOneObjectiveAllLand},
	{"FiftyCheckInsOfOneKeyResultAgree", testFiftyCheckInsOfOneKeyResultAgree},
	{"LeaseHasOneWinner", testLeaseHasOneWinner},
	{"KPIHealthChangeHasOneWinner", testKPIHealthChangeHasOneWinner},
	{"IdempotencyTakeOverHasOneWinner", testIdempotencyTakeOverHasOneWinner},
}

// Run runs the whole suite against b, each test in parallel with the others.
func Run(t *testing.T, b Backend) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, b)
		})
	}
}

// objective stores an objective of one key result in workspace, owned by owner.
func objective(t *testing.T, st storage.Store, workspace, owner string) domain.Objective {
	t.Helper()
	o := domain.Objective{
		WorkspaceID: workspace, Title: "Grow Europe", Owner: owner, Cycle: "2026-Q4",
		Commitment: domain.Committed, Status: domain.Active, CreatedBy: owner,
		KeyResults: []domain.KeyResult{{Title: "Increase leads from 22 to 35", Kind: domain.Increase,
			Start: 22, Target: 35, Current: 22, Weight: 1, Owner: owner}},
	}
	if err := st.CreateObjective(ctx, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func mustCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if domain.ErrorCode(err) != code {
		t.Fatalf("%s: err = %v, want code %s", what, err, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
