// Package conversations is everything a person experiences with okrbot,
// without any chat platform: the /okr and /kpi commands, the check-in
// dialog, the digest, prompts, reminders and alerts. Adapters translate a
// platform's requests into calls of Service and render the neutral Message
// it returns.
package conversations

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/okrbot/okrbot/conversations/chart"
	"github.com/okrbot/okrbot/domain"
)

// WorkspaceStore keeps workspaces, their people and settings.
type WorkspaceStore interface {
	EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error)
	Workspace(ctx context.Context, id string) (domain.Workspace, error)
	SaveSettings(ctx context.Context, workspace string, s domain.Settings) error
	TeamSettings(ctx context.Context, workspace string) ([]domain.TeamSettings, error)
	SaveTeamSettings(ctx context.Context, t domain.TeamSettings) error
	SaveUser(ctx context.Context, u domain.User) error
	User(ctx context.Context, workspace, id string) (domain.User, error)
	Users(ctx context.Context, workspace string, ids ...string) ([]domain.User, error)
	SetAway(ctx context.Context, workspace, user string, until time.Time) error
	// AwayPeriods returns when people were away, from their away history.
	AwayPeriods(ctx context.Context, workspace string, ids ...string) ([]domain.AwayPeriod, error)
	Subscribe(ctx context.Context, s domain.Subscription) error
	Unsubscribe(ctx context.Context, workspace, channel string) (bool, error)
	Subscriptions(ctx context.Context, workspace string) ([]domain.Subscription, error)
}

// ObjectiveStore keeps objectives with their key results, and check-ins.
// The store hands out refs (O-n, KR-n) to new objectives and key results in
// the same transaction that stores them, so a refused command uses none.
type ObjectiveStore interface {
	CreateObjective(ctx context.Context, o *domain.Objective) error
	Objective(ctx context.Context, workspace, ref string) (domain.Objective, error)
	ObjectiveOfKR(ctx context.Context, workspace, krRef string) (domain.Objective, error)
	Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error)
	ModifyObjective(ctx context.Context, workspace, ref string, change func(*domain.Objective) error) (domain.Objective, error)
	DeleteObjective(ctx context.Context, workspace, ref string) error
	DeleteKeyResult(ctx context.Context, workspace, krRef string) (domain.Objective, error)
	// SaveCheckIns stores check-ins with the key results they move, the
	// confidences of skipped answers (no value, no check-in), and the week
	// note, as one change.
	SaveCheckIns(ctx context.Context, cs, skipped []domain.CheckIn, note domain.WeekNote) error
	WeekNotes(ctx context.Context, workspace string, week domain.Week) ([]domain.WeekNote, error)
	// ObjectiveOfInitiative returns the objective holding the initiative ref ("I-4").
	ObjectiveOfInitiative(ctx context.Context, workspace, ref string) (domain.Objective, error)
	CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error)
	// CheckInPoints returns the progress lines of key results since a
	// moment: domain.WeeklyPoints of their check-ins since then.
	CheckInPoints(ctx context.Context, workspace string, krs []string, since time.Time) (map[string][]domain.Point, error)
}

// KPIStore keeps KPIs and their values.
type KPIStore interface {
	CreateKPI(ctx context.Context, k domain.KPI) error
	KPI(ctx context.Context, workspace, slug string) (domain.KPI, error)
	// KPIs lists a workspace's KPIs that are not archived.
	KPIs(ctx context.Context, workspace string, slugs ...string) ([]domain.KPI, error)
	// EditKPI stores the editable fields of k (name, unit, direction,
	// target, thresholds, cadence, owner, team, archived) and appends
	// changes to its history, leaving its values and health alone.
	EditKPI(ctx context.Context, k domain.KPI, changes []domain.Change) error
	AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error)
	KPIValues(ctx context.Context, workspace, slug string, limit int) ([]domain.KPIValue, error)
	KPIReadings(ctx context.Context, workspace string, slugs []string, since time.Time, limit int) (map[string][]domain.KPIValue, error)
}

// Deduper remembers keys so that a repeated request has one effect.
type Deduper interface {
	// Remember records key and reports whether it was new.
	Remember(ctx context.Context, key string) (bool, error)
	// Forget removes key, so that a request that failed can be retried.
	Forget(ctx context.Context, key string) error
}

// Store is everything the conversations need from storage.
type Store interface {
	WorkspaceStore
	ObjectiveStore
	KPIStore
	Deduper
	TokenStore
	SourceStore
	DataStore
}

// Options tune a Service. Zero values give the product's defaults.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TimeZone of new workspaces (IANA); UTC when empty.
	TimeZone string
	// Log receives internal errors, logged once here and never shown to people.
	Log *slog.Logger
	// Chart renders the digest's chart (chart.Render); no chart when nil.
	Chart func(chart.Chart) ([]byte, error)
	// KPIChanged is called after a KPI value is recorded, so that an alert
	// can go out at once rather than at the next scheduled check.
	KPIChanged func(ctx context.Context, workspace, slug string)
	// Observe, when set, hears the outcome of every command, action and
	// form submission: what ("okr", "kpi", "action", "submit") and the
	// reply's error code ("" for success), for okrbot_command_errors_total.
	Observe func(what, code string)
	// Sources fetches KPI sources (*sources.Fetcher); FetchSources
	// fetches nothing when nil.
	Sources Fetcher
	// Admins are user ids that administer every workspace they are in
	// (OKRBOT_ADMINS), beside those the platform names (Slack admins and
	// owners, the person who installed okrbot).
	Admins []string
}

// Service runs the conversations. It is safe for concurrent use.
type Service struct {
	store Store
	opt   Options
	seen  sync.Map // workspace id/user id -> name|tz last saved, to skip redundant writes
	// helps keeps /okr help's messages by platform and dates (help.go).
	helps     sync.Map
	helpCount atomic.Int64
	// touched holds when each API token's last use was written (api_tokens.go).
	touched sync.Map
}

// New returns a Service over store.
func New(store Store, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.TimeZone == "" {
		opt.TimeZone = "UTC"
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, opt: opt}
}

// Actor is the person acting and where, as the platform reports it.
type Actor struct {
	Platform  domain.Platform
	Workspace string // Slack team id, Teams tenant id
	// WorkspaceName is the workspace's name on the platform when the
	// adapter knows it (Slack's team name): a new workspace is set up with
	// it, and an export writes it.
	WorkspaceName string
	User          string // platform user id
	Channel       string // channel or conversation where it happened; "" for a DM or the console
	// ChannelName is the channel's name when the platform gives it
	// ("growth"); digests and charts name the team by it.
	ChannelName string
	Name        string // display name, when known
	TimeZone    string // IANA time zone, when known
	Admin       bool   // the platform says the person administers the workspace
	// Directory answers what only the platform knows (people's names,
	// channel names, whether okrbot is in a channel); nil when nothing can
	// be asked, and then nothing is checked against the platform.
	Directory Directory
}

// WorkspaceID returns the store's id of the actor's workspace.
func (a Actor) WorkspaceID() string { return domain.WorkspaceID(a.Platform, a.Workspace) }

// session is one request's view of the world.
type session struct {
	*Service
	ctx   context.Context
	actor Actor
	ws    domain.Workspace
	now   time.Time
	loc   *time.Location // the actor's time zone, else the workspace's
	wsLoc *time.Location
	// myWeek caches week().
	myWeek domain.Week
	// fill is what example fills in for each placeholder.
	fill [][2]string
	// kpiPoints caches judge's weekly points of a KPI's values, by the
	// slice read (its first element and length): every key result that
	// follows that KPI in one answer is judged on the same points.
	kpiPoints map[kpiRead][]domain.Point
}

// kpiRead names one read of a KPI's values.
type kpiRead struct {
	first *domain.KPIValue
	n     int
}

func (s *Service) begin(ctx context.Context, a Actor) (*session, error) {
	if a.Workspace == "" || a.User == "" {
		return nil, fmt.Errorf("conversations: actor without workspace or user: %+v", a)
	}
	ws, err := s.store.EnsureWorkspace(ctx, domain.Workspace{
		ID: a.WorkspaceID(), Platform: a.Platform, ExternalID: a.Workspace, Name: a.WorkspaceName,
		Settings: domain.DefaultSettings(s.opt.TimeZone),
	})
	if err != nil {
		return nil, err
	}
	key := ws.ID + "/" + a.User
	if v, ok := s.seen.Load(key); !ok || v != a.Name+"|"+a.TimeZone {
		if err := s.store.SaveUser(ctx, domain.User{WorkspaceID: ws.ID, ID: a.User, Name: a.Name, TimeZone: a.TimeZone}); err != nil {
			return nil, err
		}
		s.seen.Store(key, a.Name+"|"+a.TimeZone)
	}
	ss := &session{Service: s, ctx: ctx, actor: a, ws: ws, now: s.opt.Now()}
	ss.wsLoc = loadLocation(ws.Settings.TimeZone)
	ss.loc = ss.wsLoc
	tz := a.TimeZone
	if tz == "" {
		if u, err := s.store.User(ctx, ws.ID, a.User); err == nil {
			tz = u.TimeZone
		}
	}
	if tz != "" {
		ss.loc = loadLocation(tz)
	}
	return ss, nil
}

func loadLocation(name string) *time.Location { return domain.Location(name) }

// week is the actor's check-in week at the session's moment (see personal).
func (ss *session) week() domain.Week {
	if ss.myWeek != "" {
		return ss.myWeek
	}
	set, loc := ss.ws.Settings, ss.loc
	teams, err := ss.teamSettings(ss.ctx, ss.ws.ID)
	if err == nil && len(teams) > 0 {
		team := ""
		if os, err := ss.ownedKRs(ss.actor.User); err == nil && len(os) > 0 {
			team = os[0].Team
		}
		tz := ss.actor.TimeZone
		if tz == "" {
			if u, err := ss.store.User(ss.ctx, ss.ws.ID, ss.actor.User); err == nil {
				tz = u.TimeZone
			}
		}
		set, loc = personal(ss.ws, teams, team, tz)
	}
	ss.myWeek = domain.CheckInWeek(ss.now, loc, set.CheckIn.Weekday)
	return ss.myWeek
}

// isAdmin reports whether the actor administers the workspace.
func (ss *session) isAdmin() bool {
	return ss.actor.Admin || ss.ws.IsAdmin(ss.actor.User) || slices.Contains(ss.opt.Admins, ss.actor.User)
}

// mayChange checks that the actor owns the objective or administers the workspace.
func (ss *session) mayChange(o domain.Objective, what string) error {
	if o.Owner == ss.actor.User || ss.isAdmin() {
		return nil
	}
	return domain.Errorf(domain.EFORBIDDEN, "Only the owner of %s (%s) or a workspace admin can %s it.", o.Ref, ss.name(o.Owner), what)
}

// name returns a person's display name as okrbot knows it, else their id.
func (ss *session) name(user string) string {
	if user == ss.actor.User && ss.actor.Name != "" {
		return ss.actor.Name
	}
	if u, err := ss.store.User(ss.ctx, ss.ws.ID, user); err == nil && u.Name != "" {
		return u.Name
	}
	return user
}

// names resolves many people at once.
func (ss *session) names(ids []string) map[string]string {
	out := map[string]string{}
	users, err := ss.store.Users(ss.ctx, ss.ws.ID, ids...)
	if err == nil {
		for _, u := range users {
			if u.Name != "" {
				out[u.ID] = u.Name
			}
		}
	}
	for _, id := range ids {
		if out[id] == "" {
			out[id] = id
		}
	}
	if ss.actor.Name != "" {
		out[ss.actor.User] = ss.actor.Name
	}
	return out
}

// cmd returns the command prefix people type on this platform: "/okr" on
// Slack and in the console, "okr" on Teams.
func (ss *session) cmd(name string) string {
	if ss.actor.Platform == domain.Teams {
		return name
	}
	return "/" + name
}

// example fills in an example's dates relative to today ({date}: in two
// weeks, {yesterday}, {cycle}: this quarter) and adapts it to the platform
// ("/okr …" becomes "okr …" on Teams).
func (ss *session) example(e string) string {
	if e == "" {
		return e
	}
	if strings.Contains(e, "{") {
		if ss.fill == nil {
			// Worked out once per session: /okr help fills in twenty
			// examples. (A strings.Replacer was most of help's memory.)
			today := ss.now.In(ss.loc)
			ss.fill = [][2]string{
				{"{cycle}", string(domain.CycleOf(ss.now, ss.wsLoc))},
				{"{date}", today.AddDate(0, 0, 14).Format(time.DateOnly)},
				{"{yesterday}", today.AddDate(0, 0, -1).Format(time.DateOnly)},
			}
		}
		for _, f := range ss.fill {
			if strings.Contains(e, f[0]) {
				e = strings.ReplaceAll(e, f[0], f[1])
			}
		}
	}
	if ss.actor.Platform == domain.Teams && (strings.HasPrefix(e, "/okr") || strings.HasPrefix(e, "/kpi")) {
		return e[1:]
	}
	return e
}

func (s *Service) observe(what string, r Reply) {
	if s.opt.Observe != nil {
		s.opt.Observe(what, r.Code)
	}
}

// fail turns an error into the one-line answer a person sees. Internal
// errors are logged here, once, and shown only as "Internal error".
func (ss *session) fail(err error, usageExample string) Reply {
	example := domain.ErrorExample(err)
	if example == "" {
		example = usageExample
	}
	return ss.Service.fail(ss.ctx, ss.actor, err, ss.example(example))
}

// ask answers an input that can be read more than one way (EAMBIGUOUS):
// what is open, then one line per reading with the exact command that
// means it, built by command. Any other error is a plain failure.
func (ss *session) ask(err error, usageExample string, command func(domain.Choice) string) Reply {
	if domain.ErrorCode(err) != domain.EAMBIGUOUS {
		return ss.fail(err, usageExample)
	}
	msg := domain.ErrorMessage(err)
	lines := []Text{T(msg + " Nothing was saved.")}
	for _, c := range domain.ErrorChoices(err) {
		lines = append(lines, Text{}.Add("• "+c.Meaning+": ").AddCode(ss.example(command(c))))
	}
	return Reply{Code: domain.EAMBIGUOUS, Message: &Message{Summary: msg, Sections: []Section{{Lines: lines}}}}
}

func (s *Service) fail(ctx context.Context, a Actor, err error, example string) Reply {
	code := domain.ErrorCode(err)
	if code == domain.EINTERNAL {
		s.opt.Log.ErrorContext(ctx, "internal error", "workspace", a.WorkspaceID(), "user", a.User, "err", err)
		return Reply{Code: code, Message: Lines("Something went wrong", T("Something went wrong on okrbot's side; nothing was changed. Please try again in a moment."))}
	}
	if code == domain.EBUSY {
		return Reply{Code: code, Message: Lines("okrbot is busy", T("okrbot is busy right now; nothing was changed. Please try again in a moment."))}
	}
	if code == domain.EUNAVAILABLE {
		// Not the person's mistake: an example of the command would mislead.
		return Reply{Code: code, Message: Lines("okrbot cannot save right now", T(domain.ErrorMessage(err)))}
	}
	msg := domain.ErrorMessage(err)
	if example == "" {
		example = domain.ErrorExample(err)
	}
	if a.Platform == domain.Teams && (strings.HasPrefix(example, "/okr") || strings.HasPrefix(example, "/kpi")) {
		example = example[1:]
	}
	line := T(msg)
	if cs := domain.ErrorChoices(err); len(cs) > 0 {
		// Asked without a command to build: each reading as it is written.
		lines := []Text{T(msg + " Nothing was saved.")}
		for _, c := range cs {
			lines = append(lines, Text{}.Add("• "+c.Meaning+": ").AddCode(strings.TrimSpace(c.Text+" "+c.Options)))
		}
		return Reply{Code: code, Message: &Message{Summary: msg, Sections: []Section{{Lines: lines}}}}
	}
	if example != "" && code != domain.EFORBIDDEN {
		line = line.Add(" Example: ").AddCode(example)
	}
	return Reply{Code: code, Message: Lines(msg, line)}
}
