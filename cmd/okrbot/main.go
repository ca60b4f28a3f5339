// Command okrbot runs the okrbot service and its tools. See the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "okrbot:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks an error in how okrbot was called (exit status 2).
type usageError struct{ error }

// Unwrap lets errors.Is see a help request (flag.ErrHelp) through it.
func (u usageError) Unwrap() error { return u.error }

// exitCode is 0 for a help request (-h shows the flags and succeeds), 2
// for a usage error, 1 for anything else.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

const usage = `okrbot runs OKR check-ins, digests and KPI alerts in Slack and Microsoft Teams.

Usage:
  okrbot [serve] [flags]          run the service (default)
  okrbot console [flags]          type /okr and /kpi commands in a terminal
  okrbot jobs run <job> [--at T]  run one scheduled job once (checkin-prompts, reminders, digests, kpi-alerts, kpi-sources,
                                  escalations)
  okrbot teams-package [--out F]  build the Teams app package
  okrbot export [--cycle C] [--workspace W] [--out DIR]
                                  write a workspace's data as CSV files
  okrbot import DIR [--dry-run] [--skip-bad-rows] [--workspace W]
                                  read them back (every row checked first)
  okrbot token create|list|revoke --workspace W [NAME]
                                  the HTTP API's tokens
  okrbot backup FILE              a consistent copy of the embedded store, safe while okrbot runs
  okrbot version                  print the version
  okrbot help                     print this

Run "okrbot <command> -h" for a command's flags.
`

// commands are okrbot's subcommands, for "did you mean".
var commands = []string{"serve", "console", "jobs", "teams-package", "export", "import", "token", "backup", "version", "help"}

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		cmd, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 && cmd == "serve" && len(args) > 1 && args[1] == rest[0] {
		// "okrbot -h" asks about okrbot, not about serve's flags.
		switch rest[0] {
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "console":
		return runConsole(ctx, rest, getenv, stdin, stdout, stderr)
	case "jobs":
		return runJobs(ctx, rest, getenv, stdout, stderr)
	case "teams-package":
		return runTeamsPackage(rest, getenv, stdout, stderr)
	case "export":
		return runExport(ctx, rest, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	if guess := didYouMean(cmd, commands); guess != "" {
		return usageError{fmt.Errorf("unknown command %q; did you mean %q?", cmd, guess)}
	}
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

const versionUsage = `Usage: okrbot version

Prints the version of this okrbot binary (set at build time, else the
module's version, else "dev").
`

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, versionUsage) }
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected %q; okrbot version takes nothing (example: okrbot version)", fs.Arg(0))}
	}
	fmt.Fprintln(stdout, "okrbot", versionString())
	return nil
}

// didYouMean returns the one of known within two edits of word, if any.
func didYouMean(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(word, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
