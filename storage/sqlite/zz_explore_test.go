package sqlite

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func TestZZReset(t *testing.T) {
	src := os.Getenv("ZZ_DB")
	if src == "" {
		t.Skip()
	}
	dir := t.TempDir()
	in, _ := os.Open(src)
	out, _ := os.Create(filepath.Join(dir, FileName))
	io.Copy(out, in)
	out.Close()
	in.Close()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	ws := "slack:T0001"
	people := []string{"U00010", "U00020", "U00030", "U00040", "U00050"}
	read := func(p string) {
		os_, _ := s.Objectives(ctx, ws, domain.ObjectiveFilter{Person: p})
		var krs []string
		for _, o := range os_ {
			for _, k := range o.KeyResults {
				krs = append(krs, k.Ref)
			}
		}
		s.Workspace(ctx, ws)
		s.CheckInPoints(ctx, ws, krs, time.Now().AddDate(0, -5, 0))
	}
	i := 0
	for round := 0; round < 1; round++ {
		for _, write := range []bool{os.Getenv("ZZ_WRITE") != ""} {
			var d time.Duration
			for n := 0; n < 300; n++ {
				if write {
					i++
					s.Remember(ctx, fmt.Sprint("k", i))
				}
				t0 := time.Now()
				read(people[n%len(people)])
				d += time.Since(t0)
			}
			t.Logf("write=%v reads %v per request", write, d/300)
		}
	}
}
