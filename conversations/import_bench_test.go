package conversations_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// BenchmarkImportCompany imports a company of 1,000 people, 1,000
// objectives, 4,000 key results and 13 weeks of check-ins (52,000), 10
// KPIs with 910 values, from okrbot's CSV files into an empty embedded
// store: reading and checking every row, and writing it all in one
// transaction. The files are an export of a company seeded through the
// store (internal/seed), made once before the timing starts. See
// docs/benchmarks.md:
//
//	go test ./conversations -run '^$' -bench ImportCompany -benchtime 1x -count 3
//
// OKRBOT_BENCH_PEOPLE changes the company's size.
func BenchmarkImportCompany(b *testing.B) {
	people := 1000
	if _, err := fmt.Sscan(os.Getenv("OKRBOT_BENCH_PEOPLE"), &people); err != nil || people <= 0 {
		people = 1000
	}
	ctx := context.Background()
	at := time.Date(2025, 12, 19, 15, 0, 0, 0, time.UTC) // a Friday in the past: an import refuses the future
	src, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{Now: func() time.Time { return at }})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close(ctx)
	seedStart := time.Now()
	co, err := seed.Write(ctx, src, "slack:T0BENCH", seed.Size{People: people}, at, nil)
	if err != nil {
		b.Fatal(err)
	}
	exp, err := conversations.New(src, conversations.Options{Now: func() time.Time { return at }}).Export(ctx, co.Workspace, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded in %s and exported: %s", time.Since(seedStart).Round(time.Millisecond), exp.Summary())
	var bytes int
	for _, f := range exp.Files {
		bytes += len(f.Data)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dst, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		svc := conversations.New(dst, conversations.Options{})
		// The same without writing: reading and checking alone.
		checkStart := time.Now()
		if _, err := svc.Import(ctx, inputsOf(exp.Files), conversations.ImportOptions{DryRun: true}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(checkStart).Seconds(), "s/dry-run")
		b.StartTimer()
		start := time.Now()
		rep, err := svc.Import(ctx, inputsOf(exp.Files), conversations.ImportOptions{})
		took := time.Since(start)
		b.StopTimer()
		if err != nil || !rep.Written || len(rep.Problems) > 0 {
			b.Fatalf("import: %v %v", err, rep.Problems)
		}
		if rep.Create[csvio.FileCheckIns] != co.CheckIns || rep.Create[csvio.FileKeyResults] != len(co.KRs) {
			b.Fatalf("imported %v, want %d check-ins and %d key results", rep.Create, co.CheckIns, len(co.KRs))
		}
		b.ReportMetric(took.Seconds(), "s/import")
		b.ReportMetric(float64(co.CheckIns)/took.Seconds(), "checkins/s")
		b.Logf("imported %d people, %d key results, %d check-ins (%.1f MB of CSV) in %s", rep.Create[csvio.FilePeople],
			rep.Create[csvio.FileKeyResults], rep.Create[csvio.FileCheckIns], float64(bytes)/1e6, took.Round(time.Millisecond))
		dst.Close(ctx)
		b.StartTimer()
	}
}
