package rafter

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type nopSM struct{}

func (nopSM) Apply(uint64, []byte) ([]byte, error) { return nil, nil }
func (nopSM) Read([]byte) ([]byte, error)          { return nil, nil }

func validOptions() Options {
	o := DefaultOptions()
	o.DataDir = "/tmp/x"
	o.StateMachine = func() StateMachine { return nopSM{} }
	return o
}

func TestDefaultOptionsDocumentedValues(t *testing.T) {
	o := DefaultOptions()
	assert.Equal(t, 50*time.Millisecond, o.HeartbeatInterval)
	assert.Equal(t, 500*time.Millisecond, o.ElectionTimeoutMin)
	assert.Equal(t, time.Second, o.ElectionTimeoutMax)
	assert.Equal(t, 64, o.MaxAppendEntries)
	assert.Equal(t, uint64(1<<20), o.MaxAppendBytes)
	assert.Equal(t, 64, o.MaxInflight)
	assert.Equal(t, 8<<20, o.MaxCommandBytes)
	assert.True(t, o.PreVote)
	assert.True(t, o.CheckQuorum)
	assert.Equal(t, int64(64<<20), o.SegmentBytes)
	assert.Equal(t, uint64(1000), o.CatchUpEntries)
	assert.Equal(t, 60*time.Second, o.CatchUpTimeout)
	assert.Empty(t, o.DataDir, "no default data dir")
	assert.Nil(t, o.StateMachine, "no default state machine")
	require.NoError(t, validOptions().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*Options)
	}{
		{"DataDir", func(o *Options) { o.DataDir = "" }},
		{"DataDir", func(o *Options) { o.DataDir = "  " }},
		{"StateMachine", func(o *Options) { o.StateMachine = nil }},
		{"HeartbeatInterval", func(o *Options) { o.HeartbeatInterval = 0 }},
		{"HeartbeatInterval", func(o *Options) { o.HeartbeatInterval = time.Microsecond }},
		{"ElectionTimeoutMin", func(o *Options) { o.ElectionTimeoutMin = o.HeartbeatInterval }},
		{"ElectionTimeoutMin", func(o *Options) { o.ElectionTimeoutMin = o.HeartbeatInterval / 2 }},
		{"ElectionTimeoutMax", func(o *Options) { o.ElectionTimeoutMax = o.ElectionTimeoutMin }},
		{"ElectionTimeoutMax", func(o *Options) { o.ElectionTimeoutMax = o.ElectionTimeoutMin - time.Millisecond }},
		{"MaxAppendEntries", func(o *Options) { o.MaxAppendEntries = 0 }},
		{"MaxAppendBytes", func(o *Options) { o.MaxAppendBytes = 0 }},
		{"MaxAppendBytes", func(o *Options) { o.MaxAppendBytes = 1 << 30 }},
		{"MaxInflight", func(o *Options) { o.MaxInflight = 0 }},
		{"CatchUpEntries", func(o *Options) { o.CatchUpEntries = 1<<40 + 1 }},
		{"CatchUpTimeout", func(o *Options) { o.CatchUpTimeout = -time.Second }},
		{"MaxCommandBytes", func(o *Options) { o.MaxCommandBytes = 0 }},
		{"MaxCommandBytes", func(o *Options) { o.MaxCommandBytes = MaxCommandBytesLimit + 1 }},
		{"SegmentBytes", func(o *Options) { o.SegmentBytes = 100 }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			o := validOptions()
			tt.mutate(&o)
			err := o.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidOptions)
			var oe *OptionError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.field, oe.Field)
			assert.NotEmpty(t, oe.Reason)
			assert.Contains(t, err.Error(), tt.field)
			assert.Contains(t, err.Error(), "rafter: ")
		})
	}
}

func TestElectionTimeoutMaxZeroMeansTwiceMin(t *testing.T) {
	o := validOptions()
	o.ElectionTimeoutMax = 0
	require.NoError(t, o.Validate())
}

// Any ElectionTimeoutMax above the minimum is valid; it becomes the core's
// ElectionTicksMax in ticks, at least one tick above ElectionTicks (0: the
// core's 2 × ElectionTicks).
func TestElectionTimeoutMaxMapsToCoreTicks(t *testing.T) {
	tests := []struct {
		max  time.Duration
		want int
	}{
		{0, 0},
		{time.Second, 20},
		{1500 * time.Millisecond, 30},
		{5 * time.Second, 100},
		{510 * time.Millisecond, 11}, // rounds to 10 ticks: kept above the minimum
		{560 * time.Millisecond, 11},
	}
	for _, tt := range tests {
		o := validOptions()
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = 50*time.Millisecond, 500*time.Millisecond, tt.max
		require.NoError(t, o.Validate(), "max %v", tt.max)
		tick, _, el := o.ticks()
		require.Equal(t, 10, el)
		assert.Equal(t, tt.want, o.electionTicksMax(tick, el), "max %v", tt.max)
	}
}

// The core counts in ticks (core.Config): the tick must divide the
// heartbeat, give the election timeout at least ten steps of jitter, and
// keep HeartbeatTicks < ElectionTicks.
func TestTicksMapDurationsToCoreTicks(t *testing.T) {
	tests := []struct {
		hb, min        time.Duration
		tick           time.Duration
		hbTicks, elTks int
	}{
		{50 * time.Millisecond, 500 * time.Millisecond, 50 * time.Millisecond, 1, 10},
		{10 * time.Millisecond, 100 * time.Millisecond, 10 * time.Millisecond, 1, 10},
		{20 * time.Millisecond, 150 * time.Millisecond, 10 * time.Millisecond, 2, 15},
		{50 * time.Millisecond, 150 * time.Millisecond, 12500 * time.Microsecond, 4, 12},
		{10 * time.Millisecond, 11 * time.Millisecond, 1 * time.Millisecond, 10, 11},
		{time.Millisecond, 1001 * time.Microsecond, 100 * time.Microsecond, 10, 11},
	}
	for _, tt := range tests {
		o := validOptions()
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = tt.hb, tt.min, 0
		require.NoError(t, o.Validate())
		tick, hb, el := o.ticks()
		assert.Equal(t, tt.tick, tick, "hb %v min %v", tt.hb, tt.min)
		assert.Equal(t, tt.hbTicks, hb, "hb %v min %v", tt.hb, tt.min)
		assert.Equal(t, tt.elTks, el, "hb %v min %v", tt.hb, tt.min)
		assert.Less(t, hb, el)
		assert.LessOrEqual(t, tick, tt.min/10)
		assert.Equal(t, tt.hb, tick*time.Duration(hb), "the tick divides the heartbeat")
	}
}

func TestOptionErrorUnwraps(t *testing.T) {
	err := error(&OptionError{Field: "X", Value: 1, Reason: "why"})
	assert.True(t, errors.Is(err, ErrInvalidOptions))
	assert.Equal(t, "rafter: invalid options: X = 1: why", err.Error())
	assert.True(t, Definite(err))
}

// CatchUpTimeout maps to whole core ticks, at least one; 0 stays 0 (no
// timeout), as does CatchUpEntries 0 (the whole log), both valid.
func TestCatchUpOptionsMapToCore(t *testing.T) {
	o := validOptions()
	tick, _, _ := o.ticks()
	assert.Equal(t, int(o.CatchUpTimeout/tick), o.catchUpTicks(tick))
	o.CatchUpTimeout = time.Nanosecond
	assert.Equal(t, 1, o.catchUpTicks(tick))
	o.CatchUpTimeout, o.CatchUpEntries = 0, 0
	assert.Equal(t, 0, o.catchUpTicks(tick))
	assert.NoError(t, o.Validate())
}
