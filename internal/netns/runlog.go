package netns

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// RunLog records what the harness did and when, and how long the cluster
// took to serve writes again; String prints it for the end of a run.
type RunLog struct {
	Start time.Time

	mu         sync.Mutex
	events     []string
	recoveries []Recovery
	figures    []string
}

// Recovery is the time from a fault's start or end until the first
// acknowledged write invoked after it.
type Recovery struct {
	What  string
	From  time.Time
	Took  time.Duration // -1: writes never resumed
	Bound time.Duration
}

func (r Recovery) ok() bool { return r.Took >= 0 && r.Took <= r.Bound }

func (l *RunLog) at(t time.Time) string {
	return fmt.Sprintf("+%7.3fs", t.Sub(l.Start).Seconds())
}

// Event records something the harness did at t.
func (l *RunLog) Event(t time.Time, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, l.at(t)+"  "+fmt.Sprintf(format, args...))
}

// Recovered records a recovery figure.
func (l *RunLog) Recovered(r Recovery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recoveries = append(l.recoveries, r)
}

// Figure records a summary line.
func (l *RunLog) Figure(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.figures = append(l.figures, fmt.Sprintf(format, args...))
}

// String is the run log.
func (l *RunLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	b.WriteString("==== netns run log ====\n-- events\n")
	for _, e := range l.events {
		b.WriteString(e + "\n")
	}
	b.WriteString("-- writes served again (first acknowledged write invoked after the moment)\n")
	for _, r := range l.recoveries {
		took, verdict := "never", "FAIL"
		if r.Took >= 0 {
			took = r.Took.Round(time.Millisecond).String()
		}
		if r.ok() {
			verdict = "ok"
		}
		fmt.Fprintf(&b, "%s  %-52s %9s  (bound %v) %s\n", l.at(r.From), r.What, took, r.Bound, verdict)
	}
	b.WriteString("-- figures\n")
	for _, f := range l.figures {
		b.WriteString(f + "\n")
	}
	return b.String()
}
