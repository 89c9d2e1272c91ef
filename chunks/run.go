package chunks

import (
	"context"
	"sync"
	"time"
)

// Run executes a whole request in this process: plan, output metadata, every
// tile (Options.Concurrency at once), consolidated metadata.
func Run(ctx context.Context, req Request, opts Options) (Summary, error) {
	start := time.Now()
	p, err := NewPlan(ctx, req, opts)
	if err != nil {
		return Summary{}, err
	}
	if err := p.CreateOutput(ctx); err != nil {
		return Summary{}, err
	}
	total, err := p.RunTiles(ctx)
	if err != nil {
		return Summary{}, err
	}
	if err := p.Finalize(ctx); err != nil {
		return Summary{}, err
	}
	s := p.Summary(total)
	s.Seconds = time.Since(start).Seconds()
	return s, nil
}

// RunTiles runs every tile, Options.Concurrency at once; the first error
// cancels the rest.
func (p *Plan) RunTiles(ctx context.Context) (TileStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		total    TileStats
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for w := 0; w < min(p.opts.Concurrency, len(p.tiles)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				st, err := p.RunTile(ctx, i)
				mu.Lock()
				total.Add(st)
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range p.tiles {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return total, firstErr
	}
	return total, ctx.Err()
}

// Add accumulates another tile's stats.
func (s *TileStats) Add(o TileStats) {
	s.Chunks += o.Chunks
	s.BytesRead += o.BytesRead
	s.CacheHits += o.CacheHits
	s.CacheMisses += o.CacheMisses
	s.CacheBypasses += o.CacheBypasses
	s.CacheTooBig += o.CacheTooBig
	s.BytesSaved += o.BytesSaved
	s.OutputHits += o.OutputHits
}

// Summary describes the plan's output and what producing it cost.
func (p *Plan) Summary(total TileStats) Summary {
	s := Summary{
		Output: p.Request.Output, Periods: len(p.binning.Bins), Shape: p.OutputShape(), Tiles: len(p.tiles),
		Chunks: total.Chunks, BytesRead: total.BytesRead, Variables: p.OutputVariables(),
		FromCache: CacheCounts{Hits: total.CacheHits, Misses: total.CacheMisses, Bypasses: total.CacheBypasses,
			TooBig: total.CacheTooBig, BytesSaved: total.BytesSaved, OutputChunks: total.OutputHits},
	}
	if len(p.dates) > 0 {
		s.TimeStart, s.TimeEnd = p.dates[0].String(), p.dates[len(p.dates)-1].String()
	}
	return s
}
