package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jonboulle/clockwork"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/mongo"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// shutdownBudget bounds a graceful stop: SIGTERM to exit within 5 seconds.
const shutdownBudget = 4 * time.Second

const serveUsage = `Usage: okrbot [serve] [flags]

Runs the service: the HTTP routes (Slack, Teams, the API, /healthz, /readyz,
/metrics), Socket Mode when SLACK_APP_TOKEN is set, and the scheduler. Every
flag is also an environment variable (in brackets); a flag given wins.
`

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	cfg := bindConfig(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	log := newLogger(stderr)
	log.Info("starting okrbot", "version", versionString())
	tuneGC(log)

	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		t := time.Now()
		closeStore()
		log.Info("store closed", "took", time.Since(t).Round(time.Millisecond).String())
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	// Readiness: the store, and whatever else a front end needs before it
	// can answer (Teams: the Bot Framework's signing keys).
	var ready []readiness
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			log.Warn("store not reachable", "err", err)
			http.Error(w, "store not reachable", http.StatusServiceUnavailable)
			return
		}
		for _, c := range ready {
			if err := c.check(ctx); err != nil {
				log.Warn("not ready", "what", c.what, "err", err)
				http.Error(w, c.what+" not ready", http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// A recorded KPI value runs the alert job at once, once the scheduler exists.
	var sched atomic.Pointer[scheduler]
	svc := newService(st, cfg, log, func(context.Context, string, string) {
		if s := sched.Load(); s != nil {
			s.RunNow(rhythm.JobKPIAlerts)
		}
	}, newCommandMetrics(reg).observe)
	slackSender, err := setupSlack(ctx, cfg, st, svc, log, reg, mux)
	if err != nil {
		log.Error("slack not started", "err", err)
		return err
	}
	teamsSender, teamsReady, err := setupTeams(ctx, cfg, st, svc, log, reg, mux)
	if err != nil {
		log.Error("teams not started", "err", err)
		return err
	}
	if teamsReady != nil {
		ready = append(ready, readiness{"teams signing keys", teamsReady})
	}
	metrics := newRhythmMetrics(reg, st)
	en := newEngine(st, svc, map[domain.Platform]conversations.Sender{domain.Slack: slackSender, domain.Teams: teamsSender},
		engineOptions{Log: log.With("component", "rhythm"), Observe: metrics.observe})
	s, err := newScheduler(en, st, clockwork.NewRealClock(), log.With("component", "scheduler"))
	if err == nil {
		err = s.Start(ctx)
	}
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	sched.Store(s)
	defer func() {
		if err := s.Shutdown(); err != nil {
			log.Warn("scheduler shutdown", "err", err)
		}
	}()

	mountAPI(mux, svc, st, log)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           recoverer(log, mux),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopping := time.Now()
	defer func() { log.Info("stopped", "took", time.Since(stopping).Round(time.Millisecond).String()) }()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownBudget/2)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("http shutdown", "err", err)
	}
	return nil
}

// readiness is one check of GET /readyz.
type readiness struct {
	what  string
	check func(context.Context) error
}

// openStore opens the store: MongoDB at MONGODB_URI or, when it is unset,
// the embedded SQLite store in the data directory. Several okrbot processes
// on one data directory share the SQLite file directly (SQLite's own
// locking); none of them serves it to the others, so any of them can stop,
// or die, without the rest noticing.
func openStore(ctx context.Context, cfg *Config, log *slog.Logger) (storage.Store, func(), error) {
	// A first start on a directory of the earlier FerretDB store migrates
	// it, which may take a while.
	octx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var st storage.Store
	if cfg.MongoURI != "" {
		m, err := mongo.Open(octx, cfg.MongoURI, cfg.MongoDatabase, mongo.Options{Log: log})
		if err != nil {
			return nil, nil, err
		}
		log.Info("using MongoDB", "database", cfg.MongoDatabase, "transactions", m.Transactions())
		st = m
	} else {
		s, err := sqlite.Open(octx, cfg.DataDir, sqlite.Options{Log: unfiltered(log)})
		if err != nil {
			return nil, nil, fmt.Errorf("embedded store in %s: %w", cfg.DataDir, err)
		}
		log.Info("using the embedded store (SQLite); set MONGODB_URI to use MongoDB instead", "file", s.Path())
		st = s
	}
	closeStore := func() {
		cctx, cancel := context.WithTimeout(context.Background(), shutdownBudget/4)
		defer cancel()
		if err := st.Close(cctx); err != nil {
			log.Warn("closing the store", "err", err)
		}
	}
	return st, closeStore, nil
}

// unfiltered undoes a levelFilter: the console and jobs show only warnings,
// but what the store does to the data directory (a migration) is said in
// every command.
func unfiltered(log *slog.Logger) *slog.Logger {
	if f, ok := log.Handler().(levelFilter); ok {
		return slog.New(f.Handler)
	}
	return log
}

// newLogger logs JSON, or text when w is a terminal.
func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, nil))
		}
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// levelFilter drops records below a minimum level.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (l levelFilter) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.Handler.Enabled(ctx, lv)
}

func (l levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{l.Handler.WithAttrs(a), l.min}
}

func (l levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{l.Handler.WithGroup(n), l.min}
}

// recoverer turns a panic in a handler into a 500 and one log line.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
