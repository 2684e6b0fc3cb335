package benchkit

import (
	"fmt"
	"io"
	"os"
	"os/exec"
)

// ServePeer is the end of a peer process started by RunProcs: if this
// process's peer leads, measure is not nil and runs the point, and its
// Result is printed as the RESULT line; then the process serves (its peer
// answering the others) until the parent closes its stdin.
func ServePeer(measure func() (Result, error)) error {
	if measure != nil {
		res, err := measure()
		if err != nil {
			return err
		}
		if err := PrintResult(os.Stdout, res); err != nil {
			return err
		}
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// Exit ends a program's main: with err it is printed to stderr and the
// exit status is 1.
func Exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// RunChild runs this binary with args in one child process and reads its
// RESULT line.
func RunChild(args []string) (Result, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("benchkit: child: %w", err)
	}
	return ParseResult(string(out))
}

// ChildEnv set to "1" makes a test binary run as its program (ChildMain).
const ChildEnv = "RAFTER_BENCHKIT_TEST_CHILD"

// ChildMain is a test binary's main for packages whose code re-executes
// os.Args[0] (RunChild, RunProcs): under `go test` that is the test
// binary, so with ChildEnv set to "1" it runs the program's main instead
// of the tests. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, main)) }
//
// and set ChildEnv in the test that starts children (ActAsChild).
func ChildMain(m interface{ Run() int }, main func()) int {
	if os.Getenv(ChildEnv) == "1" {
		main()
		return 0
	}
	return m.Run()
}

// ActAsChild makes the children that t starts run as the program (with
// ChildMain), for t's duration; t is a *testing.T.
func ActAsChild(t interface{ Setenv(key, value string) }) { t.Setenv(ChildEnv, "1") }
