package main

import (
	"os"
	"strconv"
)

// envOr returns the environment variable's value when it is set (even
// empty: ZARRPROC_CORS_ORIGINS="" means no origins), else def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envInt returns the environment variable as an int, or def when unset or
// not a number.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
