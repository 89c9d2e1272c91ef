package cftime

import "fmt"

// refScanner reads the loose ISO 8601 reference dates found in CF units.
type refScanner struct {
	s string
	i int
}

func (p *refScanner) eof() bool { return p.i >= len(p.s) }

func (p *refScanner) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

// digits reads between 1 and max decimal digits.
func (p *refScanner) digits(max int) (v, n int, ok bool) {
	for !p.eof() && n < max && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n, n > 0
}

func (p *refScanner) skipSpaces() int {
	n := 0
	for !p.eof() && isSpace(p.s[p.i]) {
		p.i++
		n++
	}
	return n
}

func (p *refScanner) hasFoldPrefix(w string) bool {
	if len(p.s)-p.i < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		c := p.s[p.i+k]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != w[k] {
			return false
		}
	}
	return true
}

// parseRefDate reads "[±]Y[-M[-D]][(T| +)h[:m[:s[.f]]]][ ][Z|UTC|GMT|±hh[:mm]|±hhmm]"
// and returns the wall-clock date and the UTC offset in nanoseconds.
func parseRefDate(s string, cal Calendar) (Date, int64, error) {
	bad := func(why string) (Date, int64, error) {
		return Date{}, 0, fmt.Errorf("reference date %q: %s: %w", s, why, ErrBadUnits)
	}
	p := &refScanner{s: s}
	neg := false
	if c := p.peek(); c == '-' || c == '+' {
		neg = c == '-'
		p.i++
	}
	year, _, ok := p.digits(7)
	if !ok {
		return bad("no year")
	}
	if neg {
		year = -year
	}
	d := Date{Year: year, Month: 1, Day: 1, Calendar: cal}
	if p.peek() == '-' && p.i+1 < len(s) && s[p.i+1] >= '0' && s[p.i+1] <= '9' {
		p.i++
		d.Month, _, _ = p.digits(2)
		if p.peek() == '-' && p.i+1 < len(s) && s[p.i+1] >= '0' && s[p.i+1] <= '9' {
			p.i++
			d.Day, _, _ = p.digits(2)
		}
	}
	// Time of day, after "T" or blanks.
	save := p.i
	sep := false
	if c := p.peek(); c == 'T' || c == 't' {
		p.i++
		sep = true
	} else if p.skipSpaces() > 0 {
		sep = true
	}
	if sep {
		if h, _, ok := p.digits(2); ok {
			d.Hour = h
			if p.peek() == ':' {
				p.i++
				if d.Minute, _, ok = p.digits(2); !ok {
					return bad("no minutes after ':'")
				}
				if p.peek() == ':' {
					p.i++
					if d.Second, _, ok = p.digits(2); !ok {
						return bad("no seconds after ':'")
					}
					if p.peek() == '.' {
						p.i++
						scale := int(nsPerSecond)
						n := 0
						for !p.eof() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
							if scale > 1 {
								scale /= 10
								d.Nanosecond += int(p.s[p.i]-'0') * scale
							}
							p.i++
							n++
						}
						if n == 0 && !p.eof() && !isSpace(p.peek()) && !isTZStart(p.peek()) {
							return bad("bad fraction of second")
						}
					}
				}
			}
		} else {
			p.i = save // blanks before a zone, not a time
		}
	}
	// Zone.
	p.skipSpaces()
	var offset int64
	switch {
	case p.eof():
	case p.hasFoldPrefix("UTC"), p.hasFoldPrefix("GMT"):
		p.i += 3
	case p.peek() == 'Z' || p.peek() == 'z':
		p.i++
	case p.peek() == '+' || p.peek() == '-':
		sign := int64(1)
		if p.peek() == '-' {
			sign = -1
		}
		p.i++
		hh, n, ok := p.digits(2)
		if !ok {
			return bad("bad timezone offset")
		}
		mm := 0
		if p.peek() == ':' {
			p.i++
			if mm, _, ok = p.digits(2); !ok {
				return bad("bad timezone offset")
			}
		} else if n == 2 {
			mm, _, _ = p.digits(2)
		}
		if hh > 23 || mm > 59 {
			return bad("timezone offset out of range")
		}
		offset = sign * (int64(hh)*3600 + int64(mm)*60) * nsPerSecond
	}
	p.skipSpaces()
	if !p.eof() {
		return bad(fmt.Sprintf("unexpected %q", s[p.i:]))
	}
	if err := d.Validate(); err != nil {
		return Date{}, 0, fmt.Errorf("reference date %q: %w", s, err)
	}
	return d, offset, nil
}

func isTZStart(c byte) bool { return c == '+' || c == '-' || c == 'Z' || c == 'z' }
