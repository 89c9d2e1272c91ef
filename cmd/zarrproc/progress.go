package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressBar draws a one-line bar on a terminal, at most every 100 ms.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	total int
	last  time.Time
	start time.Time
}

func newProgressBar(w io.Writer, label string, total int) *progressBar {
	return &progressBar{w: w, label: label, total: total, start: time.Now()}
}

func (p *progressBar) set(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = time.Now()
	p.draw(done)
}

func (p *progressBar) draw(done int) {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %.1fs", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n),
		done, p.total, time.Since(p.start).Seconds())
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w)
}
