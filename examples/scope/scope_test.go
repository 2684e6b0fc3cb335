package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium finds a Chromium binary. Without one the test skips, unless
// RAFTER_SCOPE_STRICT is set (CI sets it, so the test cannot silently not
// run there).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("RAFTER_SCOPE_STRICT") != "" {
		t.Fatal("RAFTER_SCOPE_STRICT is set and no chromium binary is on PATH (Debian: apt-get install chromium)")
	}
	t.Skip("no chromium binary on PATH (Debian: apt-get install chromium); set RAFTER_SCOPE_STRICT=1 to make this a failure")
	return ""
}

// page drives the scope page in headless Chromium and keeps its
// screenshots.
type page struct {
	t     *testing.T
	ctx   context.Context
	shots string
	n     int
}

// eval evaluates a JavaScript expression of the page.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	require.NoError(p.t, err, "evaluate %s", js)
	return v
}

// until evaluates js (a boolean expression) until it is true, failing
// after within.
func (p *page) until(what string, within time.Duration, js string) time.Duration {
	p.t.Helper()
	start := time.Now()
	for {
		if eval[bool](p, js) {
			return time.Since(start)
		}
		if time.Since(start) > within {
			p.shot("failed-" + what)
			p.t.Fatalf("the page did not show %s within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond) // poll interval, not synchronisation
	}
}

// click clicks the element sel.
func (p *page) click(sel string) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(sel))), "click %s", sel)
}

// shot saves a screenshot of the window and names it in the log.
func (p *page) shot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p.n++
	f := filepath.Join(p.shots, fmt.Sprintf("%02d-%s.png", p.n, name))
	require.NoError(p.t, os.WriteFile(f, buf, 0o644))
	p.t.Logf("screenshot: %s", f)
}

// leaderJS is the page's leader as "name term", "" if none.
const leaderJS = `(() => { const g = document.querySelector('#nodes [data-role="leader"]');
  return g ? g.dataset.peer + " " + g.dataset.term : ""; })()`

func termJS(peer string) string {
	return fmt.Sprintf(`Number(document.getElementById("node-%s").dataset.term)`, peer)
}

// TestPageInChromium drives the page as a visitor would: it shows a
// leader; "kill consensus" on the leader brings a new leader within the
// election bound and shows the restart; a write from the page shows
// committed on a majority's log strips; an isolated peer's links show cut,
// and its term stays put with PreVote but rises once PreVote is switched
// off from the page.
func TestPageInChromium(t *testing.T) {
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	srv, err := serve(ctx, config{N: 5, Addr: "127.0.0.1:0", Dir: t.TempDir(),
		Settings: settings{Slow: 1, PreVote: true}, Timing: demoTiming})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.close()) }()

	shots := os.Getenv("RAFTER_SCOPE_SHOTS")
	if shots == "" {
		shots, err = os.MkdirTemp("", "rafter-scope-shots-")
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	t.Logf("screenshots go to %s", shots)
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1040))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	p := &page{t: t, ctx: bctx, shots: shots}
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("http://"+srv.addr+"/")))

	// An election bound: the longest election timeout, a round of votes,
	// and slack for a loaded 2-core machine running -race.
	bound := demoTiming.ElectionMax + 2*demoTiming.ElectionMin + 5*time.Second

	// 1. A leader.
	p.until("a leader", 30*time.Second, leaderJS+` !== ""`)
	leader := eval[string](p, leaderJS)
	var name string
	var term int
	_, err = fmt.Sscanf(leader, "%s %d", &name, &term)
	require.NoError(t, err)
	t.Logf("leader %s in term %d", name, term)
	p.until("messages moving", 10*time.Second, `document.querySelectorAll("#messages circle").length > 0`)
	p.shot("leader")

	// 2. Kill the leader's consensus actor: a new leader (a later term),
	// and the killed peer shows its restart.
	p.click(fmt.Sprintf(`button[data-action="kill-consensus"][data-peer="%s"]`, name))
	took := p.until("a new leader after the kill", bound, fmt.Sprintf(`(() => {
	  const g = document.querySelector('#nodes [data-role="leader"]');
	  return !!g && Number(g.dataset.term) > %d; })()`, term))
	t.Logf("new leader shown %v after the kill (bound %v)", took.Round(time.Millisecond), bound)
	p.until("the restart of the killed peer", bound, fmt.Sprintf(
		`document.querySelector("#node-%s .role").textContent.includes("\u21bb1")`, name))
	leader = eval[string](p, leaderJS)
	_, err = fmt.Sscanf(leader, "%s %d", &name, &term)
	require.NoError(t, err)
	p.shot("new-leader")

	// 3. A write from the page, committed on a majority's strips.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS("#write-key"), "scope"),
		chromedp.SetValue(chromedp.CSS("#write-value"), "42")))
	p.click("#write-btn")
	p.until("the write's result", 30*time.Second, `document.getElementById("result").classList.contains("ok")`)
	index := eval[string](p, `document.getElementById("result").dataset.index`)
	require.NotEmpty(t, index)
	p.until("the write committed on a majority's log strips", 30*time.Second, fmt.Sprintf(
		`document.querySelectorAll('#strips .strip [data-index="%s"].committed').length >= 3`, index))
	p.shot("write-committed")

	// 4. Isolate a follower: its four links show cut, and with PreVote
	// its term does not rise over several election timeouts.
	follower := "p1"
	if name == follower {
		follower = "p2"
	}
	p.click(fmt.Sprintf(`button[data-action="isolate"][data-peer="%s"]`, follower))
	p.until("the isolated peer's links cut", 10*time.Second, fmt.Sprintf(
		`document.querySelectorAll('.link.cut[data-a="%[1]s"], .link.cut[data-b="%[1]s"]').length === 4`, follower))
	t0 := eval[int](p, termJS(follower))
	hold := 3 * demoTiming.ElectionMax
	for start := time.Now(); time.Since(start) < hold; time.Sleep(100 * time.Millisecond) {
		require.Equal(t, t0, eval[int](p, termJS(follower)), "with PreVote the isolated peer's term rose")
	}
	p.shot("isolated-prevote")

	// 5. PreVote off (the page restarts the peers): the isolated peer's
	// term rises.
	_ = eval[bool](p, `document.getElementById("prevote").checked = false`)
	p.click("#apply-settings")
	p.until("the peers restarted without PreVote", 60*time.Second,
		`document.getElementById("result").textContent.includes("PreVote off")`)
	p.until("the isolated peer's term rising", 3*bound, fmt.Sprintf(`%s > %d`, termJS(follower), t0))
	p.shot("isolated-no-prevote")
}
