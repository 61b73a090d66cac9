package wal

import (
	"hash/maphash"
	"runtime"
	"sync"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// Recovery applies in parallel: log effects go to one worker per CPU by key,
// so that each key's effects keep their order (effects of different keys
// commute: they were applied under different locks); effects on whole
// databases (FLUSHDB, SWAPDB) wait for every worker and run alone.

const replayBatch = 256

type replayer struct {
	en      *engine.Engine
	seed    maphash.Seed
	workers []chan []effect.Effect
	batches [][]effect.Effect
	wg      sync.WaitGroup // workers running
	pending sync.WaitGroup // batches handed out and not yet applied
}

func newReplayer(en *engine.Engine) *replayer {
	n := runtime.GOMAXPROCS(0)
	r := &replayer{en: en, seed: maphash.MakeSeed()}
	if n <= 1 {
		return r
	}
	r.workers = make([]chan []effect.Effect, n)
	r.batches = make([][]effect.Effect, n)
	for i := range r.workers {
		ch := make(chan []effect.Effect, 8)
		r.workers[i] = ch
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for b := range ch {
				for j := range b {
					en.Replay(&b[j])
				}
				r.pending.Done()
			}
		}()
	}
	return r
}

// apply replays e (which must stay valid until wait or close: its bytes
// alias a segment read into memory, which they keep alive).
func (r *replayer) apply(e *effect.Effect) {
	if r.workers == nil {
		r.en.Replay(e)
		return
	}
	if e.Op == effect.OpFlushDB || e.Op == effect.OpSwapDB {
		r.wait()
		r.en.Replay(e)
		return
	}
	i := int(maphash.Bytes(r.seed, e.Key) % uint64(len(r.workers)))
	r.batches[i] = append(r.batches[i], *e)
	if len(r.batches[i]) >= replayBatch {
		r.send(i)
	}
}

func (r *replayer) send(i int) {
	r.pending.Add(1)
	r.workers[i] <- r.batches[i]
	r.batches[i] = make([]effect.Effect, 0, replayBatch)
}

// wait returns once everything handed to apply is applied.
func (r *replayer) wait() {
	for i := range r.batches {
		if len(r.batches[i]) > 0 {
			r.send(i)
		}
	}
	r.pending.Wait()
}

func (r *replayer) close() {
	if r.workers == nil {
		return
	}
	r.wait()
	for _, ch := range r.workers {
		close(ch)
	}
	r.wg.Wait()
}

// loadBlocks loads snapshot entry blocks on one worker per CPU.
type blockLoader struct {
	en   *engine.Engine
	jobs chan blockJob
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
}

type blockJob struct {
	db, count int
	data      []byte
}

func newBlockLoader(en *engine.Engine, path string) *blockLoader {
	l := &blockLoader{en: en, jobs: make(chan blockJob, 16)}
	for i := 0; i < max(1, runtime.GOMAXPROCS(0)); i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for j := range l.jobs {
				if err := loadBlock(en, path, j.db, j.count, j.data); err != nil {
					l.mu.Lock()
					if l.err == nil {
						l.err = err
					}
					l.mu.Unlock()
				}
			}
		}()
	}
	return l
}

func (l *blockLoader) add(db, count int, data []byte) {
	l.jobs <- blockJob{db, count, append([]byte(nil), data...)}
}

func (l *blockLoader) finish() error {
	close(l.jobs)
	l.wg.Wait()
	return l.err
}
