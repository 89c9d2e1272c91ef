package store

import (
	"errors"
	"testing"
)

func TestCheckKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{".zarray", true},
		{"a/b/c/0.0.1", true},
		{"a/.zattrs", true},
		{"..a/b..", true},
		{"", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{"..", false},
		{"a/..", false},
		{"a/../b", false},
		{".", false},
		{"a/./b", false},
		{"a\x00b", false},
	} {
		err := CheckKey(tc.key)
		if tc.ok && err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", tc.key, err)
		}
		if !tc.ok && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", tc.key, err)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, p := range []string{"", "a", "a/", "a/.", "a/.z", "."} {
		if err := checkPrefix(p); err != nil {
			t.Errorf("checkPrefix(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"/", "/a", "../", "a/../", "a//"} {
		if err := checkPrefix(p); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("checkPrefix(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}

func TestRangeBounds(t *testing.T) {
	const huge = int64(1) << 62
	for _, tc := range []struct {
		size, offset, length int64
		start, end           int64
	}{
		{10, 0, 10, 0, 10},
		{10, 2, 3, 2, 5},
		{10, 8, 5, 8, 10},
		{10, 10, 5, 10, 10},
		{10, 50, 5, 10, 10},
		{10, 3, huge, 3, 10},
		{10, -3, 0, 7, 10},
		{10, -30, 0, 0, 10},
		{0, 0, 5, 0, 0},
		{0, -5, 0, 0, 0},
	} {
		start, end, err := rangeBounds(tc.size, tc.offset, tc.length)
		if err != nil || start != tc.start || end != tc.end {
			t.Errorf("rangeBounds(%d, %d, %d) = %d, %d, %v; want %d, %d",
				tc.size, tc.offset, tc.length, start, end, err, tc.start, tc.end)
		}
	}
	if _, _, err := rangeBounds(10, 0, -1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("rangeBounds(10, 0, -1) = %v, want ErrInvalidRange", err)
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	r := Retry{InitialBackoff: 100, MaxBackoff: 1000}
	for attempt := 1; attempt < 40; attempt++ {
		bound := int64(100) << min(attempt-1, 20)
		bound = min(bound, 1000)
		for range 20 {
			d := r.backoff(attempt)
			if d <= 0 || int64(d) > bound {
				t.Fatalf("backoff(%d) = %d, want in (0, %d]", attempt, d, bound)
			}
		}
	}
}
