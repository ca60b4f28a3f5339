package storage

import (
	"context"
	"fmt"

	"github.com/okrbot/okrbot/domain"
)

// ObjectiveOfInitiative returns the objective holding the initiative ref
// ("I-4"). Initiatives live inside their key result, in the objective's
// document, so they are written and deleted with it.
func (s *Store) ObjectiveOfInitiative(ctx context.Context, workspace, ref string) (domain.Objective, error) {
	var o domain.Objective
	err := s.c(colObjectives).FindOne(ctx, and(ws(workspace), "key_results.initiatives.ref", ref)).Decode(&o)
	if err != nil {
		return o, fmt.Errorf("storage.ObjectiveOfInitiative: %s: %w", ref, notFound(err, "There is no initiative %s.", ref))
	}
	return o, nil
}
