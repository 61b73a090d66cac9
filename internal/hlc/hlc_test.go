package hlc

import (
	"sync"
	"testing"
)

func TestNowMonotonicWhenWallStalls(t *testing.T) {
	c := New(func() int64 { return 1000 })
	prev := c.Now()
	for i := 0; i < 1000; i++ {
		n := c.Now()
		if n <= prev {
			t.Fatalf("not increasing: %d after %d", n, prev)
		}
		prev = n
	}
	if prev.Millis() != 1000 || prev.Logical() != 1000 {
		t.Fatalf("got %d.%d", prev.Millis(), prev.Logical())
	}
}

func TestNowFollowsWallClock(t *testing.T) {
	wall := int64(5)
	c := New(func() int64 { return wall })
	a := c.Now()
	wall = 9
	b := c.Now()
	if b.Millis() != 9 || b.Logical() != 0 || b <= a {
		t.Fatalf("a=%v b=%v", a, b)
	}
}

func TestUpdateExceedsRemoteAndLocal(t *testing.T) {
	c := New(func() int64 { return 10 })
	remote := Make(50, 7)
	got := c.Update(remote)
	if got <= remote {
		t.Fatalf("update %v not after remote %v", got, remote)
	}
	if n := c.Now(); n <= got {
		t.Fatalf("now %v not after update %v", n, got)
	}
	if c.PhysicalNow() != 50 {
		t.Fatalf("physical now %d", c.PhysicalNow())
	}
}

func TestConcurrentUnique(t *testing.T) {
	c := New(func() int64 { return 1 })
	var mu sync.Mutex
	seen := map[Timestamp]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]Timestamp, 0, 500)
			for i := 0; i < 500; i++ {
				local = append(local, c.Now())
			}
			mu.Lock()
			for _, ts := range local {
				if seen[ts] {
					t.Errorf("duplicate %v", ts)
				}
				seen[ts] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
}
