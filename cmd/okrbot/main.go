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

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `okrbot runs OKR check-ins, digests and KPI alerts in Slack and Microsoft Teams.

Usage:
  okrbot [serve] [flags]          run the service (default)
  okrbot console [flags]          type /okr and /kpi commands in a terminal
  okrbot jobs run <job> [--at T]  run one scheduled job once (checkin-prompts, reminders, digests, kpi-alerts)
  okrbot teams-package [--out F]  build the Teams app package
  okrbot export [--cycle C] [--workspace W] [--out DIR]
                                  write a workspace's data as CSV files
  okrbot version                  print the version

Run "okrbot <command> -h" for a command's flags.
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		cmd, rest = rest[0], rest[1:]
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
	case "version":
		fmt.Fprintln(stdout, "okrbot", versionString())
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
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
