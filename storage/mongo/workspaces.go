package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// EnsureWorkspace stores w if no workspace with its id exists yet and returns
// the stored workspace either way (one upsert with $setOnInsert).
func (s *Store) EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error) {
	const op = "mongo.EnsureWorkspace"
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	var got workspaceDoc
	set := bson.M{"platform": string(w.Platform), "external_id": w.ExternalID, "settings": fromSettings(w.Settings), "created_at": w.CreatedAt}
	if w.Name != "" {
		set["name"] = w.Name
	}
	if len(w.Admins) > 0 {
		set["admins"] = w.Admins
	}
	err := retryDup(func() error {
		return s.c(colWorkspaces).FindOneAndUpdate(ctx, byID(w.ID), bson.M{"$setOnInsert": set},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&got)
	})
	if err != nil {
		return domain.Workspace{}, fail(ctx, op, fmt.Errorf("%s: %w", w.ID, err))
	}
	return got.domain(), nil
}

// Workspace returns the workspace with id.
func (s *Store) Workspace(ctx context.Context, id string) (domain.Workspace, error) {
	var d workspaceDoc
	err := s.c(colWorkspaces).FindOne(ctx, byID(id)).Decode(&d)
	if err != nil {
		return domain.Workspace{}, fail(ctx, "mongo.Workspace: "+id, err, "This workspace is not set up yet.")
	}
	return d.domain(), nil
}

// Workspaces returns every workspace, for the scheduled jobs.
func (s *Store) Workspaces(ctx context.Context) ([]domain.Workspace, error) {
	ds, err := findAll[workspaceDoc](ctx, s.c(colWorkspaces), bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, "mongo.Workspaces", err)
	}
	return mapDocs(ds), nil
}

// AddAdmin makes user an admin of the workspace (the person who installed okrbot).
func (s *Store) AddAdmin(ctx context.Context, workspace, user string) error {
	_, err := s.c(colWorkspaces).UpdateOne(ctx, byID(workspace), bson.M{"$addToSet": bson.M{"admins": user}})
	return fail(ctx, "mongo.AddAdmin: "+workspace, err)
}

// NameWorkspace records the workspace's name.
func (s *Store) NameWorkspace(ctx context.Context, id, name string) error {
	r, err := s.c(colWorkspaces).UpdateOne(ctx, byID(id), bson.M{"$set": bson.M{"name": name}})
	if err != nil {
		return fail(ctx, "mongo.NameWorkspace: "+id, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("mongo.NameWorkspace: %s: %w", id, domain.NotFound("This workspace is not set up yet."))
	}
	return nil
}

// SaveSettings replaces the workspace's rhythm settings.
func (s *Store) SaveSettings(ctx context.Context, workspace string, st domain.Settings) error {
	r, err := s.c(colWorkspaces).UpdateOne(ctx, byID(workspace), bson.M{"$set": bson.M{"settings": fromSettings(st)}})
	if err != nil {
		return fail(ctx, "mongo.SaveSettings: "+workspace, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("mongo.SaveSettings: %s: %w", workspace, domain.NotFound("This workspace is not set up yet."))
	}
	return nil
}

// TeamSettings returns the team overrides of a workspace.
func (s *Store) TeamSettings(ctx context.Context, workspace string) ([]domain.TeamSettings, error) {
	ds, err := findAll[teamSettingsDoc](ctx, s.c(colTeamSettings), ws(workspace), options.Find().SetSort(bson.D{{Key: "channel", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, "mongo.TeamSettings: "+workspace, err)
	}
	out := make([]domain.TeamSettings, len(ds))
	for i, d := range ds {
		out[i] = domain.TeamSettings{WorkspaceID: d.Workspace, Channel: d.Channel, Settings: d.Settings.domain(), Lead: d.Lead}
	}
	return out, nil
}

// SaveTeamSettings stores a team's override.
func (s *Store) SaveTeamSettings(ctx context.Context, t domain.TeamSettings) error {
	err := retryDup(func() error {
		_, err := s.c(colTeamSettings).UpdateOne(ctx, and(ws(t.WorkspaceID), "channel", t.Channel),
			bson.M{"$set": bson.M{"settings": fromSettings(t.Settings), "lead": t.Lead}}, options.UpdateOne().SetUpsert(true))
		return err
	})
	return fail(ctx, "mongo.SaveTeamSettings: "+t.WorkspaceID+" "+t.Channel, err)
}

// SaveUser records a person's name, email and time zone as the platform
// (or an import) reports them. It leaves their away state alone.
func (s *Store) SaveUser(ctx context.Context, u domain.User) error {
	set := bson.M{"updated_at": s.now()}
	if u.Name != "" {
		set["name"] = u.Name
	}
	if u.Email != "" {
		set["email"] = u.Email
	}
	if u.TimeZone != "" {
		set["timezone"] = u.TimeZone
	}
	err := retryDup(func() error {
		_, err := s.c(colUsers).UpdateOne(ctx, byID(key(u.WorkspaceID, u.ID)),
			bson.M{"$set": set, "$setOnInsert": bson.M{"workspace": u.WorkspaceID, "user": u.ID}}, options.UpdateOne().SetUpsert(true))
		return err
	})
	return fail(ctx, "mongo.SaveUser: "+u.WorkspaceID+" "+u.ID, err)
}

// User returns a person of the workspace.
func (s *Store) User(ctx context.Context, workspace, id string) (domain.User, error) {
	var d userDoc
	err := s.c(colUsers).FindOne(ctx, byID(key(workspace, id))).Decode(&d)
	if err != nil {
		return domain.User{}, fail(ctx, "mongo.User: "+workspace+" "+id, err, "okrbot does not know that person yet.")
	}
	return d.domain(), nil
}

// Users returns the people of a workspace, or those with the given ids.
func (s *Store) Users(ctx context.Context, workspace string, ids ...string) ([]domain.User, error) {
	f := ws(workspace)
	if len(ids) > 0 {
		f["user"] = bson.M{"$in": ids}
	}
	ds, err := findAll[userDoc](ctx, s.c(colUsers), f, options.Find().SetSort(bson.D{{Key: "user", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, "mongo.Users: "+workspace, err)
	}
	return mapDocs(ds), nil
}

// SetAway pauses a person's prompts until the given moment (zero: back
// now) and pushes the change on their away history, in one update of their
// document.
func (s *Store) SetAway(ctx context.Context, workspace, user string, until time.Time) error {
	now := s.now()
	onInsert := bson.M{"workspace": workspace, "user": user}
	log := bson.M{"away_log": awayChangeDoc{At: now, Until: until}}
	upd := bson.M{"$set": bson.M{"away_until": until, "updated_at": now}, "$setOnInsert": onInsert, "$push": log}
	if until.IsZero() {
		upd = bson.M{"$unset": bson.M{"away_until": ""}, "$set": bson.M{"updated_at": now}, "$setOnInsert": onInsert, "$push": log}
	}
	err := retryDup(func() error {
		_, err := s.c(colUsers).UpdateOne(ctx, byID(key(workspace, user)), upd, options.UpdateOne().SetUpsert(true))
		return err
	})
	return fail(ctx, "mongo.SetAway: "+workspace+" "+user, err)
}

// Subscribe makes a channel receive the weekly digest (or changes whether it
// gets the company roll-up).
func (s *Store) Subscribe(ctx context.Context, sub domain.Subscription) error {
	if sub.At.IsZero() {
		sub.At = s.now()
	}
	err := retryDup(func() error {
		_, err := s.c(colSubscriptions).UpdateOne(ctx, and(ws(sub.WorkspaceID), "channel", sub.Channel),
			bson.M{"$set": bson.M{"company": sub.Company, "name": sub.Name, "by": sub.By, "at": sub.At}}, options.UpdateOne().SetUpsert(true))
		return err
	})
	return fail(ctx, "mongo.Subscribe: "+sub.WorkspaceID+" "+sub.Channel, err)
}

// Unsubscribe stops a channel's digest. It reports whether there was one.
func (s *Store) Unsubscribe(ctx context.Context, workspace, channel string) (bool, error) {
	r, err := s.c(colSubscriptions).DeleteOne(ctx, and(ws(workspace), "channel", channel))
	if err != nil {
		return false, fail(ctx, "mongo.Unsubscribe: "+workspace+" "+channel, err)
	}
	return r.DeletedCount > 0, nil
}

// Subscriptions returns the channels of a workspace that receive the digest.
func (s *Store) Subscriptions(ctx context.Context, workspace string) ([]domain.Subscription, error) {
	ds, err := findAll[subscriptionDoc](ctx, s.c(colSubscriptions), ws(workspace), options.Find().SetSort(bson.D{{Key: "channel", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, "mongo.Subscriptions: "+workspace, err)
	}
	out := make([]domain.Subscription, len(ds))
	for i, d := range ds {
		out[i] = domain.Subscription{WorkspaceID: d.Workspace, Channel: d.Channel, Name: d.Name, Company: d.Company, By: d.By, At: d.At}
	}
	return out, nil
}
