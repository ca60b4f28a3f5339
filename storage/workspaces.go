package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// EnsureWorkspace stores w if no workspace with its id exists yet and returns
// the stored workspace either way.
func (s *Store) EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error) {
	const op = "storage.EnsureWorkspace"
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	var got domain.Workspace
	err := retryDup(func() error {
		return s.c(colWorkspaces).FindOneAndUpdate(ctx,
			bson.M{"_id": w.ID},
			bson.M{"$setOnInsert": bson.M{
				"platform": w.Platform, "external_id": w.ExternalID, "name": w.Name,
				"settings": w.Settings, "admins": w.Admins, "created_at": w.CreatedAt,
			}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
		).Decode(&got)
	})
	if err != nil {
		return domain.Workspace{}, fmt.Errorf("%s: %s: %w", op, w.ID, err)
	}
	return got, nil
}

// Workspace returns the workspace with id.
func (s *Store) Workspace(ctx context.Context, id string) (domain.Workspace, error) {
	var w domain.Workspace
	err := s.c(colWorkspaces).FindOne(ctx, bson.M{"_id": id}).Decode(&w)
	if err != nil {
		return w, fmt.Errorf("storage.Workspace: %s: %w", id, notFound(err, "This workspace is not set up yet."))
	}
	return w, nil
}

// Workspaces returns every workspace, for the scheduled jobs.
func (s *Store) Workspaces(ctx context.Context) ([]domain.Workspace, error) {
	out, err := findAll[domain.Workspace](ctx, s.c(colWorkspaces), bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.Workspaces: %w", err)
	}
	return out, nil
}

// SetWorkspaceName records the workspace's display name.
func (s *Store) SetWorkspaceName(ctx context.Context, id, name string) error {
	_, err := s.c(colWorkspaces).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"name": name}})
	if err != nil {
		return fmt.Errorf("storage.SetWorkspaceName: %s: %w", id, err)
	}
	return nil
}

// AddAdmin makes user an admin of the workspace (the person who installed okrbot).
func (s *Store) AddAdmin(ctx context.Context, workspace, user string) error {
	_, err := s.c(colWorkspaces).UpdateOne(ctx, bson.M{"_id": workspace}, bson.M{"$addToSet": bson.M{"admins": user}})
	if err != nil {
		return fmt.Errorf("storage.AddAdmin: %s: %w", workspace, err)
	}
	return nil
}

// SaveSettings replaces the workspace's rhythm settings.
func (s *Store) SaveSettings(ctx context.Context, workspace string, st domain.Settings) error {
	r, err := s.c(colWorkspaces).UpdateOne(ctx, bson.M{"_id": workspace}, bson.M{"$set": bson.M{"settings": st}})
	if err != nil {
		return fmt.Errorf("storage.SaveSettings: %s: %w", workspace, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("storage.SaveSettings: %s: %w", workspace, domain.NotFound("This workspace is not set up yet."))
	}
	return nil
}

// TeamSettings returns the team overrides of a workspace.
func (s *Store) TeamSettings(ctx context.Context, workspace string) ([]domain.TeamSettings, error) {
	out, err := findAll[domain.TeamSettings](ctx, s.c(colTeamSettings), ws(workspace))
	if err != nil {
		return nil, fmt.Errorf("storage.TeamSettings: %s: %w", workspace, err)
	}
	return out, nil
}

// SaveTeamSettings stores a team's override.
func (s *Store) SaveTeamSettings(ctx context.Context, t domain.TeamSettings) error {
	err := retryDup(func() error {
		_, err := s.c(colTeamSettings).UpdateOne(ctx, and(ws(t.WorkspaceID), "channel", t.Channel),
			bson.M{"$set": bson.M{"settings": t.Settings}}, options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SaveTeamSettings: %s %s: %w", t.WorkspaceID, t.Channel, err)
	}
	return nil
}

// SaveUser records a person's name and time zone as the platform reports
// them. It leaves their away state alone.
func (s *Store) SaveUser(ctx context.Context, u domain.User) error {
	set := bson.M{"updated_at": s.now()}
	if u.Name != "" {
		set["name"] = u.Name
	}
	if u.TimeZone != "" {
		set["timezone"] = u.TimeZone
	}
	err := retryDup(func() error {
		_, err := s.c(colUsers).UpdateOne(ctx, byID(key(u.WorkspaceID, u.ID)),
			bson.M{"$set": set, "$setOnInsert": bson.M{"workspace": u.WorkspaceID, "user": u.ID}}, options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SaveUser: %s %s: %w", u.WorkspaceID, u.ID, err)
	}
	return nil
}

// User returns a person of the workspace.
func (s *Store) User(ctx context.Context, workspace, id string) (domain.User, error) {
	var u domain.User
	err := s.c(colUsers).FindOne(ctx, byID(key(workspace, id))).Decode(&u)
	if err != nil {
		return u, fmt.Errorf("storage.User: %s %s: %w", workspace, id, notFound(err, "okrbot does not know that person yet."))
	}
	return u, nil
}

// Users returns the people of a workspace, or those with the given ids.
func (s *Store) Users(ctx context.Context, workspace string, ids ...string) ([]domain.User, error) {
	f := ws(workspace)
	if len(ids) > 0 {
		f["user"] = bson.M{"$in": ids}
	}
	out, err := findAll[domain.User](ctx, s.c(colUsers), f, options.Find().SetSort(bson.D{{Key: "user", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.Users: %s: %w", workspace, err)
	}
	return out, nil
}

// SetAway pauses a person's prompts until the given moment (zero: back now).
func (s *Store) SetAway(ctx context.Context, workspace, user string, until time.Time) error {
	onInsert := bson.M{"workspace": workspace, "user": user}
	upd := bson.M{"$set": bson.M{"away_until": until, "updated_at": s.now()}, "$setOnInsert": onInsert}
	if until.IsZero() {
		upd = bson.M{"$unset": bson.M{"away_until": ""}, "$set": bson.M{"updated_at": s.now()}, "$setOnInsert": onInsert}
	}
	err := retryDup(func() error {
		_, err := s.c(colUsers).UpdateOne(ctx, byID(key(workspace, user)), upd, options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SetAway: %s %s: %w", workspace, user, err)
	}
	return nil
}

// NextRef returns the next ref of a kind in the workspace: "O-13", "KR-32".
// Each ref is claimed once and for ever, so refs are unique even with several
// writers, and never reused, even after a delete. The counter document is
// only a hint of where to start looking.
func (s *Store) NextRef(ctx context.Context, workspace, prefix string) (string, error) {
	const op = "storage.NextRef"
	prefix = strings.ToUpper(prefix)
	id := workspace + "/" + prefix
	var hint struct {
		Seq int64 `bson:"seq"`
	}
	err := s.c(colCounters).FindOne(ctx, bson.M{"_id": id}).Decode(&hint)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return "", fmt.Errorf("%s: %s: %w", op, id, err)
	}
	for n := hint.Seq + 1; ; n++ {
		ref := fmt.Sprintf("%s-%d", prefix, n)
		won, err := s.claim(ctx, "ref/"+workspace+"/"+ref)
		if err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		if !won {
			continue
		}
		err = retryDup(func() error {
			_, err := s.c(colCounters).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$max": bson.M{"seq": n}}, options.UpdateOne().SetUpsert(true))
			return err
		})
		if err != nil {
			return "", fmt.Errorf("%s: %s: %w", op, id, err)
		}
		return ref, nil
	}
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
	if err != nil {
		return fmt.Errorf("storage.Subscribe: %s %s: %w", sub.WorkspaceID, sub.Channel, err)
	}
	return nil
}

// Unsubscribe stops a channel's digest. It reports whether there was one.
func (s *Store) Unsubscribe(ctx context.Context, workspace, channel string) (bool, error) {
	r, err := s.c(colSubscriptions).DeleteOne(ctx, and(ws(workspace), "channel", channel))
	if err != nil {
		return false, fmt.Errorf("storage.Unsubscribe: %s %s: %w", workspace, channel, err)
	}
	return r.DeletedCount > 0, nil
}

// Subscriptions returns the channels of a workspace that receive the digest.
func (s *Store) Subscriptions(ctx context.Context, workspace string) ([]domain.Subscription, error) {
	out, err := findAll[domain.Subscription](ctx, s.c(colSubscriptions), ws(workspace), options.Find().SetSort(bson.D{{Key: "channel", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.Subscriptions: %s: %w", workspace, err)
	}
	return out, nil
}
