// Package testclock is the tests' settable clock: a time that tests set or
// advance between steps, safe to read from the goroutines the code under
// test starts.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable time. Its zero value reads the zero time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock reading t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; pass c.Now where code takes a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set makes the clock read t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
