package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// A busy store is worth retrying in a moment; a store that cannot save
// (its file is gone) waits for an operator, and its 503 must not say
// "Retry-After" as if it would clear by itself.
func TestRetryAfterOnlyWhenRetryingHelps(t *testing.T) {
	for _, c := range []struct {
		code string
		want string
	}{
		{domain.EBUSY, "5"},
		{domain.EUNAVAILABLE, ""},
	} {
		a := &API{}
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/v1/kpis/x/values", nil)
		a.write(w, r, conversations.Caller{}, http.StatusCreated, domain.Errorf(c.code, "store says no"))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != c.want {
			t.Errorf("%s: %d, Retry-After %q, want 503 and %q", c.code, w.Code, w.Header().Get("Retry-After"), c.want)
		}
	}
}
