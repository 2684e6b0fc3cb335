package observe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/echo"
	"github.com/rafter-go/rafter/observe"
)

// A one-peer System with metrics, served over HTTP.
func ExampleHandler() {
	dir, err := os.MkdirTemp("", "observe-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	reg := prometheus.NewRegistry()
	sys, err := rafter.NewSystem(rafter.SystemOptions{Metrics: reg})
	if err != nil {
		panic(err)
	}
	defer sys.Shutdown()
	opts := rafter.DefaultOptions()
	opts.DataDir = dir
	opts.StateMachine = func() rafter.StateMachine { return echo.New() }
	me := rafter.Peer{Name: "solo"}
	if err := sys.StartNode(me, opts); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sys.SetConfig(ctx, me, []rafter.Peer{me}); err != nil {
		panic(err)
	}
	if _, err := sys.Op(ctx, me, []byte("hello")); err != nil {
		panic(err)
	}

	srv := httptest.NewServer(observe.Handler(sys, reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/status")
	if err != nil {
		panic(err)
	}
	var st observe.StatusReply
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Peers[0].Peer, st.Peers[0].Role)

	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "rafter_proposals_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// solo leader
	// rafter_proposals_total{peer="solo"} 1
}
