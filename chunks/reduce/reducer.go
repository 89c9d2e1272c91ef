package reduce

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors; returned errors wrap them.
var (
	ErrUnknownReducer = errors.New("unknown reducer")
	ErrBadParameter   = errors.New("bad reducer parameter")
	ErrMismatch       = errors.New("partial states do not match")
	ErrCorrupt        = errors.New("corrupt partial state")
)

// Op is a reduction.
type Op uint8

// The reductions.
const (
	Count Op = iota
	Sum
	Mean
	Min
	Max
	Std
	Var
	Median
	Quantile
	First
	Last
)

var opNames = [...]string{"count", "sum", "mean", "min", "max", "std", "var", "median", "quantile", "first", "last"}

// String returns the name of the op.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Reducer is one reduction with its parameters.
type Reducer struct {
	Op   Op
	Q    float64 // Quantile: the probability in [0, 1]
	DDOF int     // Std, Var: delta degrees of freedom (divisor n − DDOF)
}

// DefaultMinCount is the house default for Set's minCount.
const DefaultMinCount = 1

// ParseReducer reads a reducer name: count, sum, mean, min, max, std, var,
// median, first, last, or a quantile as "quantile(0.9)" or "quantile_0.9".
// DDOF is left at 0; callers set it from their own input.
func ParseReducer(name string) (Reducer, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if rest, ok := strings.CutPrefix(n, "quantile"); ok && rest != "" {
		var qs string
		switch {
		case rest[0] == '_':
			qs = rest[1:]
		case rest[0] == '(' && strings.HasSuffix(rest, ")"):
			qs = rest[1 : len(rest)-1]
		default:
			return Reducer{}, fmt.Errorf("reducer %q: %w", name, ErrUnknownReducer)
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(qs), 64)
		if err != nil {
			return Reducer{}, fmt.Errorf("reducer %q: quantile %q: %w", name, qs, ErrBadParameter)
		}
		r := Reducer{Op: Quantile, Q: q}
		return r, r.Validate()
	}
	for i, s := range opNames {
		if n == s && Op(i) != Quantile {
			return Reducer{Op: Op(i)}, nil
		}
	}
	return Reducer{}, fmt.Errorf("reducer %q: %w (want one of count, sum, mean, min, max, std, var, median, quantile(q), first, last)", name, ErrUnknownReducer)
}

// Validate checks the parameters.
func (r Reducer) Validate() error {
	if int(r.Op) >= len(opNames) {
		return fmt.Errorf("reducer %v: %w", r.Op, ErrUnknownReducer)
	}
	if r.Op == Quantile && !(r.Q >= 0 && r.Q <= 1) {
		return fmt.Errorf("reducer %s: q=%v outside [0, 1]: %w", r, r.Q, ErrBadParameter)
	}
	if r.DDOF < 0 {
		return fmt.Errorf("reducer %s: ddof=%d is negative: %w", r, r.DDOF, ErrBadParameter)
	}
	return nil
}

// String names the reducer as output variables do: "mean", "quantile_0.9".
func (r Reducer) String() string {
	if r.Op == Quantile {
		return "quantile_" + strconv.FormatFloat(r.Q, 'g', -1, 64)
	}
	return r.Op.String()
}

// state is a bitmask of partial-state kinds.
type state uint16

const (
	stCount state = 1 << iota
	stSum
	stMoments // mean and M2
	stMin
	stMax
	stFirst
	stLast
	stValues
)

var stateNames = [...]string{"count", "sum", "moments", "min", "max", "first", "last", "values"}

// String lists the kinds, "count+sum+moments".
func (st state) String() string {
	var b []byte
	for i, n := range stateNames {
		if st&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, '+')
			}
			b = append(b, n...)
		}
	}
	return string(b)
}

func (r Reducer) needs() state {
	switch r.Op {
	case Sum, Mean:
		return stCount | stSum
	case Std, Var:
		return stCount | stMoments
	case Min:
		return stCount | stMin
	case Max:
		return stCount | stMax
	case First:
		return stCount | stFirst
	case Last:
		return stCount | stLast
	case Median, Quantile:
		return stCount | stValues
	}
	return stCount
}
