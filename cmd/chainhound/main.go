// Command chainhound is the blockchain-intelligence CLI: ingest chains into an
// embedded value-flow store, then query and analyse it.
//
// This package only parses flags and wires the internal packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/chainhound/chainhound/internal/watch"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitPolicy      = 3 // a --fail-on threshold was reached
	exitInterrupted = 130
)

// command is one `chainhound <area> <verb>` entry.
type command struct {
	name    string // "ingest eth"
	summary string
	usage   string // arguments after the name
	example string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: its output streams and logger.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

// usageError marks a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func commands() []command {
	return []command{
		ingestEthCommand(),
		ingestBTCCommand(),
		ingestEdgesCommand(),
		exportTransfersCommand(),
		addressCommand(),
		txCommand(),
		benchIngestEthCommand(),
		benchIngestBTCCommand(),
		benchClusterCommand(),
		benchTraceCommand(),
		benchServeCommand(),
		benchAccuracyCommand(),
		intelImportSDNCommand(),
		intelImportSDNListsCommand(),
		intelImportTagpackCommand(),
		intelImportActorpackCommand(),
		intelImportLabelsCommand(),
		intelLookupCommand(),
		intelActorCommand(),
		intelStatsCommand(),
		intelExportTagpackCommand(),
		traceCommand(),
		pathCommand(),
		snapshotBuildCommand(),
		snapshotListCommand(),
		guardSafeCommand(),
		guardAuditCommand(),
		guardMessageCommand(),
		screenCommand(),
		riskUpdateCommand(false),
		riskUpdateCommand(true),
		riskPolicyCommand(),
		serveCommand(),
		apikeyCreateCommand(),
		apikeyListCommand(),
		apikeyRevokeCommand(),
		clusterBuildCommand(),
		clusterUpdateCommand(),
		clusterStatsCommand(),
		clusterConfigCommand(),
		entityCommand(),
		vetImportCommand(),
		vetScreenCommand(),
		vetLinksCommand(),
		vetConfigCommand(),
		devnetCommand(),
		demoCommand(),
		watchCommand(),
		watchAlertsCommand(),
		watchStatusCommand("ack", watch.StatusAcknowledged),
		watchStatusCommand("resolve", watch.StatusResolved),
		watchRedeliverCommand(),
		versionCommand(),
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once if a graceful stop hangs
	}()
	return runCtx(ctx, args, stdout, stderr)
}

// runCtx runs one command line; cancelling ctx is an interruption.
func runCtx(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, log: newLogger(stderr)}
	cmds := commands()
	if len(args) == 0 {
		printOverview(stderr, cmds)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printOverview(stdout, cmds)
		return exitOK
	}
	cmd, rest, ok := lookup(cmds, args)
	if !ok {
		fmt.Fprintf(stderr, "chainhound: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printOverview(stderr, cmds)
		return exitUsage
	}
	err := cmd.run(ctx, e, rest)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "chainhound %s: %v\nRun 'chainhound %s --help' for usage.\n", cmd.name, err, cmd.name)
		return exitUsage
	case errors.As(err, new(policyError)):
		fmt.Fprintf(stderr, "chainhound %s: %v\n", cmd.name, err)
		return exitPolicy
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "chainhound %s: interrupted\n", cmd.name)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "chainhound %s: %v\n", cmd.name, err)
		return exitError
	}
}

// policyError marks a --fail-on threshold reached: exit code 3.
type policyError struct{ msg string }

func (e policyError) Error() string { return e.msg }

// lookup finds the longest command name that prefixes args.
func lookup(cmds []command, args []string) (command, []string, bool) {
	for _, n := range []int{3, 2, 1} {
		if len(args) < n {
			continue
		}
		name := strings.Join(args[:n], " ")
		for _, c := range cmds {
			if c.name == name {
				return c, args[n:], true
			}
		}
	}
	return command{}, nil, false
}

func printOverview(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "chainhound: blockchain intelligence — ingest chains into one value-flow graph, then trace, screen and watch.")
	fmt.Fprintln(w, "\nUsage: chainhound <area> <verb> [flags]\n\nCommands:")
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-24s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'chainhound <command> --help' for a command's flags and an example.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 error, 2 usage, 3 policy hit, 130 interrupted.")
}

// newFlags returns a flag set whose usage (flags and an example) goes to
// stdout for --help and to stderr after a mistake.
func newFlags(c *command, e *env) *cmdFlags {
	fs := &cmdFlags{FlagSet: flag.NewFlagSet(c.name, flag.ContinueOnError), help: e.stdout}
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: chainhound %s %s\n\n%s\n\nFlags:\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
		fmt.Fprintf(w, "\nExample:\n  %s\n", strings.ReplaceAll(c.example, "\n", "\n  "))
	}
	return fs
}

// cmdFlags is a command's flag set and where its --help goes.
type cmdFlags struct {
	*flag.FlagSet
	help io.Writer
}

// checkOutput refuses an --output value that is not one of allowed.
func checkOutput(v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	want := allowed[len(allowed)-1]
	if len(allowed) > 1 {
		want = strings.Join(allowed[:len(allowed)-1], ", ") + " or " + want
	}
	return usagef("--output %q: want %s", v, want)
}

// noArgs parses flags for a command that takes no positional arguments.
func noArgs(fs *cmdFlags, args []string) error {
	pos, err := parse(fs, args)
	if err == nil && len(pos) > 0 {
		return usagef("unexpected argument %q (flags start with --)", pos[0])
	}
	return err
}

// parse parses flags interspersed with positional arguments, so that
// `chainhound address 0xabc --output json` works like the flags-first form.
func parse(fs *cmdFlags, args []string) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(fs.help)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// dataFlag registers --data with its documented default.
func dataFlag(fs *cmdFlags) *string {
	return fs.String("data", defaultDataDir(), "store directory (default $CHAINHOUND_DATA, else the user data dir)")
}

// defaultDataDir is $CHAINHOUND_DATA, else the platform's user data dir.
func defaultDataDir() string {
	if d := os.Getenv("CHAINHOUND_DATA"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "chainhound")
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "chainhound")
		}
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "chainhound")
	}
	return filepath.Join(home, ".local", "share", "chainhound")
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("CHAINHOUND_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func versionCommand() command {
	c := command{name: "version", summary: "print the version", usage: "", example: "chainhound version"}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		if err := noArgs(fs, args); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "chainhound", version)
		return nil
	}
	return c
}

var version = "dev"
